"""`python -m mcp_demo [--host H] [--port P]`: serve the demo MCP server with uvicorn."""

import argparse

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser(prog="mcp_demo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(
        "mcp_demo.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        access_log=False,  # the app logs one JSON line per request itself
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()

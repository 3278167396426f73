"""A long conversation: what a send costs as the conversation grows. The api (one gunicorn worker, the image's
gunicorn.conf.py) with Postgres and Redis beside it, straight to the worker; conversations of 2 to 2,000
messages are made by the import route (a user's question of about 100 characters, an answer of about 400, in
turn), then each gets messages sent after its last answer, each a new branch there (as an edit makes one), so
the model is sent the same history every time. The conversations are sent to in turn, round after round, so
every size meets the same moment's machine.

Measured per send: the worker's CPU (every thread), and the time to the answer's first byte. The answers are
short (5 tokens) so that what is measured is what the send does before and around the model: loading the
conversation, fitting its history to the context window, and the model reading that history. Loopback only.

    uv run --project bench python bench/long_conversation.py      (make bench runs it)
    ... --checkout /elsewhere --out /tmp/before.json              (another checkout's api, for before/after)
"""

import argparse
import json
import os
import platform
import statistics
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from harness.processes import HOST, ROOT
from harness.worker_api import WorkerApi, cpu_ns, one_worker_api, time_to_first_token

SIZES = (2, 100, 500, 2000)  # messages already in the conversation
QUESTION = "How would you compare these two approaches, and which one would you pick for a small team? "
ANSWER = "It depends on what the team already knows; the first is simpler to run, the second scales further. " * 4


def call(port: int, token: str, path: str, body: object) -> object:
    request = urllib.request.Request(
        f"http://{HOST}:{port}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback, our own api
        return json.load(response)


def conversation_of(port: int, token: str, messages: int) -> tuple[str, str]:
    """A conversation of `messages`, and its last answer's id."""
    turns = [
        {"role": "user" if number % 2 == 0 else "assistant", "content": QUESTION if number % 2 == 0 else ANSWER}
        for number in range(messages)
    ]
    imported = call(port, token, "/api/conversations/import", {"conversations": [{"title": "Long", "messages": turns}]})
    conversation = str(imported["conversations"][0]["id"])  # type: ignore[index]
    request = urllib.request.Request(
        f"http://{HOST}:{port}/api/conversations/{conversation}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback, our own api
        last_answer = str(json.load(response)["messages"]["items"][-1]["id"])
    return conversation, last_answer


def send(api: WorkerApi, conversation: tuple[str, str]) -> float:
    """One message after the imported conversation's last answer (each send a new branch there, so the model is
    sent the same history every time); reads the answer to its end. The time to its first byte (s)."""
    ident, parent = conversation
    body = {"content": f"{QUESTION}\n@emulator ttft_ms=0 token_ms=0 tokens=5", "parent_id": parent}
    return time_to_first_token(api.port, api.token, f"/api/conversations/{ident}/messages", body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=40, help="sends into each conversation")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the checkout whose api to run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/long-conversation.json")
    args = parser.parse_args()

    with one_worker_api(args.checkout) as api:
        conversations = {size: conversation_of(api.port, api.token, size) for size in SIZES}
        for conversation in conversations.values():  # warm-up: imports, connections, caches
            for _ in range(3):
                send(api, conversation)
        time.sleep(1)

        spent = dict.fromkeys(SIZES, 0)
        firsts: dict[int, list[float]] = {size: [] for size in SIZES}
        for round_ in range(args.rounds):
            order = SIZES[round_ % len(SIZES) :] + SIZES[: round_ % len(SIZES)]
            for size in order:
                before = cpu_ns(api.worker)
                firsts[size].append(send(api, conversations[size]))
                spent[size] += cpu_ns(api.worker) - before

    rows = [
        {
            "messages": size,
            "cpu_ms_per_send": round(spent[size] / args.rounds / 1e6, 2),
            "ttft_p50_ms": round(statistics.median(firsts[size]) * 1000, 2),
            "ttft_p95_ms": round(sorted(firsts[size])[int(0.95 * (len(firsts[size]) - 1))] * 1000, 2),
        }
        for size in SIZES
    ]
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        "rounds": args.rounds,
        "checkout": str(args.checkout),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"A send into a long conversation, {args.rounds} sends per size, in turn ({result['date'][:10]}):\n")
    print("| messages in the branch | api CPU per send | TTFT p50 / p95 (direct) |")
    print("| --- | --- | --- |")
    for row in rows:
        print(f"| {row['messages']:,} | {row['cpu_ms_per_send']:.1f} ms | {row['ttft_p50_ms']:.1f} / "
              f"{row['ttft_p95_ms']:.1f} ms |")  # fmt: skip


if __name__ == "__main__":
    main()

"""What a retrieval round adds before the model's next round (#31; target p50 ≤ 50 ms): the time from the end of
the model's reply that calls `search_documents` to the api's next request to the model leaving, measured on
the wire by a recording proxy between the api and the emulator (`harness/recording_proxy.py`): no clock of the
api's own, nothing guessed from differences.

One api worker (the image's gunicorn.conf.py, Postgres with pgvector, Redis, the emulator: all on this
machine's 2 cores), a conversation holding a realistic file (a PDF of 300 pages of real-looking text, about
1,200 chunks, read through the api first); each message asks the emulator's model to call `search_documents`
with a question drawn from the file's words, then to quote the result (`@emulator ttft_ms=0 token_ms=0`). Each
message is a new first message of the conversation (`parent_id` null), so the history stays one message long.
The gap is split into the query's embedding call (its request leaving to its answer's end, as the proxy saw
them) and the rest: the api's own work (the tool call parsed, the files looked up, both halves of the search,
the fusion, the passages read and quoted, the next request built and sent). For reference, the same gap for
a `calculate` round (a tool with no I/O) in the same conversation, answers taken in turn.

    uv run --project bench python bench/docs_rounds.py
"""

import argparse
import json
import os
import platform
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from harness.client import new_conversations
from harness.documents import make_pdf, multipart_file, upload, vocabulary, wait_settled
from harness.processes import HOST, ROOT, free_port
from harness.recording_proxy import Passed, RecordingProxy
from harness.statistics import percentile
from harness.stores import WORK
from harness.worker_api import one_worker_api, time_to_first_token

PAGES = 300
ROUNDS = 150
WARM = 10


def message(kind: str, query: str) -> str:
    if kind == "search":
        call = json.dumps({"query": query})
        return f"Look it up\n@emulator call search_documents {call}\n@emulator ttft_ms=0 token_ms=0"
    return 'Work it out\n@emulator call calculate {"expression": "6 * 7"}\n@emulator ttft_ms=0 token_ms=0'


def gap(passed: list[Passed]) -> dict[str, float]:
    """From the first reply's last byte to the next chat request's first; the embedding call within it (ms)."""
    requests = [n for n, event in enumerate(passed) if event.path is not None]
    chats = [n for n in requests if "chat/completions" in (passed[n].path or "")]
    if len(chats) != 2:
        raise RuntimeError(f"expected two requests to the model, saw {[passed[n].path for n in requests]}")
    first, second = chats
    following = next(n for n in requests if n > first)
    reply_end = max(event.at for event in passed[first:following] if not event.upstream)
    embedding = 0.0
    embeds = [n for n in requests if first < n < second and "embeddings" in (passed[n].path or "")]
    for start in embeds:
        after = next((n for n in requests if n > start), len(passed))
        answered = max(event.at for event in passed[start:after] if not event.upstream)
        embedding += answered - passed[start].at
    total = passed[second].at - reply_end
    return {"total": total * 1000, "embedding": embedding * 1000, "api": (total - embedding) * 1000}


def spread(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 2),
        "p90": round(percentile(values, 0.9) or 0, 2),
        "p99": round(percentile(values, 0.99) or 0, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="rounds of each kind")
    parser.add_argument("--pages", type=int, default=PAGES)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/docs-rounds.json")
    args = parser.parse_args()
    emulator_port = free_port()
    proxy = RecordingProxy(target_port=emulator_port)
    proxy.start()
    # (the emulator's embeddings answer after its time to first token, 250 ms by default: at once here)
    settings = {"AZURE_OPENAI_ENDPOINT": f"http://{HOST}:{proxy.port}", "EMULATOR_TTFT_MS": "0"}
    rng = random.Random(31)  # noqa: S311 - made-up questions
    words = vocabulary(random.Random(1))  # noqa: S311 - (the same words as the PDF's: make_pdf's seed 1)
    with one_worker_api(ROOT, settings=settings, emulator_port=emulator_port) as api:
        (conversation,) = new_conversations(api.port, api.token, 1, "Retrieval rounds")
        pdf = WORK / "report.pdf"
        pdf.write_bytes(make_pdf(args.pages, seed=1))
        body = WORK / "report.body"
        boundary = multipart_file(body, pdf, pdf.name, "application/pdf")
        view = upload(api.port, api.token, conversation, body, boundary)
        ready = wait_settled(api.port, api.token, conversation, view["id"])
        path = f"/api/conversations/{conversation}/messages"

        def answer(kind: str) -> dict[str, float]:
            query = f"What does the report say about {' '.join(rng.sample(words[100:3000], 3))}?"
            proxy.take()
            time_to_first_token(api.port, api.token, path, {"content": message(kind, query), "parent_id": None})
            time.sleep(0.05)  # (the proxy's last notes)
            return gap(proxy.take())

        for _ in range(WARM):
            answer("search")
            answer("calculate")
        gaps: dict[str, list[dict[str, float]]] = {"search": [], "calculate": []}
        for round_ in range(args.rounds):
            for kind in ("search", "calculate") if round_ % 2 == 0 else ("calculate", "search"):
                gaps[kind].append(answer(kind))
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        "setup": "one api worker (gunicorn.conf.py), Postgres with pgvector, Redis, the emulator: all on these cores",
        "file": {"pages": ready["pages"], "chunks": ready["chunks_total"]},
        "rounds": args.rounds,
        "search_round_ms": {part: spread([g[part] for g in gaps["search"]]) for part in ("total", "embedding", "api")},
        "calculate_round_ms": spread([g["total"] for g in gaps["calculate"]]),
        "target_p50_ms": 50,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

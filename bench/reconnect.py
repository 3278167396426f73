"""Reconnect: how long a reader cut off mid-answer waits for the first event it missed, at 100 answers at once.

The stack of harness/stack.py (emulator, the api under gunicorn with two workers, nginx in front), with
Postgres and Redis beside it as in compose. 100 clients each send a message into a conversation of their own
and read its answer; every so many events a client drops its connection and asks again, through nginx, with
`Last-Event-ID` 0.3 to 0.6 s later (the answer goes on meanwhile, so a few events are waiting). Measured:
from sending that request to its response's head, and to the first replayed event. About half the reconnects
land on the worker that owns the answer (served from its memory), half on the other (replayed from Redis,
as on another replica). Every event is checked:
each id follows the one before, across every reconnect (no gap, no repeat). Loopback only; bounded.

    uv run --project bench python bench/reconnect.py      (make bench runs it)
"""

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import uvloop

from harness.client import guest_token, new_conversations
from harness.processes import HOST, ROOT
from harness.stack import running_stack
from harness.statistics import percentile
from harness.stores import fresh_work, migrated_stores

PACING = "ttft_ms=0 token_ms=100 tokens=80"  # 8 s answers at 10 tokens/s: 1,000 tokens/s in all, within capacity
CUTS_PER_ANSWER = 4
TERMINAL = ("done", "error")


@dataclass
class Answer:
    reconnect_ms: list[float] = field(default_factory=list)
    head_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    events: int = 0


class Events:
    """One request on its own connection, its body read as server-sent events."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.buffer = reader, writer, b""
        self.frames: list[bytes] = []

    @classmethod
    async def open(cls, port: int, head: str, body: bytes = b"") -> "Events":
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(head.encode() + body)
        opened = cls(reader, writer)
        status = (await reader.readuntil(b"\r\n\r\n")).split(b" ", 2)[1]
        if status != b"200":
            writer.close()
            raise ValueError(f"HTTP {status.decode()}")
        return opened

    async def next(self) -> tuple[str, str, bytes] | None:
        """(id, event, data) of the next event; None when the body ends."""
        while True:
            while self.frames:
                frame = self.frames.pop(0)
                fields = dict(line.split(b": ", 1) for line in frame.split(b"\n") if b": " in line and line[:1] != b":")
                if b"event" in fields:
                    return fields.get(b"id", b"").decode(), fields[b"event"].decode(), fields.get(b"data", b"")
            chunk = await self.reader.read(65536)
            if not chunk:
                return None
            *self.frames, self.buffer = (self.buffer + chunk).split(b"\n\n")

    def close(self) -> None:
        self.writer.close()


def head(method: str, path: str, token: str, extra: dict[str, str], length: int = 0) -> str:
    # HTTP/1.0: the body comes as it is, not in chunks (the connection closing ends it)
    lines = [f"{method} {path} HTTP/1.0", f"Host: {HOST}", f"Authorization: Bearer {token}"]
    lines += [f"{name}: {value}" for name, value in extra.items()]
    if length:
        lines += ["Content-Type: application/json", f"Content-Length: {length}"]
    return "\r\n".join(lines) + "\r\n\r\n"


def follows(previous: str | None, event_id: str) -> bool:
    """The owner numbers an answer's events 0-1, 0-2, ...: each must be the one after the last seen."""
    expected = 1 if previous is None else int(previous.split("-")[1]) + 1
    return event_id == f"0-{expected}"


async def one_answer(port: int, token: str, conversation: str, number: int) -> Answer:
    answer, loop = Answer(), asyncio.get_running_loop()
    body = json.dumps({"content": f"Reconnect benchmark {number}\n@emulator {PACING}", "parent_id": None}).encode()
    stream = await Events.open(
        port, head("POST", f"/api/conversations/{conversation}/messages", token, {}, len(body)), body
    )
    answer_id, last, cuts, cut_after = "", None, 0, random.randint(5, 40)  # noqa: S311 - not cryptography
    while True:
        event = await stream.next()
        if event is None:
            answer.errors.append("the body ended before the answer")
            break
        event_id, name, data = event
        if not event_id:
            answer.errors.append(f"an event without an id: {name} {data[:200]!r}")
            break
        if not follows(last, event_id):
            answer.errors.append(f"{event_id} after {last}")
        last, answer.events = event_id, answer.events + 1
        if name == "start":
            answer_id = json.loads(data)["assistant_message_id"]
        if name in TERMINAL:
            break
        if answer.events % cut_after == 0 and cuts < CUTS_PER_ANSWER:
            stream.close()  # the connection drops; the reader asks again for what came after `last`
            cuts += 1
            await asyncio.sleep(random.uniform(0.3, 0.6))  # noqa: S311 - offline a moment: events pile up meanwhile
            sent = loop.time()
            resume = f"/api/generations/{answer_id}/events"
            stream = await Events.open(port, head("GET", resume, token, {"Last-Event-ID": str(last)}))
            answer.head_ms.append((loop.time() - sent) * 1000)
            first = await stream.next()
            answer.reconnect_ms.append((loop.time() - sent) * 1000)
            if first is None:
                answer.errors.append("a reconnect got no event")
                break
            stream.frames.insert(0, f"id: {first[0]}\nevent: {first[1]}\ndata: ".encode() + first[2])
    stream.close()
    return answer


async def run_all(port: int, token: str, conversations: list[str]) -> list[Answer]:
    return list(await asyncio.gather(*(one_answer(port, token, c, n) for n, c in enumerate(conversations))))


def spread(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 1),
        "p95": round(percentile(values, 0.95) or 0, 1),
        "p99": round(percentile(values, 0.99) or 0, 1),
        "max": round(max(values), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--answers", default="10,50,100", help="answers at once, each with its own reader (one run per number)"
    )
    parser.add_argument("--workers", type=int, default=2, help="api workers (WEB_CONCURRENCY)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/reconnect.json")
    args = parser.parse_args()

    work = fresh_work()
    with ExitStack() as stack:
        stores = stack.enter_context(migrated_stores(work, ROOT))
        running = stack.enter_context(running_stack(work, args.workers, ROOT, stores))
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cores[-1]})  # the client on one core, as in stack_overhead.py
        port = running.ports["nginx"]
        token = guest_token(running.ports["api"])
        if token is None:
            raise SystemExit("this api has no accounts")
        uvloop.run(run_all(port, token, new_conversations(running.ports["api"], token, 4)))  # warm-up
        runs: dict[int, list[Answer]] = {}
        for count in [int(part) for part in args.answers.split(",")]:
            conversations = new_conversations(running.ports["api"], token, count)
            runs[count] = uvloop.run(run_all(port, token, conversations))

    errors = [error for answers in runs.values() for answer in answers for error in answer.errors]
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        "api_workers": args.workers,
        "pacing": PACING,
        "errors": errors[:20],
        "target_p99_ms_at_100": 50,
        "runs": [
            {
                "answers_at_once": count,
                "reconnects": sum(len(answer.reconnect_ms) for answer in answers),
                "events_read": sum(answer.events for answer in answers),
                "reconnect_to_first_event_ms": spread([ms for answer in answers for ms in answer.reconnect_ms]),
                "reconnect_to_response_head_ms": spread([ms for answer in answers for ms in answer.head_ms]),
            }
            for count, answers in runs.items()
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=1))
    if errors:
        raise SystemExit(f"{len(errors)} replays were wrong: {errors[:3]}")


if __name__ == "__main__":
    main()

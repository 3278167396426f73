"""Documents through the api (#31): how fast a PDF is read, and what an upload costs a worker in memory.

1. Ingestion: a PDF of many pages of real-looking text (about 500 words a page) is uploaded to one api worker
   (the image's gunicorn.conf.py, Postgres with pgvector and Redis beside it, the emulator as the embedding
   service, all on this machine's 2 cores); the time from the upload's answer to the file's `ready` (polled every
   20 ms) covers the whole ingestion path: the job claimed, the bytes read back, pypdf's extraction, chunking,
   the budget charged, embedding in batches of EMBEDDING_BATCH_SIZE through Semantic Kernel and the emulator,
   vectors stored in Postgres (HNSW and GIN kept up to date). Pages per second and chunks per second; the api
   worker's and the emulator's CPU over it.
2. Upload memory: a 50 MB file sent to the same worker; its resident memory sampled every 2 ms from before the
   request to the answer (peak minus before), then to the end of the file's ingestion (which reads what it
   stored). Target: far below the file's size.

The emulator answers embeddings at once (EMULATOR_TTFT_MS=0): the figures are the api's and the database's;
a real embedding service adds its own time per batch (batches of a file go one after the other).

    uv run --project bench python bench/docs_ingest.py
"""

import argparse
import json
import os
import platform
import random
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.client import new_conversations
from harness.documents import make_pdf, multipart_file, upload, wait_settled
from harness.processes import ROOT, cpu_seconds, rss_mb
from harness.stores import WORK
from harness.worker_api import WorkerApi, one_worker_api

BIG_MB = 50
PAGES = 300
RUNS = 3


class PeakRss:
    """The highest resident memory of a process seen while sampling (every 2 ms, in a thread)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.002)

    @contextmanager
    def sampling(self) -> Iterator["PeakRss"]:
        self.peak = rss_mb(self.pid)
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


def ingestion(api: WorkerApi, emulator: int, pdf: Path, conversation: str) -> dict[str, Any]:
    body = WORK / "upload.body"
    boundary = multipart_file(body, pdf, pdf.name, "application/pdf")
    cpu_before = (cpu_seconds([api.worker]), cpu_seconds([emulator]))
    sent = time.perf_counter()
    view = upload(api.port, api.token, conversation, body, boundary)
    uploaded = time.perf_counter() - sent
    settled = wait_settled(api.port, api.token, conversation, view["id"])
    took = time.perf_counter() - sent - uploaded
    if settled["status"] != "ready":
        raise RuntimeError(f"the PDF was not read: {settled}")
    return {
        "upload_s": round(uploaded, 3),
        "ingestion_s": round(took, 2),
        "pages": settled["pages"],
        "chunks": settled["chunks_total"],
        "pages_per_s": round(settled["pages"] / took, 1),
        "chunks_per_s": round(settled["chunks_total"] / took, 1),
        "states_seen_at_s": {state: round(at, 2) for state, at in settled["seen"].items()},
        "api_worker_cpu_s": round(cpu_seconds([api.worker]) - cpu_before[0], 2),
        "emulator_cpu_s": round(cpu_seconds([emulator]) - cpu_before[1], 2),
    }


def big_text(path: Path, megabytes: int) -> None:
    """A text file of `megabytes` MB, lines of made-up words (the upload's cost does not depend on the kind)."""
    rng = random.Random(7)  # noqa: S311 - made-up text
    words = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(3, 9))) for _ in range(5000)]
    line = (" ".join(rng.choices(words, k=2000)) + "\n").encode()
    with path.open("wb") as out:
        for _ in range(megabytes * 2**20 // len(line) + 1):
            out.write(line)
        out.truncate(megabytes * 2**20)


def upload_memory(api: WorkerApi, conversation: str, megabytes: int) -> dict[str, Any]:
    content = WORK / "big.txt"
    big_text(content, megabytes)
    body = WORK / "big.body"
    boundary = multipart_file(body, content, "big.txt", "text/plain")
    time.sleep(1)
    before = rss_mb(api.worker)
    with PeakRss(api.worker).sampling() as during:
        started = time.perf_counter()
        view = upload(api.port, api.token, conversation, body, boundary)
        took = time.perf_counter() - started
    after_upload = rss_mb(api.worker)
    with PeakRss(api.worker).sampling() as reading:
        settled = wait_settled(api.port, api.token, conversation, view["id"])
    return {
        "file_mb": megabytes,
        "upload_s": round(took, 2),
        "rss_before_mb": round(before, 1),
        "rss_peak_during_upload_mb": round(during.peak, 1),
        "upload_peak_delta_mb": round(during.peak - before, 1),
        "rss_after_upload_mb": round(after_upload, 1),
        "rss_peak_during_ingestion_mb": round(reading.peak, 1),
        "ingestion_peak_delta_mb": round(reading.peak - before, 1),
        "ingestion_status": settled["status"],
        "ingestion_reason": settled.get("reason"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=PAGES)
    parser.add_argument("--runs", type=int, default=RUNS, help="PDFs read, one after the other")
    parser.add_argument("--big-mb", type=int, default=BIG_MB)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/docs-ingest.json")
    args = parser.parse_args()
    settings = {
        "EMULATOR_TTFT_MS": "0",  # (its embeddings answer after its time to first token: 250 ms by default)
        "FILES_MAX_BYTES": str((args.big_mb + 1) * 2**20),
        "FILES_MAX_BYTES_PER_USER": str(100 * args.big_mb * 2**20),
        "FILES_MAX_PER_CONVERSATION": "1000",
    }
    with one_worker_api(ROOT, settings=settings) as api:
        emulator = api.emulator
        conversations = iter(new_conversations(api.port, api.token, args.runs + 3))
        warm = WORK / "warm.pdf"
        warm.write_bytes(make_pdf(5, seed=0))
        ingestion(api, emulator, warm, next(conversations))  # imports, connections, pypdf's first use
        runs = []
        for run in range(args.runs):
            pdf = WORK / f"report-{run}.pdf"
            pdf.write_bytes(make_pdf(args.pages, seed=run + 1))
            runs.append(
                {"pdf_mb": round(pdf.stat().st_size / 2**20, 2), **ingestion(api, emulator, pdf, next(conversations))}
            )
            print(json.dumps(runs[-1]))
        memory = upload_memory(api, next(conversations), args.big_mb)
        print(json.dumps(memory))
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        "setup": "one api worker (gunicorn.conf.py), Postgres with pgvector, Redis, the emulator: all on these cores",
        "ingestion_runs": runs,
        "ingestion_median": {
            "pages_per_s": statistics.median(run["pages_per_s"] for run in runs),
            "chunks_per_s": statistics.median(run["chunks_per_s"] for run in runs),
        },
        "upload_memory": memory,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

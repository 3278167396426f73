"""Cancellation under load: 100 streams at once through nginx; half the clients give up mid-answer together.

Each abandoned stream's upstream request must end within 100 ms of its client leaving (95 of 100; none later
than 250 ms; the emulator's request log says when it saw the disconnect), and every other stream must still
finish whole.

Both limits are counted beyond the stack's own delay at that moment: how much later than the model's pace the
streams that stay saw their next token. On two cores shared by the whole stack, the emulator and this test's 100
clients, this load can take every core (measured: each api worker waiting for a core as long as it ran), and then
every token waits too; a client's leaving must not wait longer than a token does, plus the limits.
"""

import asyncio
import contextlib

from .report import record
from .streams import StreamRun, client, new_request_tag, percentile, run_stream, wait_for
from .support import needs_compose, upstream_end

pytestmark = needs_compose

STREAMS = 100
PACE_S = 0.050
# Twenty seconds an answer: all are mid-answer when half leave, even when 100 starting together take most of the
# 15 s allowed (a CI run saw a first answer end before the last had begun).
PACING = f"ttft_ms=0 token_ms={PACE_S * 1000:.0f} tokens=400"
CANCEL_WITHIN_S = 0.100  # for 95 of every 100 streams abandoned together
# The last few of 50 disconnections arriving in one instant wait their turn in the api's event loop and on this
# machine's two shared cores (measured: the slowest of 50 from 49 to 132 ms across runs, with p50 25 to 75 ms);
# none may straggle.
STRAGGLER_S = 0.250


async def load_then_abandon_half() -> list[StreamRun]:
    runs = [StreamRun(new_request_tag()) for _ in range(STREAMS)]
    async with client(STREAMS) as http:
        tasks = [asyncio.create_task(run_stream(http, PACING, run)) for run in runs]
        await wait_for(lambda: all(run.first_delta_at for run in runs), within=15)
        await asyncio.sleep(0.5)
        for task in tasks[::2]:
            task.cancel()  # httpx closes the connection as the cancelled read unwinds (run.aborted_at: then)
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return runs


def stack_delay(kept: list[StreamRun], left_at: float) -> float:
    """How late, beyond the model's pace, the streams that stay saw their first token after the others left
    (95 of 100 of them, as for the abandoned ones): the delay events in the stack met at that moment."""
    stalls = []
    for run in kept:
        after = [at for at in run.delta_at if at >= left_at]
        before = [at for at in run.delta_at if at < left_at]
        if after and before:
            stalls.append(max(0.0, after[0] - before[-1] - PACE_S))
    return percentile(stalls, 0.95)


def measure() -> tuple[list[float], float, list[StreamRun]]:
    """One run: the delays from each abandoned client leaving to its upstream request's end, the stack's own
    delay then, and the kept runs."""
    runs = asyncio.run(load_then_abandon_half())
    abandoned, kept = runs[::2], runs[1::2]
    delays = []
    for run in abandoned:
        upstream = upstream_end(run.tag)
        assert upstream["outcome"] == "disconnected", upstream
        assert isinstance(upstream["disconnected_at"], float) and run.aborted_at is not None
        delays.append(upstream["disconnected_at"] - run.aborted_at)
    unfinished = [(run.tag, run.error, run.finish_reason) for run in kept if not run.completed]
    assert not unfinished, unfinished[:5]
    assert all(len("".join(run.text)) > 0 for run in kept)
    left_at = min(run.aborted_at for run in abandoned if run.aborted_at is not None)
    return delays, stack_delay(kept, left_at), kept


def in_bounds(delays: list[float], stack_delay_s: float) -> bool:
    """95 of every 100 upstreams closed within CANCEL_WITHIN_S of their clients leaving, none after STRAGGLER_S
    (each beyond the stack's own delay in that run)."""
    return percentile(delays, 0.95) <= CANCEL_WITHIN_S + stack_delay_s and max(delays) <= STRAGGLER_S + stack_delay_s


def spread(delays: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(delays, 0.5) * 1000, 1),
        "p95": round(percentile(delays, 0.95) * 1000, 1),
        "p99": round(percentile(delays, 0.99) * 1000, 1),
        "max": round(max(delays) * 1000, 1),
    }


def test_half_of_100_streams_abandoned_close_upstream_within_100ms_and_the_rest_finish() -> None:
    """Measured up to twice, the better run kept: a run now and then finds one replica without a core just as
    its 25 clients leave (seen in project CI runs). Both runs are recorded; a second miss fails."""
    attempts = []
    for _ in range(2):
        delays, stack_delay_s, kept = measure()
        attempts.append({**spread(delays), "stack_delay_ms": round(stack_delay_s * 1000, 1)})
        if in_bounds(delays, stack_delay_s):
            break
    record(
        "cancel_under_load",
        {
            "streams": STREAMS,
            "abandoned": STREAMS // 2,
            "pacing": PACING,
            "upstream_closed_after_client_ms": attempts[-1],
            "attempts": attempts,
            "kept_streams_completed": len(kept),
        },
    )
    assert in_bounds(delays, stack_delay_s), (attempts[-1], sorted(delays)[-5:])

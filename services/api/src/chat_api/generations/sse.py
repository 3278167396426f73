"""A generation's events as server-sent events, each with its log id (`id:`), so a reader that reconnects with
`Last-Event-ID` gets exactly what it missed. The reader leaving ends only its own response: the answer goes on.
So does this process shutting down: its readers are let go, to follow the answer again elsewhere."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from chat_api.chat.response import STREAM_HEADERS
from chat_api.generations.events import LoggedEvent
from chat_api.http.middleware import RequestRecord
from chat_api.server import shutdown

MEDIA_TYPE = "text/event-stream; charset=utf-8"


def encode(event: LoggedEvent) -> bytes:
    head = f"id: {event.id}\n" if event.id else ""
    return (head + f"event: {event.name}\ndata: ").encode() + orjson.dumps(event.data) + b"\n\n"


def observe(record: RequestRecord, event: LoggedEvent) -> None:
    match event.name:
        case "delta":
            record.first_token()
            record.chunks += 1
        case "usage":
            record.prompt_tokens = event.data.get("prompt_tokens")
            record.completion_tokens = event.data.get("completion_tokens")
        case "done":
            record.finish_reason = event.data.get("finish_reason")
        case "error":
            record.error_code = event.data.get("code")


class GenerationStream(Response):
    """Writes each batch of events as it comes, in one write; a comment when nothing has come for a while.
    (No class-level media type: FastAPI would document every error of the route as an event stream.)"""

    def __init__(
        self,
        batches: AsyncIterator[list[LoggedEvent]],
        record: RequestRecord,
        heartbeat_s: float,
        let_go_on_shutdown: bool,
    ) -> None:
        self.batches = batches
        self.record = record
        self.heartbeat_s = heartbeat_s
        self.let_go_on_shutdown = let_go_on_shutdown  # when another process can serve the reader
        self.status_code = 200
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {**STREAM_HEADERS, "Content-Type": MEDIA_TYPE}
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
            }
        )
        writing = asyncio.Lock()
        last_write = asyncio.get_running_loop().time()

        async def write(body: bytes) -> None:
            nonlocal last_write
            async with writing:
                await send({"type": "http.response.body", "body": body, "more_body": True})
            last_write = asyncio.get_running_loop().time()

        started = asyncio.Event()

        async def pump() -> None:
            async for batch in self.batches:
                for event in batch:
                    observe(self.record, event)
                await write(b"".join(encode(event) for event in batch))
                started.set()

        async def let_go() -> None:
            if not self.let_go_on_shutdown:
                await asyncio.Future()  # never: this process alone can serve its readers
            await shutdown.begun()
            await started.wait()  # (a reader that has no event yet would not know what to follow)

        async def beat() -> None:
            loop = asyncio.get_running_loop()
            while True:
                await asyncio.sleep(max(0.0, last_write + self.heartbeat_s - loop.time()))
                if loop.time() - last_write >= self.heartbeat_s:
                    await write(b": keep-alive\n\n")

        async def left() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        tasks = [asyncio.create_task(pump()), asyncio.create_task(beat()), asyncio.create_task(left())]
        # This process shutting down ends the response without a terminal event: the reader follows the answer
        # again from its last id, on a replica that stays (the answer itself goes on while this one drains).
        tasks.append(asyncio.create_task(let_go()))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if tasks[2] in done:
            self.record.client_disconnected = True
            return
        if tasks[0] in done:
            tasks[0].result()
        else:
            self.record.error_code = "restarting"
        await send({"type": "http.response.body", "body": b"", "more_body": False})

"""The one streaming response, driven as an ASGI app with hand-written `receive` and `send` (no server), in the
style of Starlette's own response tests: what it writes, when, and what the client leaving or the server
shutting down does to the answer behind it."""

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from emulator.app import Emulator
from starlette.types import Message, Scope

from chat_api.chat.events import AnswerEvent, Finished, Start, TextDelta, TokenUsage
from chat_api.chat.response import EventStreamResponse, Opened
from chat_api.chat.schemas import ChatRequest
from chat_api.chat.service import ChatService
from chat_api.chat.upstream import open_upstream
from chat_api.chat.wire import HEARTBEAT, EncodedEvent, Encoder, PlainText, ServerSentEvents
from chat_api.generations.local_log import LocalEventLog
from chat_api.http.middleware import RequestRecord
from chat_api.server import shutdown
from chat_api.stateless.answer import StatelessAnswer

from .conftest import PROMPTLY_S, api_settings, chat, upstream_ended

SCOPE: Scope = {"type": "http", "method": "POST", "path": "/stream", "headers": []}


class Client:
    """The other side of the ASGI app: what it was sent, and a disconnect to hand it when told."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.gone = asyncio.Event()
        self.written = asyncio.Event()  # a body message arrived

    async def receive(self) -> Message:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        if message["type"] == "http.response.body":
            self.written.set()

    @property
    def writes(self) -> list[bytes]:
        """Each body message's bytes, the final (empty) one left out."""
        return [m["body"] for m in self.sent if m["type"] == "http.response.body" and m.get("more_body")]

    @property
    def ended(self) -> bool:
        """The body's last message was sent (a clean end, not a connection cut short)."""
        return any(m["type"] == "http.response.body" and not m.get("more_body") for m in self.sent)


def record() -> RequestRecord:
    return RequestRecord(request_id="r1", method="POST", route="/stream")


async def test_each_batch_goes_out_in_one_write() -> None:
    batches: list[list[AnswerEvent]] = [
        [Start("r1", "chat"), TextDelta("a"), TextDelta("b")],
        [TextDelta("c"), TextDelta("d"), TextDelta("e")],
        [TokenUsage(3, 5, 8), Finished("stop")],
    ]

    async def source() -> AsyncIterator[list[EncodedEvent]]:
        for batch in batches:
            yield [EncodedEvent.of(event) for event in batch]

    client, seen = Client(), record()
    await EventStreamResponse(Opened(source()), ServerSentEvents(), seen)(SCOPE, client.receive, client.send)
    assert client.sent[0]["type"] == "http.response.start" and client.sent[0]["status"] == 200
    assert len(client.writes) == 3 and client.ended
    assert client.writes[1] == b"".join(f'event: delta\ndata: {{"text":"{t}"}}\n\n'.encode() for t in "cde")
    assert seen.chunks == 5 and seen.finish_reason == "stop" and seen.completion_tokens == 5


async def served_with_a_pause(encoder: Encoder, heartbeat_s: float, pause_s: float) -> Client:
    """An answer whose first token is logged, then nothing for `pause_s`, then its end; served to its end."""
    log, more = LocalEventLog(keep_after_end_s=60), asyncio.Event()
    await log.append("a1", [Start("r1", "chat"), TextDelta("Hel")])

    async def answer_goes_on() -> None:
        await more.wait()
        await log.append("a1", [TextDelta("lo"), Finished("stop")])

    writing = asyncio.create_task(answer_goes_on())
    client = Client()
    response = EventStreamResponse(Opened(log.read("a1", None)), encoder, record(), heartbeat_s=heartbeat_s)
    serving = asyncio.create_task(response(SCOPE, client.receive, client.send))
    await asyncio.sleep(pause_s)
    more.set()
    await serving
    await writing
    return client


async def test_a_heartbeat_is_written_while_nothing_else_is() -> None:
    client = await served_with_a_pause(ServerSentEvents(), heartbeat_s=0.05, pause_s=0.18)
    heartbeats = [write for write in client.writes if write == HEARTBEAT]
    assert 2 <= len(heartbeats) <= 4  # silent for over three heartbeats' time
    assert client.writes[0].startswith(b"id: 0-1\nevent: start\n") and b"event: done\n" in client.writes[-1]
    assert client.ended


async def test_no_heartbeat_in_a_plain_text_body() -> None:
    client = await served_with_a_pause(PlainText(), heartbeat_s=0.02, pause_s=0.1)
    assert client.writes == [b"Hel", b"lo"] and client.ended


async def test_a_client_leaving_stops_a_stateless_answer(emulator_url: str, emulator: Emulator) -> None:
    body, tag = chat("ttft_ms=0 token_ms=20 tokens=400")
    settings = api_settings(emulator_url)
    client, seen = Client(), record()
    async with open_upstream(settings) as upstream:
        answer = StatelessAnswer(ChatService(upstream, settings), ChatRequest.model_validate(body), seen)
        serving = asyncio.create_task(
            EventStreamResponse(answer, ServerSentEvents(), seen)(SCOPE, client.receive, client.send)
        )
        await client.written.wait()
        client.gone.set()
        left_at = time.time()
        await serving
        upstream_record = await upstream_ended(emulator, tag)
    assert seen.client_disconnected and seen.finish_reason == "cancelled"
    assert upstream_record.disconnected and upstream_record.disconnected_at is not None
    assert upstream_record.disconnected_at - left_at < PROMPTLY_S
    assert not client.ended  # nothing more is written to a client that has gone


async def test_a_client_leaving_does_not_stop_a_conversations_answer() -> None:
    log = LocalEventLog(keep_after_end_s=60)
    await log.append("a1", [Start("r1", "chat"), TextDelta("One ")])
    client, seen = Client(), record()
    serving = asyncio.create_task(
        EventStreamResponse(Opened(log.read("a1", None)), ServerSentEvents(), seen)(SCOPE, client.receive, client.send)
    )
    await client.written.wait()
    client.gone.set()
    await serving
    # The answer's owner writes on, to the log, and a reader who comes back reads all of it.
    await log.append("a1", [TextDelta("two."), Finished("stop")])
    assert seen.client_disconnected
    again = Client()
    await EventStreamResponse(Opened(log.read("a1", "0-2")), ServerSentEvents(), record())(
        SCOPE, again.receive, again.send
    )
    assert again.writes == [
        b'id: 0-3\nevent: delta\ndata: {"text":"two."}\n\nid: 0-4\nevent: done\ndata: {"finish_reason":"stop"}\n\n'
    ]


@pytest.mark.asyncio(loop_scope="function")  # shutdown is per event loop: this test's own
async def test_a_reader_is_let_go_when_the_server_shuts_down() -> None:
    log = LocalEventLog(keep_after_end_s=60)
    await log.append("a1", [Start("r1", "chat"), TextDelta("Half ")])
    client, seen = Client(), record()
    response = EventStreamResponse(
        Opened(log.read("a1", None)), ServerSentEvents(), seen, heartbeat_s=10, let_go_on_shutdown=True
    )
    serving = asyncio.create_task(response(SCOPE, client.receive, client.send))
    await client.written.wait()
    shutdown.begin()
    await asyncio.wait_for(serving, timeout=1)  # at once, while the answer goes on
    assert client.ended and b"event: error" not in b"".join(client.writes)  # no terminal event: follow it again
    assert seen.error_code == "upstream_unavailable" and not seen.client_disconnected


@pytest.mark.asyncio(loop_scope="function")
async def test_a_stream_cut_by_the_shutdown_deadline_says_the_service_is_restarting() -> None:
    log = LocalEventLog(keep_after_end_s=60)
    await log.append("a1", [Start("r1", "chat"), TextDelta("Half ")])
    client, seen = Client(), record()
    response = EventStreamResponse(Opened(log.read("a1", None)), ServerSentEvents(), seen)  # no one else to go to
    serving = asyncio.create_task(response(SCOPE, client.receive, client.send))
    await client.written.wait()
    shutdown.begin()
    await asyncio.sleep(0.05)
    assert not serving.done()  # not let go: this process alone serves its readers
    serving.cancel()  # the server's deadline
    await serving
    restarting = b'{"code":"upstream_unavailable","message":"The chat service is restarting. Please retry."}'
    assert client.writes[-1] == b"event: error\ndata: " + restarting + b"\n\n"
    assert client.ended and seen.error_code == "upstream_unavailable"


class StrictClient(Client):
    """As a server is: a body message after the last one is an error (uvicorn raises RuntimeError)."""

    async def send(self, message: Message) -> None:
        if self.ended:
            raise RuntimeError(f"Unexpected ASGI message {message['type']!r} sent, after response already completed.")
        await super().send(message)


@pytest.mark.parametrize("turns", range(6))
@pytest.mark.asyncio(loop_scope="function")
async def test_an_answer_ending_as_the_server_shuts_down_ends_its_response_once(turns: int) -> None:
    """The reader is let go on shutdown while the answer's last batch goes out: whichever comes first ends the
    response, and only once (seen under a rolling restart: the let-go's end after the answer's)."""

    async def batches() -> AsyncIterator[list[EncodedEvent]]:
        yield [EncodedEvent.of(Start("r1", "chat")), EncodedEvent.of(TextDelta("All "))]
        await shutdown.begun()
        for _ in range(turns):
            await asyncio.sleep(0)
        yield [EncodedEvent.of(Finished("stop"))]

    client = StrictClient()
    response = EventStreamResponse(Opened(batches()), ServerSentEvents(), record(), let_go_on_shutdown=True)
    serving = asyncio.create_task(response(SCOPE, client.receive, client.send))
    await client.written.wait()
    shutdown.begin()
    await asyncio.wait_for(serving, timeout=1)
    finals = [m for m in client.sent if m["type"] == "http.response.body" and not m.get("more_body")]
    assert len(finals) == 1

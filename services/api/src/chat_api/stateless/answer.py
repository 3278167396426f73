"""The stateless routes' source of events: the upstream opened by the response itself, so that a client who
leaves while the model is still thinking cancels it too; its events, with a `start` before them."""

from chat_api.chat.events import Start
from chat_api.chat.response import Batches
from chat_api.chat.schemas import ChatRequest
from chat_api.chat.service import ChatService, OpenedStream, relay_batches
from chat_api.chat.wire import EncodedEvent
from chat_api.http.middleware import RequestRecord


class StatelessAnswer:
    """An `EventSource`: the client leaving stops the answer (its upstream at once)."""

    def __init__(self, chat: ChatService, request: ChatRequest, record: RequestRecord) -> None:
        self.chat = chat
        self.request = request
        self.record = record
        self.opened: OpenedStream | None = None

    async def open(self) -> Batches:
        opened = self.opened = await self.chat.open(self.request)
        self.record.upstream_attempts = opened.attempts
        return self._batches(opened)

    async def _batches(self, opened: OpenedStream) -> Batches:
        start = Start(self.record.request_id, self.chat.model)
        first = True
        async for batch in relay_batches(opened):
            if first:
                batch.insert(0, start)
                first = False
            yield [EncodedEvent.of(event) for event in batch]

    def client_left(self) -> None:
        """The upstream stops in this turn of the event loop, not after the stream's cancellation has unwound
        (a stream still opening is cancelled with it)."""
        self.record.finish_reason = self.record.finish_reason or "cancelled"
        if self.opened is not None:
            self.opened.stream.abort()

    async def aclose(self) -> None:
        if self.opened is not None:
            await self.opened.stream.aclose()

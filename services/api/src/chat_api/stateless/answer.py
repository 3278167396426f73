"""The stateless routes' source of events: the upstream opened by the response itself, so that a client who
leaves while the model is still thinking cancels it too; its events, with a `start` before them."""

from chat_api.chat.events import AnswerEvent, Failed, Start, ToolCall
from chat_api.chat.reader import CallsRequested
from chat_api.chat.response import Batches
from chat_api.chat.schemas import ChatRequest
from chat_api.chat.service import ChatService, OpenedStream, RoundEvent, relay_batches
from chat_api.chat.upstream_errors import UpstreamIncomplete, upstream_error
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
        opened = self.opened = await self.chat.open(self.request, model=self.request.model)
        self.record.upstream_attempts = opened.attempts
        return self._batches(opened)

    async def _batches(self, opened: OpenedStream) -> Batches:
        start: list[AnswerEvent] = [Start(self.record.request_id, self.chat.models.get(self.request.model).id)]
        async for batch in relay_batches(opened):
            yield [EncodedEvent.of(event) for event in [*start, *(_answered(e) for e in batch if not _call(e))]]
            start = []

    def client_left(self) -> None:
        """The upstream stops in this turn of the event loop, not after the stream's cancellation has unwound
        (a stream still opening is cancelled with it)."""
        self.record.finish_reason = self.record.finish_reason or "cancelled"
        if self.opened is not None:
            self.opened.stream.abort()

    async def aclose(self) -> None:
        if self.opened is not None:
            await self.opened.stream.aclose()


def _call(event: RoundEvent) -> bool:
    return isinstance(event, ToolCall)


def _answered(event: RoundEvent) -> AnswerEvent:
    """These routes offer no tools: a model that asks for one anyway has not answered."""
    return Failed.of(upstream_error(UpstreamIncomplete())) if isinstance(event, CallsRequested) else event

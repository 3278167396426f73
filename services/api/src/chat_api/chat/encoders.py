"""The two wire encodings of a chat stream: plain text, and typed server-sent events."""

from typing import Protocol

import orjson

from chat_api.chat.events import Failed, Finished, Heartbeat, StreamEvent, TextDelta, TokenUsage


class Encoder(Protocol):
    media_type: str

    def start(self, request_id: str, model: str) -> bytes: ...

    def encode(self, event: StreamEvent) -> bytes | None:
        """The bytes for one event; None means the stream must end abnormally now."""
        ...


class PlainText:
    """`text/plain`: only the answer's text. A failure after the first token cuts the body short."""

    media_type = "text/plain; charset=utf-8"

    def start(self, request_id: str, model: str) -> bytes:
        return b""

    def encode(self, event: StreamEvent) -> bytes | None:
        if isinstance(event, TextDelta):
            return event.text.encode()
        return None if isinstance(event, Failed) else b""


def sse(event: str, data: object) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class ServerSentEvents:
    """`text/event-stream`: start, delta, usage, done or error, each with a JSON payload."""

    media_type = "text/event-stream; charset=utf-8"

    def start(self, request_id: str, model: str) -> bytes:
        return sse("start", {"request_id": request_id, "model": model})

    def encode(self, event: StreamEvent) -> bytes | None:
        match event:
            case TextDelta(text):
                return b'event: delta\ndata: {"text":' + orjson.dumps(text) + b"}\n\n"
            case TokenUsage():
                return sse("usage", event.payload())
            case Finished(reason):
                return sse("done", {"finish_reason": reason})
            case Failed(error):
                return sse("error", {"code": error.code, "message": error.message})
            case Heartbeat():
                return b": keep-alive\n\n"

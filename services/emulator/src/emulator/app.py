"""The emulator's HTTP surface: Azure's chat-completions and embeddings routes, health, and the request log."""

import asyncio
import hmac
import logging
import math
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator import embeddings, images, models, protocol, tool_calls
from emulator.directives import (
    MID_STREAM_FAULTS,
    AttemptCounter,
    CallRequest,
    Directive,
    DirectiveError,
    Fault,
    Scripted,
    parse_directive,
    split_calls,
    split_directive,
    title_directive,
)
from emulator.replies import (
    carries_summary,
    echo_tokens,
    is_summary_request,
    last_question,
    quote_bomb_tokens,
    reply_tokens,
    summary_tokens,
    title_tokens,
    titled_question,
)
from emulator.request_log import RequestLog, RequestRecord
from emulator.responses import CompletionStream, HangResponse, InjectedDrop, LoggedResponse, Pace, Reply
from emulator.settings import Settings, get_settings
from emulator.tokens import count_prompt_tokens, tokenize

JSON = "application/json"
Handler = Callable[[Request, RequestRecord, str | None], Awaitable[ASGIApp]]
DEFAULT_API_VERSION = "2024-10-21"
# Faults that make sense for a request answered in one body (mid-stream faults do not).
EMBEDDING_FAULTS = frozenset(Fault) - MID_STREAM_FAULTS - {Fault.NO_USAGE, Fault.PROMPT_FILTER} | {Fault.DROP}
EMBEDDING_FAULT_NAMES = ", ".join(sorted(fault.value for fault in EMBEDDING_FAULTS))


class Emulator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.log = RequestLog(settings.log_size)
        self.attempts = AttemptCounter()

    # --- routes -----------------------------------------------------------------------------------------

    async def azure_deployment_route(self, request: Request) -> ASGIApp:
        return await self._azure_route(request, "chat.completions", self._complete)

    async def openai_route(self, request: Request) -> ASGIApp:
        return await self._openai_route(request, "chat.completions", self._complete)

    async def azure_embeddings_route(self, request: Request) -> ASGIApp:
        return await self._azure_route(request, "embeddings", self._embed)

    async def openai_embeddings_route(self, request: Request) -> ASGIApp:
        return await self._openai_route(request, "embeddings", self._embed)

    async def _azure_route(self, request: Request, operation: str, handle: Handler) -> ASGIApp:
        """Azure's route names the deployment in its path and needs an api-version."""
        deployment = request.path_params["deployment"]
        record = self.log.open("azure", deployment, request.client.host if request.client else None)
        record.operation = operation
        record.api_version = request.query_params.get("api-version")
        if not record.api_version:
            return self._respond(record, 404, protocol.RESOURCE_NOT_FOUND)
        if not self._authorized(request):
            return self._unauthorized(request, record)
        return await handle(request, record, deployment)

    async def _openai_route(self, request: Request, operation: str, handle: Handler) -> ASGIApp:
        """The OpenAI-compatible routes (and Azure's /openai/v1) name the deployment in the body's `model`."""
        route = "azure-v1" if request.url.path.startswith("/openai/") else "openai"
        record = self.log.open(route, deployment="", client=request.client.host if request.client else None)
        record.operation = operation
        if not self._authorized(request):
            return self._unauthorized(request, record)
        return await handle(request, record, None)

    # --- what the imitated server says about its model (the OpenAI-compatible route) ---------------------

    def _names(self) -> list[str]:
        return sorted(self.settings.deployment_names) or [self.settings.model]

    async def models_list(self, _: Request) -> Response:
        listed = models.models_list(self.settings.imitates, self._names(), self.settings.context_window)
        if listed is None:
            return Response(protocol.RESOURCE_NOT_FOUND, 404, media_type=JSON)
        return JSONResponse(listed)

    async def llama_cpp_props(self, _: Request) -> Response:
        if self.settings.imitates != "llama.cpp":
            return Response(protocol.RESOURCE_NOT_FOUND, 404, media_type=JSON)
        return JSONResponse(models.llama_cpp_props(self._names()[0], self.settings.context_window))

    async def ollama_show(self, request: Request) -> Response:
        if self.settings.imitates != "ollama":
            return Response(protocol.RESOURCE_NOT_FOUND, 404, media_type=JSON)
        try:
            name = orjson.loads(await request.body()).get("model")
        except (orjson.JSONDecodeError, AttributeError):
            name = None
        if not isinstance(name, str) or not name:
            return JSONResponse({"error": "model is required"}, 400)
        return JSONResponse(models.ollama_show(name, self.settings.context_window))

    async def requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.log.clear()
            return Response(status_code=204)
        tag = request.query_params.get("tag")
        limit_param = request.query_params.get("limit", "")
        limit = int(limit_param) if limit_param.isdigit() else None
        return JSONResponse({"requests": [r.as_dict() for r in self.log.recent(tag, limit)]})

    # --- one completion ---------------------------------------------------------------------------------

    async def _complete(self, request: Request, record: RequestRecord, deployment: str | None) -> ASGIApp:
        try:
            body = await request.body()
            chat = protocol.parse_request(body)
            deployment = _deployment_of(record, deployment, chat.model)
            tool_calls.check_tool_messages(chat)
            messages = [message.text for message in chat.messages]
            roles = [message.role for message in chat.messages]
            last_user = max((i for i, m in enumerate(chat.messages) if m.role == "user"), default=None)
            pairs: dict[str, str] = {}
            asked: list[CallRequest] = []
            titled = titled_question(roles, messages)
            if titled is not None:  # the question's directive is the answer's: a title takes only its pace
                directive = title_directive(deployment, titled)
            else:
                if last_user is not None:
                    messages[last_user], asked = split_calls(messages[last_user])
                    messages[last_user], pairs = split_directive(messages[last_user])
                question = last_question(roles, [m.text for m in chat.messages])
                if question is not None:
                    pairs = split_directive(split_calls(question)[0])[1]
                directive = parse_directive(deployment, pairs)
        except (protocol.BadRequest, DirectiveError) as exc:
            return self._respond(record, 400, protocol.invalid_request(str(exc), getattr(exc, "param", None)))

        names = self.settings.deployment_names
        if names and deployment not in names:
            return self._respond(record, 404, protocol.DEPLOYMENT_NOT_FOUND)

        record.tag = directive.tag
        record.messages = len(chat.messages)
        record.roles = [message.role for message in chat.messages]
        record.summary = is_summary_request(record.roles, messages)
        record.carries_summary = carries_summary(record.roles, messages)
        record.title = titled is not None
        record.options = chat.model_dump(
            include={
                "max_tokens",
                "max_completion_tokens",
                "temperature",
                "top_p",
                "stream",
                "stream_options",
                "reasoning_effort",
                "tool_choice",
                "parallel_tool_calls",
            },
            exclude_none=True,
        )
        record.tools = [tool.function.name for tool in chat.tools or ()]
        record.tool_results = sum(1 for message in chat.messages if message.role == "tool")
        reasoning = deployment in self.settings.reasoning_names
        try:
            seen = self._images(chat, deployment)
            record.images = len(seen)
            prompt_tokens = (
                count_prompt_tokens(messages) + tool_calls.prompt_tokens(chat) + sum(i.tokens for _, i in seen)
            )
            models.check_parameters(chat, reasoning)
            models.check_context(self.settings.imitates, self.settings.context_window, prompt_tokens, chat.token_limit)
        except models.Refusal as refusal:
            return self._respond(record, refusal.status, refusal.body)
        this_round = directive.fault_round is None or directive.fault_round == tool_calls.rounds_done(chat) + 1
        fault = self._fault(directive, record, deployment, body, applies=this_round)

        failure = self._pre_stream_failure(fault, directive, record)
        if failure is not None:
            return failure

        length = directive.tokens or self.settings.reply_tokens
        last_text = messages[last_user] if last_user is not None else ""
        thinking = models.reasoning_tokens(chat) if reasoning else 0
        # A reasoning model's reasoning comes out of max_completion_tokens first; the answer gets what is left.
        limit = None if chat.token_limit is None else max(0, chat.token_limit - thinking)
        tools = tool_calls.plan(
            chat, asked, directive.rounds, chat.parallel_tool_calls is not False, directive.quote_results
        )
        record.tool_calls = [call.name for call in tools.calls]
        # Built only as far as the client's max_tokens (+1: a reply longer than the cut ends with `length`).
        if tools.calls:
            tokens = tokenize(tool_calls.preface(tools.calls)) if directive.preface else []
        elif tools.text is not None:
            tokens = tokenize(tools.text)
        elif record.summary:
            texts = [message.text for message in chat.messages]
            tokens = summary_tokens(record.roles, texts, None if limit is None else limit + 1)
        elif titled is not None:
            tokens = title_tokens(titled, None if limit is None else limit + 1)
        elif directive.reply is Scripted.ECHO:
            tokens = echo_tokens(last_text)
        elif directive.reply is Scripted.QUOTE_BOMB:
            tokens = quote_bomb_tokens(directive.depth)
        else:
            tokens = reply_tokens(
                messages, last_text, length, None if limit is None else limit + 1, self.settings.reply_padding
            )
            shown = [image for position, image in seen if position == last_user]
            if shown:
                tokens = tokenize(images.describe(shown)) + tokens
                tokens = tokens if length is None else tokens[:length]
        if directive.cite and not tools.calls and not record.summary:
            tokens = tokens + tokenize(directive.citations)
        ending = "tool_calls" if tools.calls else "stop"
        reply = Reply(tokens, ending, prompt_tokens, chat.include_usage, thinking, tools.calls)
        if limit is not None and limit < reply.pieces:
            reply = reply.cut(limit, "length")
        if fault in MID_STREAM_FAULTS:
            reply = reply.cut(directive.after, fault.value)
        elif fault is Fault.EMPTY:
            reply = reply.cut(0, fault.value)
        if fault is Fault.NO_USAGE:
            reply = replace(reply, include_usage=False)
        completion = protocol.Completion(self.settings.model, chat.include_usage, azure=record.route != "openai")
        pace = self._pace(
            directive, directive.summary_ms if record.summary else directive.title_ms if record.title else None
        )
        if chat.stream:
            stream = CompletionStream(completion, reply, pace, record, _azure_header_pairs())
            return LoggedResponse(stream, record, self.log)
        return LoggedResponse(_NonStreamingReply(completion, reply, pace), record, self.log)

    async def _embed(self, request: Request, record: RequestRecord, deployment: str | None) -> ASGIApp:
        try:
            body = await request.body()
            asked = embeddings.parse_request(body)
            deployment = _deployment_of(record, deployment, asked.model)
            # A directive line in any input applies to the whole request, and is left out of its vector.
            inputs: list[str | list[int]] = []
            pairs: dict[str, str] = {}
            for item in asked.inputs:
                if isinstance(item, str):
                    item, found = split_directive(item)
                    pairs.update(found)
                inputs.append(item)
            directive = parse_directive(deployment, pairs)
            embeddings.check_lengths(inputs)
            dimensions = embeddings.check_dimensions(asked.dimensions, self.settings.embedding_dimensions)
        except (protocol.BadRequest, DirectiveError) as exc:
            return self._respond(record, 400, protocol.invalid_request(str(exc), getattr(exc, "param", None)))

        names = self.settings.deployment_names
        if names and deployment not in names:
            return self._respond(record, 404, protocol.DEPLOYMENT_NOT_FOUND)
        record.tag = directive.tag
        record.inputs = len(inputs)
        record.options = asked.model_dump(include={"dimensions", "encoding_format"}, exclude_none=True)
        fault = self._fault(directive, record, deployment, body)
        if fault is not None and fault not in EMBEDDING_FAULTS:
            message = f"emulator fault {fault.value!r} does not apply to embeddings; these do: {EMBEDDING_FAULT_NAMES}"
            return self._respond(record, 400, protocol.invalid_request(message, None))
        failure = self._pre_stream_failure(fault, directive, record)
        if failure is not None:
            return failure

        prompt_tokens = sum(embeddings.input_tokens(item) for item in inputs)
        vectors = [embeddings.embed(item, dimensions) for item in inputs]
        answer = embeddings.response_body(vectors, asked.encoding_format, self.settings.embedding_model, prompt_tokens)
        record.tokens_sent = prompt_tokens
        delay_s = (self.settings.ttft_ms if directive.ttft_ms is None else directive.ttft_ms) / 1000
        return LoggedResponse(_DelayedBody(answer, delay_s, fault), record, self.log)

    def _images(self, chat: protocol.ChatCompletionRequest, deployment: str) -> list[tuple[int, images.Image]]:
        """The request's images with the position of their message; refused unless the deployment has vision."""
        vision = self.settings.vision_names
        if vision is not None and deployment not in vision:
            images.refuse_images(chat.messages)
        return [
            (position, images.read_image(part, position, index))
            for position, index, part in images.image_parts(chat.messages)
        ]

    def _fault(
        self, directive: Directive, record: RequestRecord, deployment: str, body: bytes, applies: bool = True
    ) -> Fault | None:
        """The fault this attempt meets: the directive's (where it ``applies``), until `fail_times` attempts of this
        exact request have met it."""
        record.attempt = self.attempts.next_attempt(deployment, body)
        fault = directive.fault
        if fault is None or not applies or (directive.fail_times is not None and record.attempt > directive.fail_times):
            return None
        record.fault = fault.value
        return fault

    def _pre_stream_failure(self, fault: Fault | None, directive: Directive, record: RequestRecord) -> ASGIApp | None:
        api_version = record.api_version or DEFAULT_API_VERSION
        match fault:
            case Fault.RATE_LIMIT:
                seconds = directive.retry_after
                headers = {
                    "retry-after": str(max(1, math.ceil(seconds))),
                    "retry-after-ms": str(round(seconds * 1000)),
                }
                return self._respond(record, 429, protocol.rate_limited(api_version, seconds), headers)
            case Fault.QUOTA:
                return self._respond(record, 429, protocol.INSUFFICIENT_QUOTA)
            case Fault.AUTH:
                return self._respond(record, 401, protocol.UNAUTHORIZED_KEY)
            case Fault.SERVER_ERROR:
                return self._respond(record, 500, protocol.SERVER_ERROR)
            case Fault.UNAVAILABLE:
                return self._respond(record, 503, protocol.SERVICE_UNAVAILABLE)
            case Fault.PROMPT_FILTER:
                return self._respond(record, 400, protocol.PROMPT_FILTERED)
            case Fault.HANG:
                hang_s = directive.hang_s if directive.hang_s is not None else self.settings.hang_s
                return LoggedResponse(HangResponse(hang_s, record), record, self.log)
            case _:
                return None

    def _pace(self, directive: Directive, first_token_ms: float | None) -> Pace:
        """`first_token_ms`: a summary's or a title's own wait before its first token (else `ttft_ms`)."""

        def pick(override: float | None, default: float) -> float:
            return default if override is None else override

        s = self.settings
        return Pace(
            ttft_s=pick(first_token_ms, pick(directive.ttft_ms, s.ttft_ms)) / 1000,
            token_s=pick(directive.token_ms, s.token_ms) / 1000,
            jitter_s=pick(directive.jitter_ms, s.jitter_ms) / 1000,
            tokens_per_chunk=max(1, int(pick(directive.tokens_per_chunk, s.tokens_per_chunk))),
        )

    def _unauthorized(self, request: Request, record: RequestRecord) -> ASGIApp:
        bearer = request.headers.get("authorization", "").lower().startswith("bearer ")
        return self._respond(record, 401, protocol.UNAUTHORIZED_TOKEN if bearer else protocol.UNAUTHORIZED_KEY)

    def _authorized(self, request: Request) -> bool:
        expected = self.settings.api_key.encode()
        key = request.headers.get("api-key")
        if key is None:
            scheme, _, key = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer":
                return False
        return hmac.compare_digest(key.encode(), expected)

    def _respond(
        self, record: RequestRecord, status: int, body: bytes, headers: dict[str, str] | None = None
    ) -> ASGIApp:
        response = Response(body, status, {**_azure_headers(), **(headers or {})}, media_type=JSON)
        return LoggedResponse(response, record, self.log)


class _DelayedBody:
    """A JSON body after a delay (the model's time), or the fault asked for in its place: a cut connection, or an
    empty body."""

    def __init__(self, body: bytes, delay_s: float, fault: Fault | None) -> None:
        self.body = body
        self.delay_s = delay_s
        self.fault = fault

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(self.delay_s)
        body = b"" if self.fault is Fault.EMPTY else self.body
        headers = [(b"content-type", JSON.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": [*headers, *_azure_header_pairs()]})
        if self.fault is Fault.DROP:
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            raise InjectedDrop
        await send({"type": "http.response.body", "body": body})


class _NonStreamingReply:
    """The whole completion in one JSON body, after the time the model would have taken."""

    def __init__(self, completion: protocol.Completion, reply: Reply, pace: Pace) -> None:
        self.completion = completion
        self.reply = reply
        self.pace = pace

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        reply = self.reply
        await asyncio.sleep(self.pace.ttft_s + self.pace.token_s * reply.pieces)
        if reply.ending == "sse_error":
            await Response(protocol.SERVER_ERROR, 500, media_type=JSON)(scope, receive, send)
            return
        if reply.ending == "empty":
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", JSON.encode())]})
            await send({"type": "http.response.body", "body": b""})
            return
        reason = {"drop": "stop", "no_finish": None}.get(reply.ending, reply.ending)
        body = self.completion.body(
            "".join(reply.tokens), reason, reply.prompt_tokens, reply.pieces, reply.reasoning_tokens, reply.calls
        )
        headers = [(b"content-type", JSON.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if reply.ending == "drop":
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            raise InjectedDrop
        await send({"type": "http.response.body", "body": body})


def _deployment_of(record: RequestRecord, in_path: str | None, model: str | None) -> str:
    """The deployment a request names: in Azure's path, else (the OpenAI-compatible routes) its `model`."""
    record.deployment = in_path if in_path is not None else (model or "")
    if not record.deployment:
        raise protocol.BadRequest("you must provide a model parameter", "model")
    return record.deployment


def _azure_header_pairs() -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value.encode()) for name, value in _azure_headers().items()]


def _azure_headers() -> dict[str, str]:
    """The request-id headers Azure puts on every response."""
    request_id = str(uuid.uuid4())
    return {"apim-request-id": request_id, "x-request-id": request_id, "x-ms-region": "Emulated Region"}


async def _health(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = "404" if exc.status_code == 404 else str(exc.status_code)
    message = "Resource not found" if exc.status_code == 404 else str(exc.detail)
    return Response(protocol.error_body(code, message), exc.status_code, media_type=JSON)


async def _server_error(_: Request, exc: Exception) -> Response:
    if not isinstance(exc, InjectedDrop):  # a drop is a test's request, not a failure
        logging.getLogger("emulator").exception("unexpected error", exc_info=exc)
    return Response(protocol.SERVER_ERROR, 500, media_type=JSON)


class AsgiEndpoint:
    """Lets a handler return any ASGI app: the streaming responses here are raw ASGI callables."""

    def __init__(self, handler: Callable[[Request], Awaitable[ASGIApp]]) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handler(Request(scope, receive))
        await response(scope, receive, send)


class _HideInjectedDrops(logging.Filter):
    """The ASGI server logs an exception that cuts a connection; an injected drop is not a failure."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], InjectedDrop))


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    emulator = Emulator(settings)
    _configure_logging(settings.log_level)

    routes = [
        Route(
            "/openai/deployments/{deployment}/chat/completions",
            AsgiEndpoint(emulator.azure_deployment_route),
            methods=["POST"],
        ),
        Route("/openai/v1/chat/completions", AsgiEndpoint(emulator.openai_route), methods=["POST"]),
        Route("/v1/chat/completions", AsgiEndpoint(emulator.openai_route), methods=["POST"]),
        Route(
            "/openai/deployments/{deployment}/embeddings",
            AsgiEndpoint(emulator.azure_embeddings_route),
            methods=["POST"],
        ),
        Route("/openai/v1/embeddings", AsgiEndpoint(emulator.openai_embeddings_route), methods=["POST"]),
        Route("/v1/embeddings", AsgiEndpoint(emulator.openai_embeddings_route), methods=["POST"]),
        Route("/v1/models", emulator.models_list, methods=["GET"]),
        Route("/props", emulator.llama_cpp_props, methods=["GET"]),
        Route("/api/show", emulator.ollama_show, methods=["POST"]),
        Route("/healthz", _health, methods=["GET"]),
        Route("/_emulator/requests", emulator.requests, methods=["GET", "DELETE"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error, Exception: _server_error})
    app.state.emulator = emulator
    return app


def _configure_logging(level: str) -> None:
    request_logger = logging.getLogger("emulator.requests")
    if not request_logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        request_logger.addHandler(handler)
        request_logger.propagate = False
    request_logger.setLevel(level.upper())
    error_logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideInjectedDrops) for f in error_logger.filters):
        error_logger.addFilter(_HideInjectedDrops())

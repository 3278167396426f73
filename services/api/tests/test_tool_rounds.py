"""Answers that call tools: rounds streamed as events, saved as parts, run in parallel, bounded, stopped, and
asked first when they act; on SQLite and on Postgres with Redis (a decision sent to another replica too)."""

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from unittest import mock

import httpx
import pytest
from emulator.app import Emulator
from emulator.testing import serve
from httpx_sse import EventSource, ServerSentEvent, aconnect_sse
from semantic_kernel.contents import FunctionCallContent, FunctionResultContent, TextContent
from semantic_kernel.functions import KernelFunctionFromMethod, KernelPlugin

from chat_api.chat.parts import steps_of
from chat_api.main import create_app
from chat_api.tools import policy
from chat_api.tools.catalog import PLUGIN, builtin_plugin
from chat_api.tools.spec import SPEC_ATTRIBUTE, tool

from .conftest import API_KEY, PROMPTLY_S, ApiFactory, api_settings, signed_in, upstream_ended

SECRET = "a-test-signing-secret-of-forty-characters"
CANCELLED: list[float] = []  # when the slow tool saw its cancellation


@tool(timeout_s=30)
async def wait_a_while(seconds: Annotated[float, "How long to wait."]) -> str:
    """Waits (a test tool: a slow call that records its own cancellation)."""
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        CANCELLED.append(time.time())
        raise
    return f"waited {seconds:g} s"


@contextmanager
def with_test_tools() -> Iterator[None]:
    """The built-in tools and `wait_a_while`, for the apps started inside."""
    functions = [
        *builtin_plugin().functions.values(),
        KernelFunctionFromMethod(
            method=wait_a_while,
            plugin_name=PLUGIN,
            additional_metadata={"tool_spec": getattr(wait_a_while, SPEC_ATTRIBUTE)},
        ),
    ]
    plugin = KernelPlugin(name=PLUGIN, functions=functions)
    with mock.patch.object(policy, "builtin_plugin", return_value=plugin):
        yield


@pytest.fixture(scope="module")
async def url(api_server: ApiFactory, shared_store: dict[str, str]) -> AsyncIterator[str]:
    with (
        with_test_tools(),
        api_server(
            AUTH_SECRET=SECRET,
            GUEST_CONCURRENT_STREAMS=50,
            GUEST_REQUESTS_PER_MINUTE=500,
            TOOLS_MAX_ROUNDS=2,
            TOOLS_APPROVAL_TIMEOUT_S=1.5,
            **shared_store,
        ) as served,
    ):
        yield served


def tagged(text: str, *directives: str) -> tuple[str, str]:
    tag = uuid.uuid4().hex
    lines = "".join(f"\n@emulator {directive}" for directive in directives)
    return f"{text}{lines}\n@emulator tag={tag}", tag


async def new_conversation(http: httpx.AsyncClient) -> str:
    created: str = (await http.post("/api/conversations", json={})).json()["id"]
    return created


async def send(http: httpx.AsyncClient, conversation_id: str, content: str) -> list[ServerSentEvent]:
    response = await http.post(f"/api/conversations/{conversation_id}/messages", json={"content": content})
    assert response.status_code == 200, response.text
    return list(EventSource(response).iter_sse())


def named(events: list[ServerSentEvent], name: str) -> list[dict[str, Any]]:
    return [event.json() for event in events if event.event == name]


def text_of(events: list[ServerSentEvent]) -> str:
    return "".join(data["text"] for data in named(events, "delta"))


async def saved_answer(http: httpx.AsyncClient, conversation_id: str) -> dict[str, Any]:
    detail = (await http.get(f"/api/conversations/{conversation_id}")).json()
    answer: dict[str, Any] = detail["messages"]["items"][-1]
    return answer


async def test_a_tool_round_streams_its_call_and_result_then_the_answer(
    ada: httpx.AsyncClient, emulator: Emulator
) -> None:
    conversation_id = await new_conversation(ada)
    content, tag = tagged("What time is it in Berlin?", 'call current_time {"timezone": "Europe/Berlin"}')
    events = await send(ada, conversation_id, content)
    kinds = [event.event for event in events]
    assert kinds[0] == "start" and kinds[-2:] == ["usage", "done"]
    calls = named(events, "tool_call")
    fragments = [call for call in calls if not call["complete"]]
    (whole,) = [call for call in calls if call["complete"]]
    assert len(fragments) > 1  # the arguments stream in pieces, reassembled
    assert "".join(fragment["arguments"] for fragment in fragments) == whole["arguments"]
    assert whole["tool"] == "builtin-current_time" and '"Europe/Berlin"' in whole["arguments"]
    (result,) = named(events, "tool_result")
    assert result["call_id"] == whole["call_id"] and result["status"] == "ok" and "Europe/Berlin" in result["preview"]
    assert kinds.index("tool_result") < kinds.index("delta")
    assert text_of(events) == f"Tool builtin-current_time said: {result['preview']}"
    rounds = emulator.log.recent(tag=tag)
    assert [record.tool_calls for record in rounds] == [["builtin-current_time"], []]
    assert rounds[1].tool_results == 1
    (usage,) = named(events, "usage")
    assert usage["completion_tokens"] == sum(record.tokens_sent for record in rounds)  # both rounds, summed
    assert all(event.id for event in events)  # every event has its id, to resume from

    saved = await saved_answer(ada, conversation_id)
    assert saved["status"] == "done" and saved["content"] == text_of(events)
    assert [part["type"] for part in saved["parts"]] == ["tool_call", "tool_result", "text"]
    assert saved["parts"][1] == {key: result[key] for key in result} | {"type": "tool_result"}
    assert "output" not in saved["parts"][1]  # what the model was given stays on the server

    replay = await ada.get(f"/api/generations/{saved['id']}/events")
    replayed = list(EventSource(replay).iter_sse())
    assert [(e.event, e.data) for e in replayed] == [(e.event, e.data) for e in events]


async def test_parallel_calls_run_in_one_round(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    conversation_id = await new_conversation(ada)
    content, tag = tagged(
        "Two sums",
        'call calculate {"expression": "6 * 7"}',
        'call wait_a_while {"seconds": 0.3}',
        'call calculate {"expression": "2 ** 10"}',
    )
    started = time.perf_counter()
    events = await send(ada, conversation_id, content)
    took = time.perf_counter() - started
    results = named(events, "tool_result")
    assert sorted(result["preview"] for result in results) == ["1024", "42", "waited 0.3 s"]
    assert len({result["call_id"] for result in results}) == 3
    assert took < 0.3 * 2  # in parallel: the slow call did not hold up the others
    assert len(emulator.log.recent(tag=tag)) == 2
    assert "Tool builtin-calculate said: 42" in text_of(events)


async def test_rounds_run_out_and_the_answer_still_ends_in_words(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    conversation_id = await new_conversation(ada)
    content, tag = tagged("Keep calling", "call current_time", "rounds=5")
    events = await send(ada, conversation_id, content)
    rounds = emulator.log.recent(tag=tag)
    assert len(rounds) == 3  # TOOLS_MAX_ROUNDS=2 rounds of calls, then one that may not call
    assert rounds[-1].tool_calls == [] and rounds[-1].options.get("tool_choice") == "none"
    assert len(named(events, "tool_result")) == 2
    assert text_of(events).count("Tool builtin-current_time said:") == 2
    assert named(events, "done") == [{"finish_reason": "stop"}]


async def test_a_failing_tool_is_a_plain_error_for_the_model_and_the_user(ada: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    content, _ = tagged("Time on Mars?", 'call current_time {"timezone": "Mars/Olympus_Mons"}')
    events = await send(ada, conversation_id, content)
    (result,) = named(events, "tool_result")
    assert result["status"] == "error"
    assert result["preview"].startswith("Unknown time zone 'Mars/Olympus_Mons'")
    assert "Traceback" not in text_of(events) and result["preview"] in text_of(events)
    content, _ = tagged("Broken", 'call calculate {"expression": "1 +"}')
    (result,) = named(await send(ada, conversation_id, content), "tool_result")
    assert result["status"] == "error" and "Traceback" not in result["preview"]


async def prompt_tokens_of_a_new_chat(http: httpx.AsyncClient) -> int:
    events = await send(http, await new_conversation(http), tagged("Hello", "tokens=3")[0])
    (usage,) = named(events, "usage")
    return int(usage["prompt_tokens"])


async def test_a_tool_that_acts_asks_first_and_runs_once_allowed(ada: httpx.AsyncClient) -> None:
    before = await prompt_tokens_of_a_new_chat(ada)
    conversation_id = await new_conversation(ada)
    content, _ = tagged("Remember this", 'call remember {"fact": "The user likes green tea."}')
    async with aconnect_sse(
        ada, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
    ) as source:
        events: list[ServerSentEvent] = []
        async for event in source.aiter_sse():
            events.append(event)
            if event.event == "approval_required":
                asked = event.json()
                answer_id = events[0].json()["assistant_message_id"]
                assert (await ada.get("/api/me/memories")).json()["items"] == []  # not before the user says so
                decided = await ada.post(
                    f"/api/generations/{answer_id}/approvals",
                    json={"call_id": asked["call_id"], "decision": "allow_once"},
                )
                assert decided.status_code == 202 and decided.json() == {"status": "decided"}
    assert asked["tool"] == "builtin-remember" and "green tea" in asked["arguments"] and asked["expires_at"]
    assert named(events, "approval_decided") == [{"call_id": asked["call_id"], "decision": "allow_once"}]
    (result,) = named(events, "tool_result")
    assert result["status"] == "ok"
    memories = (await ada.get("/api/me/memories")).json()["items"]
    assert [memory["content"] for memory in memories] == ["The user likes green tea."]
    assert await prompt_tokens_of_a_new_chat(ada) > before  # the saved memory goes with every new message
    again = await ada.post(
        f"/api/generations/{answer_id}/approvals", json={"call_id": asked["call_id"], "decision": "deny"}
    )
    assert again.status_code == 409  # the answer has ended


async def test_a_denied_call_does_not_run_and_an_unanswered_one_times_out(ada: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    content, _ = tagged("Remember", 'call remember {"fact": "Something private."}')
    async with aconnect_sse(
        ada, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
    ) as source:
        events: list[ServerSentEvent] = []
        async for event in source.aiter_sse():
            events.append(event)
            if event.event == "approval_required":
                answer_id = events[0].json()["assistant_message_id"]
                wrong = await ada.post(
                    f"/api/generations/{answer_id}/approvals", json={"call_id": "call_nope", "decision": "deny"}
                )
                assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "not_found"
                denied = await ada.post(
                    f"/api/generations/{answer_id}/approvals",
                    json={"call_id": event.json()["call_id"], "decision": "deny"},
                )
                assert denied.status_code == 202
    (result,) = named(events, "tool_result")
    assert result["status"] == "denied" and result["preview"] == "The user denied this call."
    assert "Tool builtin-remember said: The user denied this call." in text_of(events)

    started = time.perf_counter()
    events = await send(ada, conversation_id, tagged("Again", 'call remember {"fact": "Later."}')[0])
    assert 1.5 <= time.perf_counter() - started < 5  # TOOLS_APPROVAL_TIMEOUT_S
    assert named(events, "approval_decided")[0]["decision"] == "timeout"
    assert named(events, "tool_result")[0]["status"] == "denied"
    assert (await ada.get("/api/me/memories")).json()["items"] == []


async def test_allowed_for_the_conversation_it_asks_no_more_there(ada: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)

    async def remember(fact: str, decision: str | None) -> list[ServerSentEvent]:
        content, _ = tagged("Remember", f'call remember {{"fact": "{fact}"}}')
        events: list[ServerSentEvent] = []
        async with aconnect_sse(
            ada, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
        ) as source:
            async for event in source.aiter_sse():
                events.append(event)
                if event.event == "approval_required":
                    assert decision is not None, "asked again"
                    answer_id = events[0].json()["assistant_message_id"]
                    body = {"call_id": event.json()["call_id"], "decision": decision}
                    assert (await ada.post(f"/api/generations/{answer_id}/approvals", json=body)).status_code == 202
        return events

    await remember("Fact one.", "allow_conversation")
    events = await remember("Fact two.", None)
    assert named(events, "approval_required") == [] and named(events, "tool_result")[0]["status"] == "ok"
    other = await new_conversation(ada)
    content, _ = tagged("Remember", 'call remember {"fact": "Fact three."}')
    asked = await asyncio.wait_for(_first_approval(ada, other, content), 10)
    assert asked is not None  # another conversation asks again


async def _first_approval(http: httpx.AsyncClient, conversation_id: str, content: str) -> dict[str, Any] | None:
    async with aconnect_sse(
        http, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
    ) as source:
        start: dict[str, Any] = {}
        async for event in source.aiter_sse():
            if event.event == "start":
                start = event.json()
            if event.event == "approval_required":
                await http.post(f"/api/generations/{start['assistant_message_id']}/stop")
                return dict(event.json())
    return None


async def test_stop_during_a_tool_cancels_it_and_starts_no_further_round(
    ada: httpx.AsyncClient, emulator: Emulator
) -> None:
    conversation_id = await new_conversation(ada)
    content, tag = tagged("Slow", 'call wait_a_while {"seconds": 20}')
    CANCELLED.clear()
    async with aconnect_sse(
        ada, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
    ) as source:
        events: list[ServerSentEvent] = []
        async for event in source.aiter_sse():
            events.append(event)
            if event.event == "tool_call" and event.json()["complete"]:
                await asyncio.sleep(0.2)  # the tool is running
                answer_id = events[0].json()["assistant_message_id"]
                stopped_at = time.time()
                assert (await ada.post(f"/api/generations/{answer_id}/stop")).status_code == 202
    assert CANCELLED and CANCELLED[0] - stopped_at < PROMPTLY_S
    (result,) = named(events, "tool_result")
    assert result["status"] == "cancelled"
    assert events[-1].event == "done" and events[-1].json() == {"finish_reason": "cancelled"}
    await asyncio.sleep(0.3)
    assert len(emulator.log.recent(tag=tag)) == 1  # no round after the Stop
    saved = await saved_answer(ada, conversation_id)
    assert saved["status"] == "stopped"
    assert [(part["type"], part.get("status")) for part in saved["parts"]] == [
        ("tool_call", None),
        ("tool_result", "cancelled"),
    ]


async def test_a_conversation_with_tools_switched_off_offers_none(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    conversation_id = await new_conversation(ada)
    switched = await ada.patch(f"/api/conversations/{conversation_id}", json={"tools_enabled": False})
    assert switched.status_code == 200 and switched.json()["tools_enabled"] is False
    content, tag = tagged("Time?", "call current_time")
    events = await send(ada, conversation_id, content)
    assert named(events, "tool_call") == []
    assert text_of(events).startswith("I cannot call current_time: no tools were offered.")
    assert emulator.log.recent(tag=tag)[0].tools == []
    assert (await saved_answer(ada, conversation_id))["parts"] is None


async def test_another_user_cannot_decide_for_an_answer(ada: httpx.AsyncClient, bo: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    content, _ = tagged("Remember", 'call remember {"fact": "Mine."}')
    async with aconnect_sse(
        ada, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
    ) as source:
        events: list[ServerSentEvent] = []
        async for event in source.aiter_sse():
            events.append(event)
            if event.event == "approval_required":
                answer_id = events[0].json()["assistant_message_id"]
                body = {"call_id": event.json()["call_id"], "decision": "allow_once"}
                refused = await bo.post(f"/api/generations/{answer_id}/approvals", json=body)
                assert refused.status_code == 404
                await ada.post(f"/api/generations/{answer_id}/stop")
    assert (await bo.get("/api/me/memories")).json()["items"] == []


async def test_a_decision_sent_to_another_replica_reaches_the_owner(
    api_server: ApiFactory, postgres: Any, redis_url: str, emulator: Emulator
) -> None:
    shared = {"AUTH_SECRET": SECRET, "DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url}
    with api_server(**shared) as url_a, api_server(**shared) as url_b:
        async with signed_in(url_a) as on_a, httpx.AsyncClient(base_url=url_b, headers=on_a.headers) as on_b:
            conversation_id = await new_conversation(on_a)
            content, tag = tagged("Remember", 'call remember {"fact": "Sent through Redis."}')
            async with aconnect_sse(
                on_a, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
            ) as source:
                events: list[ServerSentEvent] = []
                async for event in source.aiter_sse():
                    events.append(event)
                    if event.event == "approval_required":
                        answer_id = events[0].json()["assistant_message_id"]
                        # First a call the answer does not wait on (while it still waits: after the right
                        # decision it may end at once, and then says 409): the owner answers that it has none.
                        wrong = {"call_id": "call_other", "decision": "allow_once"}
                        assert (
                            await on_b.post(f"/api/generations/{answer_id}/approvals", json=wrong)
                        ).status_code == 404
                        body = {"call_id": event.json()["call_id"], "decision": "allow_once"}
                        decided = await on_b.post(f"/api/generations/{answer_id}/approvals", json=body)
                        assert decided.status_code == 202, decided.text
            assert named(events, "tool_result")[0]["status"] == "ok"
            memories = (await on_b.get("/api/me/memories")).json()["items"]
            assert [memory["content"] for memory in memories] == ["Sent through Redis."]
    await upstream_ended(emulator, tag)


async def test_later_turns_send_the_calls_and_their_results_back(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    conversation_id = await new_conversation(ada)
    content, _ = tagged("Berlin?", 'call current_time {"timezone": "Europe/Berlin"}')
    first = await send(ada, conversation_id, content)
    assert [result["status"] for result in named(first, "tool_result")] == ["ok"]
    content, tag = tagged("And now?")
    await send(ada, conversation_id, content)
    (request,) = emulator.log.recent(tag=tag)
    # As the model made them: its call, the tool's answer, its words; then the new question.
    assert request.roles == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert request.tool_results == 1 and request.status == 200


def test_stored_parts_become_the_model_s_messages_round_by_round() -> None:
    parts: list[dict[str, Any]] = [
        {"type": "text", "text": "Let me look. "},
        {"type": "tool_call", "call_id": "c1", "tool": "builtin-calculate", "arguments": '{"expression": "1+1"}'},
        {"type": "tool_call", "call_id": "c2", "tool": "builtin-current_time", "arguments": "{}"},
        {"type": "tool_result", "call_id": "c1", "tool": "builtin-calculate", "status": "ok", "preview": "2",
         "duration_ms": 1, "output": "2"},
        {"type": "tool_result", "call_id": "c2", "tool": "builtin-current_time", "status": "cancelled",
         "preview": "stopped", "duration_ms": 1, "output": "The call was cancelled."},
        {"type": "text", "text": "Again: "},
        {"type": "tool_call", "call_id": "c3", "tool": "builtin-calculate", "arguments": '{"expression": "2+2"}'},
    ]  # fmt: skip
    steps = steps_of(parts)
    assert [str(step.role.value) for step in steps] == ["assistant", "tool", "tool", "assistant", "tool"]
    first_round = steps[0].items
    assert isinstance(first_round[0], TextContent) and first_round[0].text == "Let me look. "
    assert [item.id for item in first_round[1:] if isinstance(item, FunctionCallContent)] == ["c1", "c2"]
    results = [step.items[0] for step in steps if str(step.role.value) == "tool"]
    assert [(r.id, r.result) for r in results if isinstance(r, FunctionResultContent)] == [
        ("c1", "2"),
        ("c2", "The call was cancelled."),
        ("c3", "The call was not made."),  # no result stored: the model is told so, as it must be told something
    ]
    second_round = steps[3].items[0]
    assert isinstance(second_round, TextContent) and second_round.text == "Again: "  # its own text
    with_words = steps_of([*parts[:5], {"type": "text", "text": "Done."}])
    assert with_words[-1].content == "Done." and str(with_words[-1].role.value) == "assistant"


async def test_semantic_kernel_does_not_log_what_a_tool_was_given(
    ada: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Semantic Kernel logs a failing tool's message (ERROR) and its arguments: the user's content, which the logs
    carry only with LOG_MESSAGE_TEXT. The api's own line names the tool and the error's type."""
    caplog.set_level(logging.DEBUG)
    conversation_id = await new_conversation(ada)
    content, _ = tagged("Secret sum", 'call calculate {"expression": "private_name_42 + 1"}')
    (result,) = named(await send(ada, conversation_id, content), "tool_result")
    assert result["status"] == "error"
    assert not [r for r in caplog.records if r.name.startswith("semantic_kernel") and r.levelno >= logging.DEBUG]
    assert "private_name_42" not in caplog.text


async def test_an_openai_compatible_server_runs_the_same_rounds(emulator_url: str, emulator: Emulator) -> None:
    """MODEL_PROVIDER=openai: Semantic Kernel's OpenAI connector on the `/v1` route streams the calls the same way."""
    settings = {
        "MODEL_PROVIDER": "openai",
        "OPENAI_BASE_URL": f"{emulator_url}/v1",
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_MODEL": "chat",
        "AUTH_SECRET": SECRET,
    }
    with serve(create_app(api_settings(emulator_url, **settings))) as url:
        async with signed_in(url) as http:
            conversation_id = await new_conversation(http)
            content, tag = tagged("Sum", 'call calculate {"expression": "6 * 7"}')
            events = await send(http, conversation_id, content)
    assert [result["preview"] for result in named(events, "tool_result")] == ["42"]
    assert text_of(events) == "Tool builtin-calculate said: 42"
    assert [record.route for record in emulator.log.recent(tag=tag)] == ["openai", "openai"]

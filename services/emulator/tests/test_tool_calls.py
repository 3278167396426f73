"""Tool calls as Azure streams them, as the openai SDK reassembles them, and the answer that quotes results."""

import uuid
from typing import Any

import httpx
import openai
import orjson
import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI

from emulator.app import Emulator
from emulator.testing import request_ended

from .conftest import chat_url

TIME_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "time-current_time",
        "description": "The current time in a time zone.",
        "parameters": {
            "type": "object",
            "properties": {"timezone": {"type": "string"}},
            "required": ["timezone"],
        },
    },
}
CALC_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "calculate",
        "description": "Evaluate an arithmetic expression.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string"}, "precision": {"type": "integer"}},
            "required": ["expression", "precision"],
        },
    },
}
BERLIN = '@emulator call current_time {"timezone": "Europe/Berlin"}'


def user(*lines: str) -> Any:
    return {"role": "user", "content": "\n".join(["What time is it?", *lines, f"@emulator tag={uuid.uuid4().hex}"])}


def tag_of(message: dict[str, Any]) -> str:
    return str(message["content"].rsplit("tag=", 1)[1])


def events(body: str) -> list[Any]:
    blocks = [block.removeprefix("data: ") for block in body.split("\n\n") if block]
    assert blocks[-1] == "[DONE]"
    return [orjson.loads(block) for block in blocks[:-1]]


async def after_one_round(azure: AsyncAzureOpenAI, asked: Any, result: str) -> Any:
    """The conversation after one round: the question, the model's call, and the tool's ``result``."""
    first = await azure.chat.completions.create(model="chat", messages=[asked], tools=[TIME_TOOL])
    (call,) = first.choices[0].message.tool_calls or []
    return [
        asked,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": result},
    ]


async def stream_raw(http: httpx.AsyncClient, request: dict[str, Any], url: str | None = None) -> list[Any]:
    response = await http.post(url or chat_url(), json={"stream": True, **request})
    assert response.status_code == 200, response.text
    return events(response.text)


async def test_a_streamed_call_follows_azures_chunks(http: httpx.AsyncClient) -> None:
    request = {
        "messages": [user(BERLIN)],
        "tools": [TIME_TOOL],
        "tool_choice": "auto",
        "stream_options": {"include_usage": True},
    }
    first, start, *fragments, finish, usage = await stream_raw(http, request)

    assert first["choices"] == [] and "prompt_filter_results" in first
    (choice,) = start["choices"]
    assert choice["content_filter_results"] == {} and choice["finish_reason"] is None
    (call,) = choice["delta"]["tool_calls"]
    assert choice["delta"]["role"] == "assistant" and choice["delta"]["content"] is None
    assert call["index"] == 0 and call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"] == {"name": "time-current_time", "arguments": ""}
    assert len(fragments) > 3
    for chunk in fragments:
        # As Azure sends them: the index and an arguments fragment, nothing else of the call.
        (fragment,) = chunk["choices"][0]["delta"]["tool_calls"]
        assert set(fragment) == {"index", "function"} and set(fragment["function"]) == {"arguments"}
        assert set(chunk["choices"][0]["delta"]) == {"tool_calls"}
    arguments = "".join(c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] for c in fragments)
    assert orjson.loads(arguments) == {"timezone": "Europe/Berlin"}
    assert finish["choices"][0]["finish_reason"] == "tool_calls" and finish["choices"][0]["delta"] == {}
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == len(fragments)


async def test_the_sdk_reassembles_parallel_calls_by_index(azure: AsyncAzureOpenAI) -> None:
    messages: Any = [user(BERLIN, '@emulator call calculate {"expression": "2 + 3", "precision": 2}')]
    stream = await azure.chat.completions.create(
        model="chat", messages=messages, tools=[TIME_TOOL, CALC_TOOL], stream=True
    )
    calls: dict[int, dict[str, str]] = {}
    reasons = []
    async for chunk in stream:
        for choice in chunk.choices:
            reasons.append(choice.finish_reason)
            for delta in choice.delta.tool_calls or ():
                call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                call["id"] += delta.id or ""
                call["name"] += (delta.function and delta.function.name) or ""
                call["arguments"] += (delta.function and delta.function.arguments) or ""
    assert [calls[i]["name"] for i in sorted(calls)] == ["time-current_time", "calculate"]
    assert orjson.loads(calls[1]["arguments"]) == {"expression": "2 + 3", "precision": 2}
    assert calls[0]["id"] != calls[1]["id"]
    assert reasons[-1] == "tool_calls"


async def test_non_streamed_calls_are_in_the_message(azure: AsyncAzureOpenAI) -> None:
    reply = await azure.chat.completions.create(
        model="chat", messages=[user(BERLIN, "@emulator call *")], tools=[CALC_TOOL, TIME_TOOL]
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    calls = choice.message.tool_calls or []
    assert [(c.function.name, orjson.loads(c.function.arguments)) for c in calls] == [  # type: ignore[union-attr]
        ("time-current_time", {"timezone": "Europe/Berlin"}),
        # `*`: the first tool offered, its required arguments made from its schema
        ("calculate", {"expression": "emulator", "precision": 1}),
    ]
    assert reply.usage is not None and reply.usage.completion_tokens > 0


async def test_results_get_an_answer_that_quotes_them(azure: AsyncAzureOpenAI, emulator: Emulator) -> None:
    asked = user(BERLIN)
    first = await azure.chat.completions.create(model="chat", messages=[asked], tools=[TIME_TOOL])
    (call,) = first.choices[0].message.tool_calls or []
    messages: Any = [
        asked,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "13:05 in Berlin"},
    ]
    stream = await azure.chat.completions.create(
        model="chat", messages=messages, tools=[TIME_TOOL], stream=True, stream_options={"include_usage": True}
    )
    text, usages = "", []
    async for chunk in stream:
        usages += [chunk.usage] if chunk.usage else []
        text += "".join(choice.delta.content or "" for choice in chunk.choices)
    assert text == "Tool time-current_time said: 13:05 in Berlin"
    assert len(usages) == 1
    first_round, second_round = emulator.log.recent(tag=tag_of(asked))
    assert first_round.tool_calls == ["time-current_time"] and first_round.tools == ["time-current_time"]
    assert second_round.tool_calls == [] and second_round.tool_results == 1
    assert usages[0].prompt_tokens > (first.usage.prompt_tokens if first.usage else 0)


async def test_rounds_call_again_after_each_result(azure: AsyncAzureOpenAI) -> None:
    messages: Any = [user(BERLIN, "@emulator rounds=3")]
    for round_number in range(1, 5):
        reply = await azure.chat.completions.create(model="chat", messages=messages, tools=[TIME_TOOL])
        message = reply.choices[0].message
        if round_number <= 3:
            assert reply.choices[0].finish_reason == "tool_calls"
            messages.append(message.model_dump(exclude_none=True))
            for call in message.tool_calls or []:
                messages.append({"role": "tool", "tool_call_id": call.id, "content": f"round {round_number}"})
        else:
            assert reply.choices[0].finish_reason == "stop"
            assert message.content == "\n".join(f"Tool time-current_time said: round {n}" for n in (1, 2, 3))


async def test_a_call_ends_in_text_when_the_tools_are_taken_away(azure: AsyncAzureOpenAI) -> None:
    """A client's last round without tools (its round limit spent) still gets an answer quoting the results."""
    messages = await after_one_round(azure, user(BERLIN, "@emulator rounds=10"), "noon")
    last = await azure.chat.completions.create(model="chat", messages=messages)
    assert last.choices[0].message.content == "Tool time-current_time said: noon"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "I cannot call current_time: no tools were offered."),
        ({"tools": [CALC_TOOL]}, "I cannot call current_time: the tools offered are calculate."),
        ({"tools": [TIME_TOOL], "tool_choice": "none"}, "I cannot call current_time: tool_choice is none."),
    ],
)
async def test_only_offered_tools_are_called(azure: AsyncAzureOpenAI, options: Any, expected: str) -> None:
    reply = await azure.chat.completions.create(model="chat", messages=[user(BERLIN)], **options)
    assert reply.choices[0].finish_reason == "stop" and reply.choices[0].message.content == expected


async def test_tool_choice_required_and_named_force_a_call(azure: AsyncAzureOpenAI) -> None:
    required = await azure.chat.completions.create(
        model="chat", messages=[user()], tools=[CALC_TOOL, TIME_TOOL], tool_choice="required"
    )
    assert [c.function.name for c in required.choices[0].message.tool_calls or []] == ["calculate"]  # type: ignore[union-attr]
    named = await azure.chat.completions.create(
        model="chat",
        messages=[user(BERLIN)],
        tools=[CALC_TOOL, TIME_TOOL],
        tool_choice={"type": "function", "function": {"name": "calculate"}},
    )
    assert [c.function.name for c in named.choices[0].message.tool_calls or []] == ["calculate"]  # type: ignore[union-attr]


async def test_parallel_tool_calls_false_makes_one_call(azure: AsyncAzureOpenAI) -> None:
    reply = await azure.chat.completions.create(
        model="chat",
        messages=[user(BERLIN, "@emulator call calculate")],
        tools=[TIME_TOOL, CALC_TOOL],
        parallel_tool_calls=False,
    )
    assert len(reply.choices[0].message.tool_calls or []) == 1


async def test_a_preface_streams_text_before_the_calls(http: httpx.AsyncClient) -> None:
    chunks = await stream_raw(http, {"messages": [user(BERLIN, "@emulator preface=1")], "tools": [TIME_TOOL]})
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks if chunk["choices"]]
    assert deltas[0] == {"content": "", "refusal": None, "role": "assistant"}
    text = "".join(delta.get("content") or "" for delta in deltas)
    assert text == "Let me check with time-current_time.\n\n"
    first_call = next(delta for delta in deltas if "tool_calls" in delta)
    assert "role" not in first_call and first_call["tool_calls"][0]["function"]["name"] == "time-current_time"


async def test_a_drop_mid_arguments_cuts_the_connection(azure: AsyncAzureOpenAI, emulator: Emulator) -> None:
    asked = user(BERLIN, "@emulator fault=drop after=2")
    fragments: list[str] = []

    async def read() -> None:
        stream = await azure.chat.completions.create(model="chat", messages=[asked], tools=[TIME_TOOL], stream=True)
        async for chunk in stream:
            for delta in chunk.choices[0].delta.tool_calls or () if chunk.choices else ():
                fragments.extend([delta.function.arguments] if delta.function and delta.function.arguments else [])

    with pytest.raises(openai.APIConnectionError):
        await read()
    assert len(fragments) == 2
    record = await request_ended(emulator.log, tag_of(asked))
    assert record.outcome == "dropped" and record.tokens_sent == 2


async def test_a_content_filter_mid_arguments_ends_the_call(http: httpx.AsyncClient) -> None:
    request = {"messages": [user(BERLIN, "@emulator fault=content_filter after=3")], "tools": [TIME_TOOL]}
    chunks = await stream_raw(http, request)
    finish = chunks[-1]["choices"][0]
    assert finish["finish_reason"] == "content_filter" and finish["content_filter_results"]["violence"]["filtered"]
    sent = [c for c in chunks[1:-1] if c["choices"][0]["delta"]["tool_calls"][0].get("function", {}).get("arguments")]
    assert len(sent) == 3


async def test_the_openai_flavour_streams_calls_without_azures_fields(
    openai_client: AsyncOpenAI, base_url: str
) -> None:
    async with httpx.AsyncClient(base_url=base_url, headers={"authorization": "Bearer test-key"}) as http:
        request = {"model": "chat", "messages": [user(BERLIN)], "tools": [TIME_TOOL], "stream": True}
        response = await http.post("/v1/chat/completions", json=request)
    chunks = events(response.text)
    assert chunks[0]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] == "time-current_time"
    assert all("prompt_filter_results" not in c and "content_filter_results" not in c["choices"][0] for c in chunks)
    reply = await openai_client.chat.completions.create(model="chat", messages=[user(BERLIN)], tools=[TIME_TOOL])
    assert reply.choices[0].finish_reason == "tool_calls"
    assert reply.model_extra is not None and "prompt_filter_results" not in reply.model_extra


@pytest.mark.parametrize(
    ("messages", "param", "message"),
    [
        (
            [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "call_1", "content": "r"}],
            "messages.[1].role",
            "messages with role 'tool' must be a response to a preceeding message with 'tool_calls'",
        ),
        (
            [
                {"role": "user", "content": "x"},
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
                },
                {"role": "user", "content": "y"},
            ],
            "messages.[1].role",
            "The following tool_call_ids did not have response messages: call_1",
        ),
    ],
)
async def test_calls_and_results_must_pair_up(http: httpx.AsyncClient, messages: Any, param: str, message: str) -> None:
    response = await http.post(chat_url(), json={"messages": messages})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param and message in error["message"]


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        ({"tool_choice": "auto"}, "'tool_choice' is only allowed when 'tools' are specified"),
        ({"tools": [{"type": "function", "function": {"name": "has space"}}]}, "tools[0].function.name"),
        ({"messages": [{"role": "user", "content": "@emulator call f {nope"}]}, "are not JSON"),
        ({"messages": [{"role": "user", "content": "@emulator call"}]}, "needs a tool name"),
        ({"messages": [{"role": "user", "content": "@emulator rounds=0"}]}, "rounds=0 must be between"),
    ],
)
async def test_bad_tool_requests_are_400(http: httpx.AsyncClient, request_body: Any, message: str) -> None:
    response = await http.post(chat_url(), json={"messages": [{"role": "user", "content": "x"}], **request_body})
    assert response.status_code == 400 and message in response.json()["error"]["message"]


async def test_fault_round_aims_a_fault_at_one_round(azure: AsyncAzureOpenAI, emulator: Emulator) -> None:
    asked = user(BERLIN, "@emulator fault=429 fault_round=2 retry_after=5")
    messages = await after_one_round(azure, asked, "noon")
    with pytest.raises(openai.RateLimitError):
        await azure.chat.completions.create(model="chat", messages=messages, tools=[TIME_TOOL])
    assert [(r.status, r.fault) for r in emulator.log.recent(tag=tag_of(asked))] == [(200, None), (429, "429")]


async def test_an_answer_cites_the_sources_it_is_told_to(azure: AsyncAzureOpenAI) -> None:
    messages = await after_one_round(azure, user(BERLIN, "@emulator cite=2,1"), '[{"citation": 1}, {"citation": 2}]')
    reply = await azure.chat.completions.create(model="chat", messages=messages, tools=[TIME_TOOL])
    assert reply.choices[0].message.content == 'Tool time-current_time said: [{"citation": 1}, {"citation": 2}] [2][1]'
    plain = await azure.chat.completions.create(model="chat", messages=[user("@emulator cite=3 tokens=5")])
    assert (plain.choices[0].message.content or "").endswith(" [3]")


async def test_quote_results_off_answers_as_usual_after_the_rounds(azure: AsyncAzureOpenAI) -> None:
    """As a model writes its own answer from what its tools said (and cites it), for a client's renderer."""
    messages = await after_one_round(azure, user(BERLIN, "@emulator quote_results=0 tokens=12 cite=1"), "noon")
    reply = await azure.chat.completions.create(model="chat", messages=messages, tools=[TIME_TOOL])
    text = reply.choices[0].message.content or ""
    assert "said:" not in text and text.endswith(" [1]") and reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.completion_tokens == 12 + 3  # and the marker's tokens


async def test_an_answer_cites_up_to_fifty_sources(azure: AsyncAzureOpenAI) -> None:
    numbers = ",".join(str(n) for n in range(1, 51))
    reply = await azure.chat.completions.create(model="chat", messages=[user(f"@emulator cite={numbers} tokens=3")])
    assert (reply.choices[0].message.content or "").endswith("[49][50]")


@pytest.mark.parametrize("cite", ["one", "1;2", "1,", ",".join(["1"] * 51)])
async def test_a_cite_that_is_not_numbers_is_a_400(http: httpx.AsyncClient, cite: str) -> None:
    response = await http.post(chat_url(), json={"messages": [user(f"@emulator cite={cite}")]})
    assert response.status_code == 400 and "cite=" in response.json()["error"]["message"]

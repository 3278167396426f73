"""The api in front of a real OpenAI-compatible model server nobody here wrote (issue 28): llama-cpp-python's
server with Gemma 3 270M and Gemma 3's strict chat template (tests/e2e/llama), as `api-llama` in
tests/e2e/compose.e2e.yaml. Gemma 3 270M is a base model: these cases assert transport, storage and endings
(the status saved, the text saved equal to what streamed, the error codes), never what an answer says.

The server computes one request at a time: a request arriving while another streams cuts that stream (a
`[DONE]` without a finish reason), and a prompt being read cannot be interrupted (a Stop or a client leaving is
noticed at the first token). So the cases run one after another, and a case whose answer brings a conversation
near the window waits for the summary the api then asks for in the background, which holds the server.

Outside the stack (`E2E_COMPOSE` unset), point `E2E_LLAMA_API_URL` at such an api; the case that kills the
server needs `E2E_LLAMA_KILL`, `E2E_LLAMA_START` (shell commands) and `E2E_LLAMA_HEALTH_URL` (its /v1/models).
"""

import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from . import report
from .support import COMPOSE, compose

API_URL = os.environ.get("E2E_LLAMA_API_URL", "")
KILL = os.environ.get("E2E_LLAMA_KILL", "")
START = os.environ.get("E2E_LLAMA_START", "")
HEALTH_URL = os.environ.get("E2E_LLAMA_HEALTH_URL", "")

pytestmark = [
    pytest.mark.skipif(
        not COMPOSE and not API_URL,
        reason="needs the stack (E2E_COMPOSE, set by scripts/e2e.sh) or E2E_LLAMA_API_URL (an api before llama)",
    ),
    pytest.mark.timeout(300),  # a CPU model on a loaded machine: each case's own waits are bounded below that
]

LEASE_S = 5  # GENERATION_LEASE_S in scripts/e2e.sh; the sweeper looks every 2 s
SEND_WITHIN_S = 240.0  # any one answer, to its last event, on a loaded machine; nothing waits unbounded
SUMMARY_WITHIN_S = 75.0  # a summary after an answer near the window (api-llama: SUMMARY_TIMEOUT_S 60)
HEALTHY_WITHIN_S = 120.0  # the server started again, its model loaded
INCOMPLETE = {"code": "upstream_incomplete", "message": "The model's answer ended without finishing. Retry."}
FIGURES: dict[str, Any] = {}  # this file's section of the reliability report, filled case by case


def prose(chars: int, seed: str) -> str:
    """Plain sentences, about 3.1 characters a Gemma token: the api's estimate (3) is close."""
    words = ("river", "mill", "bridge", "orchard", "harbour", "quarry", "meadow", "tower")
    sentences = (
        f"The {seed} {words[i % 8]} number {i} stands {i % 7 + 2} miles past the old road." for i in range(10_000)
    )
    return " ".join(sentences)[:chars]


def dense(chars: int) -> str:
    """Sentences with numbers, about 2.6 characters a Gemma token (each digit is one): more tokens for the
    same estimate, so a message the api admits under the window makes a slow first token."""
    sentences = (
        f"Gauge {1000 + i * 37} read {2000 + i * 53} at noon." if i % 2 else f"The {i} river runs past the old mill."
        for i in range(10_000)
    )
    return " ".join(sentences)[:chars]


def api_url() -> str:
    if API_URL:
        return API_URL.rstrip("/")
    return "http://" + compose("port", "api-llama", "8000").strip().splitlines()[0]


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    timeout = httpx.Timeout(90.0, connect=10.0)  # heartbeats every 15 s keep a slow first token's stream alive
    with httpx.Client(base_url=api_url(), timeout=timeout) as client:
        session = client.post("/api/auth/guest")
        assert session.status_code == 201, session.text
        client.headers["Authorization"] = f"Bearer {session.json()['access_token']}"
        models = client.get("/api/models")
        assert models.status_code == 200, models.text[:300]
        yield client


@dataclass
class Answer:
    conversation_id: str
    sent: float = field(default_factory=time.monotonic)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    start_s: float | None = None
    first_delta_s: float | None = None
    ended_s: float | None = None

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    @property
    def text(self) -> str:
        return "".join(data["text"] for name, data in self.events if name == "delta")

    @property
    def answer_id(self) -> str:
        assert self.events and self.events[0][0] == "start", self.events[:1]
        answer_id: str = self.events[0][1]["assistant_message_id"]
        return answer_id

    @property
    def last(self) -> tuple[str, dict[str, Any]]:
        return self.events[-1]

    def shape(self) -> list[str]:
        """The event names with the deltas folded: ["start", "delta...", "done"]."""
        folded: list[str] = []
        for name in self.names:
            if name == "delta" and folded and folded[-1] == "delta...":
                continue
            folded.append("delta..." if name == "delta" else name)
        return folded


OnEvent = Callable[[str, dict[str, Any], Answer], None]


def new_conversation(http: httpx.Client) -> str:
    created = http.post("/api/conversations", json={})
    assert created.status_code == 201, created.text[:300]
    conversation_id: str = created.json()["id"]
    return conversation_id


def send(
    http: httpx.Client,
    conversation_id: str,
    content: str,
    max_tokens: int | None = None,
    on_event: OnEvent | None = None,
) -> Answer:
    """A message and its answer's events, read to the end (bounded); `on_event` sees each as it comes."""
    body: dict[str, Any] = {"content": content}
    if max_tokens is not None:
        body["options"] = {"max_tokens": max_tokens}
    answer = Answer(conversation_id)
    path = f"/api/conversations/{conversation_id}/messages"
    with connect_sse(http, "POST", path, json=body) as source:
        assert source.response.status_code == 200, source.response.read()[:300]
        for event in source.iter_sse():
            elapsed = time.monotonic() - answer.sent
            assert elapsed < SEND_WITHIN_S, f"no end after {elapsed:.0f}s: {answer.shape()}"
            if not event.data:
                continue  # a heartbeat comment after an event id: httpx-sse yields it as an empty event
            data: dict[str, Any] = event.json()
            answer.events.append((event.event, data))
            if event.event == "start" and answer.start_s is None:
                answer.start_s = elapsed
            if event.event == "delta" and answer.first_delta_s is None:
                answer.first_delta_s = elapsed
            if on_event is not None:
                on_event(event.event, data, answer)
            if event.event in ("done", "error"):
                answer.ended_s = time.monotonic() - answer.sent
    return answer


def conversation(http: httpx.Client, conversation_id: str) -> dict[str, Any]:
    detail = http.get(f"/api/conversations/{conversation_id}")
    assert detail.status_code == 200, detail.text[:300]
    body: dict[str, Any] = detail.json()
    return body


def saved(http: httpx.Client, conversation_id: str) -> dict[str, Any]:
    message: dict[str, Any] = conversation(http, conversation_id)["messages"]["items"][-1]
    assert message["role"] == "assistant", message
    return message


def assert_done(http: httpx.Client, answer: Answer) -> dict[str, Any]:
    """Ended `done` (a base model stops at its end of turn or at max_tokens), saved `done` with what streamed."""
    assert answer.names[0] == "start", answer.shape()
    assert answer.last[0] == "done", [*answer.shape(), json.dumps(answer.last[1])]
    assert answer.last[1]["finish_reason"] in ("stop", "length"), answer.last
    assert set(answer.names) <= {"start", "delta", "usage", "done"}, answer.shape()
    message = saved(http, answer.conversation_id)
    assert message["id"] == answer.answer_id
    assert (message["status"], message["finish_reason"], message["error"]) == (
        "done",
        answer.last[1]["finish_reason"],
        None,
    )
    assert message["content"] == answer.text, "the text saved is not the text that streamed"
    return message


def wait_for_summary(http: httpx.Client, conversation_id: str, after: dict[str, Any] | None) -> tuple[Any, float]:
    """The conversation's summary once it is newer than `after` (bounded), and how long that took."""
    started = time.monotonic()
    while time.monotonic() - started < SUMMARY_WITHIN_S:
        summary = conversation(http, conversation_id)["summary"]
        if summary is not None and (after is None or summary["covers_message_id"] != after["covers_message_id"]):
            return summary, time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"no new summary of {conversation_id} within {SUMMARY_WITHIN_S:.0f}s")


def figures(case: str, values: dict[str, Any]) -> None:
    FIGURES[case] = values
    report.record("real_model", {"server": "llama-cpp-python 0.3.36, Gemma 3 270M q4_k_m, n_ctx 2048", **FIGURES})


def rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 2)


def test_an_answer_streams_and_is_saved(http: httpx.Client) -> None:
    answer = send(http, new_conversation(http), "Write two sentences about rivers.")
    message = assert_done(http, answer)
    assert answer.text, "an answer with no text"
    assert answer.start_s is not None and answer.start_s < 1.0, answer.start_s
    # llama-cpp-python sends no usage in a stream (it ignores stream_options): the api then streams none and
    # saves none; when a server says it, the usage event comes before `done` and is saved.
    streamed_usage = [data for name, data in answer.events if name == "usage"]
    if streamed_usage:
        assert answer.names[-2] == "usage" and streamed_usage[0]["completion_tokens"] > 0
        assert message["usage"] is not None
    figures(
        "answer",
        {
            "first_token_s": rounded(answer.first_delta_s),
            "total_s": rounded(answer.ended_s),
            "deltas": answer.names.count("delta"),
            "finish_reason": answer.last[1]["finish_reason"],
            "usage_streamed": bool(streamed_usage),
        },
    )


def test_a_first_token_slower_than_the_lease_is_not_interrupted(http: httpx.Client) -> None:
    conversation_id = new_conversation(http)
    content = dense(4200)  # ~1,650 Gemma tokens, ~1,400 estimated: admitted under the 2048 window
    path = f"/api/conversations/{conversation_id}/messages"
    meanwhile: dict[str, Any] = {}

    def on_event(name: str, data: dict[str, Any], answer: Answer) -> None:
        if name != "start":
            return
        # Past the lease and a sweep, still before the first token: the answer is not called interrupted,
        # and the conversation takes no second answer meanwhile.
        time.sleep(max(0.0, answer.sent + LEASE_S + 1.5 - time.monotonic()))
        second = http.post(path, json={"content": "Me too"})
        meanwhile["status"], meanwhile["body"] = second.status_code, second.json()
        meanwhile["saved"] = saved(http, conversation_id)["status"]

    answer = send(http, conversation_id, content, on_event=on_event)
    assert answer.start_s is not None and answer.start_s < 1.0, f"start after {answer.start_s}s"
    assert meanwhile["status"] == 409 and meanwhile["body"]["error"]["code"] == "conflict", meanwhile
    assert meanwhile["saved"] == "streaming", meanwhile
    assert answer.first_delta_s is not None and answer.first_delta_s > LEASE_S, (
        f"the first token came after {answer.first_delta_s}s, within the {LEASE_S}s lease: this case means nothing"
    )
    assert_done(http, answer)
    # The conversation is near the window now: the api summarises it in the background, and the server is
    # busy with that; the next case waits for it.
    _, summary_after = wait_for_summary(http, conversation_id, None)
    figures(
        "slow_first_token",
        {
            "lease_s": LEASE_S,
            "start_after_ms": round((answer.start_s or 0) * 1000, 1),
            "first_token_s": rounded(answer.first_delta_s),
            "second_send_meanwhile": meanwhile["status"],
            "saved": "done",
            "summary_after_s": rounded(summary_after),
        },
    )


def test_stop_before_the_first_token_ends_stopped(http: httpx.Client) -> None:
    conversation_id = new_conversation(http)
    stopped: dict[str, Any] = {}

    def on_event(name: str, data: dict[str, Any], answer: Answer) -> None:
        if name == "start":
            stopped["at"] = time.monotonic()
            stopped["status"] = http.post(f"/api/generations/{data['assistant_message_id']}/stop").status_code

    # ~450 tokens to read first: seconds, and the Stop goes as soon as `start` comes.
    answer = send(http, conversation_id, prose(1500, "stop-before"), on_event=on_event)
    assert stopped["status"] == 202, stopped
    assert answer.events == [answer.events[0], ("done", {"finish_reason": "cancelled"})], answer.shape()
    ended_after = time.monotonic() - stopped["at"]
    message = saved(http, conversation_id)
    assert (message["status"], message["content"], message["finish_reason"]) == ("stopped", "", "cancelled")
    figures("stop_before_first_token", {"done_after_stop_s": rounded(ended_after), "saved": message["status"]})


def test_stop_after_the_first_token_keeps_the_text_that_streamed(http: httpx.Client) -> None:
    conversation_id = new_conversation(http)
    stopped: dict[str, Any] = {}

    def on_event(name: str, data: dict[str, Any], answer: Answer) -> None:
        if name == "delta" and "status" not in stopped:
            stopped["at"] = time.monotonic()
            stopped["status"] = http.post(f"/api/generations/{answer.answer_id}/stop").status_code

    # max_tokens 512: still streaming when the Stop lands.
    answer = send(http, conversation_id, "Tell me a long story about a lighthouse.", 512, on_event)
    assert stopped["status"] == 202, stopped
    assert answer.shape() == ["start", "delta...", "done"], answer.shape()
    assert answer.last[1] == {"finish_reason": "cancelled"}
    message = saved(http, conversation_id)
    assert (message["status"], message["finish_reason"]) == ("stopped", "cancelled")
    assert message["content"] == answer.text and message["content"], "the text saved is not the text that streamed"
    figures(
        "stop_after_first_token",
        {
            "deltas": answer.names.count("delta"),
            "done_after_stop_s": rounded(time.monotonic() - stopped["at"]),
            "saved": message["status"],
        },
    )


def test_history_across_three_turns_keeps_the_template_happy(http: httpx.Client) -> None:
    # Gemma's template refuses a list that does not alternate from the user: the server would answer with an
    # empty stream, and the api would say upstream_incomplete. Every turn must end `done`.
    conversation_id = new_conversation(http)
    times = []
    for content in ("My name is Ada.", "I live by the sea.", "What is my name?"):
        answer = send(http, conversation_id, content)
        assert_done(http, answer)
        assert answer.text
        times.append(rounded(answer.ended_s))
    messages = conversation(http, conversation_id)["messages"]["items"]
    assert [message["role"] for message in messages] == ["user", "assistant"] * 3
    assert [message["status"] for message in messages[1::2]] == ["done"] * 3
    figures("three_turns", {"answers_s": times})


@pytest.mark.timeout(600)
def test_a_conversation_over_the_window_is_summarised_and_every_answer_ends_done(http: httpx.Client) -> None:
    # Four ~580-token messages and their answers: over 2048 tokens in all. From the second answer on, the
    # branch nears the window after each answer, and the api summarises its older turns in the background
    # (the next send waits for that summary here: on this one-at-a-time server it would otherwise queue behind
    # it, or be cut by it). Each prompt is fitted to the window: the real server never refuses one.
    conversation_id = new_conversation(http)
    contents = [prose(1800, f"turn-{turn}") for turn in range(4)]
    summary: dict[str, Any] | None = None
    first_tokens, summaries_after, covered, deltas = [], [], [], []
    for turn, content in enumerate(contents):
        answer = send(http, conversation_id, content)
        assert_done(http, answer)
        first_tokens.append(rounded(answer.first_delta_s))
        deltas.append(answer.names.count("delta"))
        if turn >= 1:
            summary, after = wait_for_summary(http, conversation_id, summary)
            summaries_after.append(rounded(after))
            covered.append(summary["covered_messages"])
    # In all, over the window: the messages at 3.5 characters a token (measured: 3.1), the answers a token a delta.
    tokens = sum(len(content) for content in contents) / 3.5 + sum(deltas)
    assert tokens > 2048, f"only about {tokens:.0f} tokens in all: not over the window"
    assert summary is not None and summary["content"].strip()
    assert covered == sorted(covered) and covered[-1] > covered[0], covered
    messages = conversation(http, conversation_id)["messages"]["items"]
    assert [message["status"] for message in messages[1::2]] == ["done"] * len(contents)
    figures(
        "over_the_window",
        {
            "messages_chars": [len(content) for content in contents],
            "tokens_in_all_at_least": round(tokens),
            "first_token_s": first_tokens,
            "summary_after_s": summaries_after,
            "summary_covers_messages": covered,
        },
    )


def test_a_second_request_cuts_the_first_which_ends_with_an_error_and_keeps_its_text(http: httpx.Client) -> None:
    first_id, second_id = new_conversation(http), new_conversation(http)
    second: list[Answer] = []

    def on_event(name: str, data: dict[str, Any], answer: Answer) -> None:
        if name == "delta" and not second:  # the server, streaming the first, gets the second: it cuts the first
            second.append(send(http, second_id, "Say hello."))

    first = send(http, first_id, "Tell me a long story about a lighthouse.", 512, on_event)
    assert first.shape() == ["start", "delta...", "error"], first.shape()
    assert first.last[1] == INCOMPLETE
    message = saved(http, first_id)
    assert (message["status"], message["error"]) == ("error", INCOMPLETE)
    assert message["content"] == first.text and message["content"]
    assert_done(http, second[0])
    figures(
        "second_request_cuts_the_first",
        {"first_deltas": first.names.count("delta"), "first_saved": message["status"], "second_saved": "done"},
    )


def kill_server() -> None:
    if COMPOSE:
        compose("kill", "llama")
    else:
        subprocess.run(KILL, shell=True, check=True, timeout=30)  # the tester's own command


def start_server() -> float:
    """Start the server again; returns how long it took to be healthy (its model loaded)."""
    started = time.monotonic()
    if COMPOSE:
        compose("start", "llama")
    else:
        subprocess.run(START, shell=True, check=True, timeout=30)  # the tester's own command
    while time.monotonic() - started < HEALTHY_WITHIN_S:
        if server_healthy():
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"the model server was not healthy within {HEALTHY_WITHIN_S:.0f}s")


def server_healthy() -> bool:
    if COMPOSE:
        listed = compose("ps", "--all", "--format", "json", "llama").strip()
        if not listed:
            return False
        rows = json.loads(listed) if listed.startswith("[") else [json.loads(line) for line in listed.splitlines()]
        return any(row.get("Health") == "healthy" for row in rows)
    try:
        with urllib.request.urlopen(HEALTH_URL, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.mark.timeout(300)
def test_the_server_killed_mid_answer_is_an_error_and_the_next_send_works_once_it_is_back(
    http: httpx.Client,
) -> None:
    if not COMPOSE and not (KILL and START and HEALTH_URL):
        pytest.skip("outside the stack, needs E2E_LLAMA_KILL, E2E_LLAMA_START and E2E_LLAMA_HEALTH_URL")
    conversation_id = new_conversation(http)
    killed: dict[str, float] = {}

    def on_event(name: str, data: dict[str, Any], answer: Answer) -> None:
        if name == "delta" and not killed:
            killed["at"] = time.monotonic()
            kill_server()

    try:
        answer = send(http, conversation_id, "Tell me a long story about a lighthouse.", 512, on_event)
    finally:
        back_after = start_server() if killed else None
    ended_after = (answer.sent + (answer.ended_s or 0)) - killed["at"]
    assert answer.shape() == ["start", "delta...", "error"], answer.shape()
    code = answer.last[1]["code"]
    assert code in ("upstream_unavailable", "upstream_incomplete", "upstream_error"), answer.last
    assert set(answer.last[1]) == {"code", "message"} and answer.last[1]["message"], answer.last
    message = saved(http, conversation_id)
    assert message["status"] == "error" and message["error"] == answer.last[1], message
    assert message["content"] == answer.text and message["content"]
    # Back: the same conversation goes on (its history holds the failed answer's text).
    again = send(http, conversation_id, "Are you back?")
    assert_done(http, again)
    figures(
        "server_killed",
        {
            "error_code": code,
            "error_after_kill_s": round(ended_after, 2),
            "healthy_again_after_s": rounded(back_after),
            "next_send": "done",
        },
    )

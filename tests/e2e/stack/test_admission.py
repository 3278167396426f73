"""No model work before admission, through nginx: an account whose day's budget is spent sends into a long
conversation (one whose older turns are being summarised) and gets its 429, and the model hears nothing of it:
no answer and no summary reach the emulator. Its summaries were charged to that budget too."""

import json
import time
import urllib.request
import uuid
from typing import Any

from .report import record
from .support import EMULATOR_URL, Reply, exchange, needs_compose, post_json

pytestmark = needs_compose

# scripts/e2e.sh: CONTEXT_WINDOW_TOKENS=8000, USER_TOKENS_PER_DAY=20000. Messages of about 2,300 tokens (the
# api's estimate): the conversation nears the window at the second answer, and the budget is spent within a
# handful of sends.
FILLER = "the harbour keeper logs the lighthouse lamp and the tide tables " * 110
MAX_SENDS = 12


def new_account() -> dict[str, str]:
    reply = post_json(
        "/api/auth/register",
        {"email": f"admission-{uuid.uuid4().hex[:10]}@example.com", "password": "correct horse battery staple"},
        signed_in=False,
    )
    assert reply.status == 201, reply.body[:300]
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def emulator_log(limit: int = 50) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{EMULATOR_URL}/_emulator/requests?limit={limit}", timeout=5) as response:
        records: list[dict[str, Any]] = json.load(response)["requests"]
    return records


def quiet(within: float = 30.0) -> int:
    """Waits until every request the emulator has seen has ended (answers, and summaries made after them);
    returns the id of the last one."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        records = emulator_log()
        if all(entry["ended_at"] is not None for entry in records):
            time.sleep(0.5)  # a summary starts just after its answer ends
            again = emulator_log()
            if [entry["id"] for entry in again] == [entry["id"] for entry in records]:
                return int(records[-1]["id"]) if records else 0
        time.sleep(0.1)
    raise AssertionError(f"the emulator was still busy {within}s later")


def send(account: dict[str, str], conversation: str, number: int) -> Reply:
    content = f"Part {number} of the log: {FILLER}\n@emulator tokens=5 tag={uuid.uuid4().hex}"
    return post_json(
        f"/api/conversations/{conversation}/messages", {"content": content, "options": {"max_tokens": 16}}, account
    )


def test_a_spent_budget_refuses_a_send_into_a_long_conversation_before_any_model_call() -> None:
    account = new_account()
    created = post_json("/api/conversations", {}, account)
    assert created.status == 201, created.body[:300]
    conversation = created.json()["id"]
    refused: Reply | None = None
    answered, answers_tokens, first = 0, 0, quiet()
    for number in range(1, MAX_SENDS + 1):
        last_before = quiet()
        reply = send(account, conversation, number)
        if reply.status == 429:
            refused = reply
            break
        assert reply.status == 200, reply.body[:300]
        events = reply.events()
        assert events[-1][0] == "done", events[-1:]
        usage = dict(events)["usage"]
        answered, answers_tokens = answered + 1, answers_tokens + usage["prompt_tokens"] + usage["completion_tokens"]
    assert refused is not None, f"{MAX_SENDS} sends did not spend USER_TOKENS_PER_DAY"
    assert refused.json()["error"]["code"] == "quota_exceeded"
    time.sleep(1.0)  # what a model call started by the refused send would need to reach the emulator
    after = emulator_log()
    new = [entry for entry in after if int(entry["id"]) > last_before]
    assert new == [], new  # neither an answer nor a summary
    summaries = [entry for entry in emulator_log(200) if entry["summary"] and int(entry["id"]) > first]
    assert answered >= 2 and summaries, "the conversation never neared the window"
    usage = exchange_json("/api/me/usage", account)["tokens_per_day"]
    assert usage["used"] > answers_tokens, (usage, answers_tokens)  # the summaries were charged too
    record(
        "admission_before_model_work",
        {
            "answers_before_the_budget_was_spent": answered,
            "summaries_made": len(summaries),
            "tokens_of_the_answers": answers_tokens,
            "tokens_charged": usage["used"],
            "model_requests_after_the_refusal": len(new),
        },
    )


def exchange_json(path: str, headers: dict[str, str]) -> Any:
    reply = exchange("GET", path, headers=headers)
    assert reply.status == 200, reply.body[:300]
    return reply.json()

"""Per-user limits as a user meets them: the day's budget shown near the input once it runs low, and a refused
send explained in words, with what was typed kept and Retry working once the limit frees.

The stack gives accounts a small day's budget (scripts/e2e.sh); four answers in flight, each reserving its
`max_tokens`, bring it low, and take every one of the account's four answers-at-once.
"""

import json
import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from stack.support import BASE_URL, new_tag

from .test_accounts import PASSWORD, create_account
from .test_chat import last_answer, send

ANSWERS_AT_ONCE = 4  # USER_CONCURRENT_STREAMS, the product's default
SLOW = "@emulator ttft_ms=0 token_ms=200 tokens=300"  # a minute long: still running while the page is used


def start_answer(http: httpx.Client, number: int) -> str:
    """Starts an answer in a new conversation of the account, leaves its stream (the answer goes on), and
    returns the answer's id."""
    conversation = http.post("/api/conversations", json={})
    assert conversation.status_code == 201, conversation.text
    # Without tools, so that what each reserves does not follow the size of the tools' definitions (MCP servers
    # and built-ins): four answers of 4,096 tokens of room (the most) and their prompts fit the e2e account's
    # 20,000 a day, and leave under a fifth of it.
    switched = http.patch(f"/api/conversations/{conversation.json()['id']}", json={"tools_enabled": False})
    assert switched.status_code == 200, switched.text
    body = {"content": f"Busy {number}\n{SLOW} tag={new_tag()}", "options": {"max_tokens": 4096}}
    with http.stream("POST", f"/api/conversations/{conversation.json()['id']}/messages", json=body) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if line.startswith("data: ") and "assistant_message_id" in line:
                answer: str = json.loads(line.removeprefix("data: "))["assistant_message_id"]
                return answer
    raise AssertionError("the answer's stream ended before its start event")


def wait_until_no_answer_runs(page: Page, http: httpx.Client) -> None:
    """Stopped answers give their slots back as their owners settle them, a moment after the stop."""
    for _ in range(50):
        if http.get("/api/me/usage").json()["concurrent_streams"]["active"] == 0:
            return
        page.wait_for_timeout(100)
    raise AssertionError("the stopped answers still held their slots 5 s later")


def test_a_low_budget_is_shown_and_a_refused_send_says_why_and_keeps_the_message(page: Page) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    create_account(page, email)
    with httpx.Client(base_url=BASE_URL, timeout=10) as http:
        signed = http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        http.headers["Authorization"] = f"Bearer {signed.json()['access_token']}"
        answers = [start_answer(http, number) for number in range(ANSWERS_AT_ONCE)]

        question = f"Are you still there?\n@emulator ttft_ms=0 token_ms=0 tokens=8 tag={new_tag()}"
        send(page, question)
        refusal = last_answer(page).get_by_role("alert")
        expect(refusal).to_contain_text(f"{ANSWERS_AT_ONCE} answers are already being written for you")
        expect(refusal).to_contain_text("Wait for one to end, or stop one")
        expect(page.get_by_test_id("user-turn").last).to_contain_text("Are you still there?")
        # The usage read again once the refused send ended: the four reservations leave under a fifth of the day.
        budget = page.get_by_role("status").filter(has_text="tokens left today")
        expect(budget).to_contain_text(re.compile(r"[\d,]+ of [\d,]+ tokens left today; resets in \d+ (h|min)"))

        for answer in answers:
            assert http.post(f"/api/generations/{answer}/stop").status_code == 202
        wait_until_no_answer_runs(page, http)

    last_answer(page).get_by_role("button", name="Retry").click()
    expect(last_answer(page)).to_have_attribute("data-status", "done")
    expect(last_answer(page)).to_contain_text("Are you still there?")
    expect(budget).to_be_hidden()  # the stopped answers charged only what they used

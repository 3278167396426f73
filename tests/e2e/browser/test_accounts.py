"""Accounts and conversations on the server, as people use them: a guest chats at once and keeps its chats by
creating an account; the account on another browser sees them; two users never see each other's; Stop,
reload and Retry leave what they should on screen and in the database."""

import itertools
import re
import time
import uuid
from typing import Any

from playwright.sync_api import Browser, Page, expect

from stack.support import BASE_URL, new_tag

from .test_chat import last_answer, send

PASSWORD = "correct horse battery staple"

# What the server has for the conversation open in the page, read with the page's own session (its access
# token lives in the page's memory, so ask for a fresh one with the session cookie).
SAVED = """async (id) => {
  const session = await (await fetch('/api/auth/refresh', { method: 'POST' })).json();
  const headers = { Authorization: 'Bearer ' + session.access_token };
  const response = await fetch('/api/conversations/' + id, { headers });
  return { status: response.status, body: await response.json() };
}"""


def utf16_length(text: str) -> int:
    """A JavaScript string's length (UTF-16 code units: an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def conversation_id(page: Page) -> str:
    expect(page).to_have_url(re.compile(r"/c/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[1]


def saved(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(SAVED, conversation_id(page))
    assert result["status"] == 200, result
    body: dict[str, Any] = result["body"]
    return body


def new_context_page(browser: Browser) -> Page:
    context = browser.new_context(base_url=BASE_URL, viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto("/")
    return page


def create_account(page: Page, email: str) -> None:
    page.get_by_role("button", name="Keep my chats").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile("^Password")).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()


def test_a_guest_keeps_its_chats_and_sees_them_on_another_browser(page: Page, browser: Browser) -> None:
    expect(page.get_by_text("You are chatting as a guest")).to_be_visible()
    send(page, f"Remember the lighthouse\n@emulator ttft_ms=0 token_ms=0 tokens=12 tag={new_tag()}")
    expect(last_answer(page)).to_have_attribute("data-status", "done")
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    create_account(page, email)
    expect(page.get_by_role("navigation", name="Conversations")).to_contain_text("Remember the lighthouse")

    other = new_context_page(browser)
    try:
        other.get_by_role("button", name="Sign in").click()
        other.get_by_label("Email").fill(email)
        other.get_by_label(re.compile("^Password")).fill(PASSWORD)
        other.get_by_role("button", name="Sign in").last.click()
        chats = other.get_by_role("navigation", name="Conversations")
        chats.get_by_role("button", name=re.compile("^Remember the lighthouse")).click()
        expect(other.get_by_label("You").last).to_contain_text("Remember the lighthouse")
        for seen in (page, other):  # the answer rendered as markdown (the renderer loads after the first paint)
            expect(last_answer(seen).get_by_role("heading", name="Remember the lighthouse")).to_be_visible()
        expect(last_answer(other)).to_have_text(last_answer(page).inner_text(), use_inner_text=True)
    finally:
        other.context.close()


def test_two_users_never_see_each_others_chats(page: Page, browser: Browser) -> None:
    send(page, f"A private thought\n@emulator ttft_ms=0 token_ms=0 tokens=5 tag={new_tag()}")
    expect(last_answer(page)).to_have_attribute("data-status", "done")
    mine = conversation_id(page)
    stranger = new_context_page(browser)
    try:
        expect(stranger.get_by_label("Message")).to_be_visible()
        expect(stranger.get_by_role("navigation", name="Conversations")).not_to_contain_text("A private thought")
        stranger.goto(f"/c/{mine}")
        expect(stranger.get_by_role("alert")).to_contain_text("No such conversation")
        expect(stranger.get_by_test_id("user-turn")).to_have_count(0)
    finally:
        stranger.context.close()


def test_stop_then_reload_shows_what_the_server_saved(page: Page) -> None:
    send(page, f"A long story\n@emulator ttft_ms=0 token_ms=60 tokens=400 tag={new_tag()}")
    answer = last_answer(page)
    expect(answer).to_contain_text("A long story")
    page.get_by_role("button", name="Stop").click()
    expect(answer).to_have_attribute("data-status", "stopped")
    expect(answer.get_by_role("heading", name="A long story")).to_be_visible()
    shown = answer.inner_text()
    stored = saved(page)["messages"]["items"][-1]
    assert stored["status"] == "stopped" and stored["finish_reason"] == "cancelled" and stored["content"]
    expect(answer).to_have_attribute("data-chars", str(utf16_length(stored["content"])))  # what was seen, saved
    page.reload()
    expect(last_answer(page)).to_have_attribute("data-status", "stopped")
    expect(last_answer(page)).to_have_text(shown, use_inner_text=True)


def test_a_reload_mid_answer_follows_it_to_the_end_with_exactly_the_saved_text(page: Page) -> None:
    send(page, f"Keep writing while I reload\n@emulator ttft_ms=0 token_ms=30 tokens=150 tag={new_tag()}")
    expect(last_answer(page)).to_contain_text("Keep writing")
    page.reload()
    answer = last_answer(page)
    expect(answer).to_have_attribute("data-status", "done", timeout=30_000)
    stored = saved(page)["messages"]["items"][-1]
    assert stored["status"] == "done" and stored["usage"]["completion_tokens"] == 150
    # Exactly the model's text, once: no part replayed twice, none missing.
    assert answer.get_attribute("data-chars") == str(utf16_length(stored["content"]))
    shown = answer.inner_text()
    for phrase in ("Keep writing while I reload", "Grüß Gott"):
        assert shown.count(phrase) == stored["content"].count(phrase) >= 1


# At every animation frame, the characters the last answer shows (its data-chars), when they change. The page's
# CSP forbids evaluating strings later, but an init script runs before the page's own.
FRAMES_PROBE = """
window.__frames = [];
const look = () => {
  const answers = document.querySelectorAll('[data-testid="assistant-turn"]');
  const chars = answers.length ? Number(answers[answers.length - 1].getAttribute('data-chars') ?? 0) : -1;
  const frames = window.__frames;
  if (!frames.length || frames[frames.length - 1] !== chars) frames.push(chars);
  requestAnimationFrame(look);
};
requestAnimationFrame(look);
"""


def test_a_resumed_answer_paints_what_it_missed_in_one_frame(page: Page) -> None:
    """After a reload mid-answer the page follows the answer again from its first event: what was written
    meanwhile arrives at once and must appear at once (one frame), never emptied and rewritten token by token."""
    page.add_init_script(FRAMES_PROBE)
    send(page, f"Resume me\n@emulator ttft_ms=0 token_ms=25 tokens=400 tag={new_tag()}")
    answer = last_answer(page)
    expect(answer).to_have_attribute("data-status", "streaming")
    deadline = time.monotonic() + 20
    while (before := int(answer.get_attribute("data-chars") or 0)) < 1000:  # a couple of hundred tokens written
        assert time.monotonic() < deadline, answer.get_attribute("data-status")
        page.wait_for_timeout(100)
    page.reload()
    expect(last_answer(page)).to_have_attribute("data-status", "streaming")
    page.wait_for_timeout(500)
    frames: list[int] = page.evaluate("window.__frames")
    shown = [chars for chars in frames if chars > 0]
    # Once text is shown it only grows: no frame empties the answer to write it again.
    assert shown and all(later >= earlier for earlier, later in itertools.pairwise(shown)), frames
    # The saved answer may show first (the conversation loads before the answer is followed); the next frame
    # has all that was on screen before the reload (a live token adds a few characters a frame).
    assert any(chars >= before for chars in shown[:2]), (before, frames)


def test_retry_makes_a_sibling_and_keeps_the_later_turns(page: Page) -> None:
    send(page, f"First question\n@emulator ttft_ms=0 token_ms=0 tokens=8 tag={new_tag()}")
    expect(last_answer(page)).to_have_attribute("data-status", "done")
    send(page, f"Second question\n@emulator ttft_ms=0 token_ms=0 tokens=8 tag={new_tag()}")
    expect(page.get_by_test_id("assistant-turn")).to_have_count(2)
    expect(last_answer(page)).to_have_attribute("data-status", "done")
    first = page.get_by_test_id("assistant-turn").first
    first.get_by_role("button", name="Retry").click()
    expect(page.get_by_test_id("assistant-turn")).to_have_count(1)  # the new branch, after the first question
    expect(last_answer(page)).to_have_attribute("data-status", "done")
    expect(last_answer(page).get_by_text("2 / 2")).to_be_visible()
    last_answer(page).get_by_role("button", name="Previous version").click()
    expect(page.get_by_test_id("assistant-turn")).to_have_count(2)  # the later turn was never deleted
    expect(page.get_by_label("You").last).to_contain_text("Second question")
    page.reload()
    expect(page.get_by_test_id("assistant-turn")).to_have_count(2)  # and the choice is the server's

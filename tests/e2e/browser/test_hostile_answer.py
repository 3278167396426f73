"""An answer written to break the page (issue 27, item 4): 3,000 nested blockquotes threw "Maximum call stack
size exceeded" in the markdown renderer and, with no error boundary, unmounted the whole app, for good on that
conversation's URL. Now the renderer sees the nesting bounded, and each message renders on its own: whatever
one answer holds, the other messages, the input and the page go on.
"""

import re

import pytest
from playwright.sync_api import Error, Page, expect

from stack.support import new_tag

from .test_chat import last_answer, send

MAX_NESTING = 12  # services/ui/src/lib/boundMarkdown.ts: the deepest nesting the renderer is given
FAST = "ttft_ms=0 token_ms=0"


def page_errors(page: Page) -> list[Error]:
    """Uncaught errors in the page from now on (a render error that escapes every boundary is one)."""
    errors: list[Error] = []
    page.on("pageerror", lambda error: errors.append(error))  # (a bound builtin takes no attribute)
    return errors


def sideways_overflow(page: Page) -> int:
    """How far the conversation is wider than its column (0: nothing needs scrolling sideways)."""
    overflow: int = page.get_by_test_id("message-list").evaluate("el => el.scrollWidth - el.clientWidth")
    return overflow


def test_a_blockquote_bomb_renders_bounded_and_the_page_goes_on(page: Page) -> None:
    errors = page_errors(page)
    send(page, f"Quote me deeply\n@emulator reply=quote_bomb depth=3000 {FAST} tag={new_tag()}")
    answer = last_answer(page)
    expect(answer).to_have_attribute("data-status", "done", timeout=20_000)
    expect(answer).to_contain_text("The bottom of a deep quote.")
    expect(answer.locator("blockquote")).to_have_count(MAX_NESTING)  # markdown, nested no deeper than the bound
    expect(answer).not_to_have_attribute("data-fallback", "plain-text")
    assert sideways_overflow(page) <= 0, "the nested quotes are wider than the conversation"

    # The app goes on: another message gets its answer, in the same conversation.
    send(page, f"Still there?\n@emulator {FAST} tokens=20 tag={new_tag()}")
    expect(page.get_by_test_id("assistant-turn")).to_have_count(2)
    expect(last_answer(page)).to_have_attribute("data-status", "done", timeout=20_000)
    expect(last_answer(page)).to_contain_text("Still there?")
    expect(page).to_have_url(re.compile(r"/c/[0-9a-f-]+$"))

    # The conversation's address opens it again, bomb and all.
    page.reload()
    first = page.get_by_test_id("assistant-turn").first
    expect(first).to_contain_text("The bottom of a deep quote.")
    expect(first.locator("blockquote")).to_have_count(MAX_NESTING)
    expect(page.get_by_test_id("assistant-turn")).to_have_count(2)
    expect(page.get_by_label("Message")).to_be_editable()
    current = page.get_by_role("navigation", name="Conversations").locator("[aria-current=page]")
    expect(current).to_contain_text("Quote me deeply")
    assert errors == [], errors


@pytest.mark.parametrize(
    ("name", "hostile"),
    [
        # Few tokens each (the emulator's tokenizer takes a run of punctuation as one), so no answer is cut by
        # max_tokens; nested lists cost a token a level and are checked in the UI's unit tests instead.
        ("10,000 stars either side", "*" * 10_000 + " deep " + "*" * 10_000),
        ("450 underscores either side (one token each here)", "_" * 450 + " deep " + "_" * 450),
        ("10,000 open brackets", "[" * 10_000 + " deep"),
        ("a 30,000-character line without spaces", "." * 15_000 + "deep" + "." * 15_000),
    ],
)
def test_other_pathological_answers_render_and_the_page_goes_on(page: Page, name: str, hostile: str) -> None:
    errors = page_errors(page)
    # reply=echo: the model answers with exactly the message, its directive line removed.
    send(page, f"{hostile}\n@emulator reply=echo {FAST} tag={new_tag()}")
    answer = last_answer(page)
    expect(answer).to_have_attribute("data-status", "done", timeout=20_000)
    expect(answer).to_contain_text("deep")
    assert int(answer.get_attribute("data-chars") or 0) >= len(hostile)
    assert sideways_overflow(page) <= 0, f"{name}: the answer is wider than the conversation"

    send(page, f"Still there?\n@emulator {FAST} tokens=20 tag={new_tag()}")
    expect(page.get_by_test_id("assistant-turn")).to_have_count(2)
    expect(last_answer(page)).to_contain_text("Still there?", timeout=20_000)
    page.reload()
    expect(page.get_by_test_id("assistant-turn")).to_have_count(2)
    expect(page.get_by_label("Message")).to_be_editable()
    assert errors == [], f"{name}: {errors}"

"""Memory in the browser: once a conversation no longer fits the model's window (8,000 tokens in the e2e
stack), the page marks where the model's memory becomes a summary, shows the summary on request, and keeps the
mark after a reload. Every answer still ends whole."""

import re

from playwright.sync_api import Page, expect

from stack.support import new_tag

from .test_chat import last_answer, send

MOST_TURNS = 20


def test_the_page_marks_where_earlier_messages_are_summarised(page: Page) -> None:
    mark = page.get_by_test_id("summary-mark")
    for number in range(1, MOST_TURNS + 1):
        send(page, f"Tell me about harbour number {number}\n@emulator ttft_ms=0 token_ms=0 tokens=400 tag={new_tag()}")
        expect(last_answer(page)).to_have_attribute("data-status", "done")
        if mark.count():
            break
    else:
        raise AssertionError(f"no summary mark after {MOST_TURNS} turns")
    expect(mark).to_contain_text(re.compile(r"remembers the \d+ messages above as a summary"))
    summary = mark.get_by_text(re.compile(r"^\[emulator summary of \d+ messages\]"))
    expect(summary).to_be_hidden()
    mark.locator("summary").click()
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Tell me about harbour number 1")

    page.reload()
    expect(page.get_by_test_id("summary-mark")).to_contain_text("as a summary")

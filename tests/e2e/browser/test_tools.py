"""Tools as a person sees them: cards that appear while the answer streams and come back after a reload, the
approval prompt (after a reload, and decided from a second tab), and Stop while an answer waits on a tool."""

import re

from playwright.sync_api import Page, expect

from stack.support import new_tag, upstream_records

from .test_chat import last_answer, send


def test_tool_cards_appear_while_streaming_and_come_back_after_a_reload(page: Page) -> None:
    tag = new_tag()
    send(
        page,
        "What time is it in Berlin?\n"
        '@emulator call current_time {"timezone": "Europe/Berlin"}\n'
        f"@emulator ttft_ms=0 token_ms=40 tokens=60 tag={tag}",
    )
    answer = last_answer(page)
    card = answer.get_by_test_id("tool-card")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("data-state", "ok")
    expect(answer).to_have_attribute("data-status", "streaming")  # the card came before the answer's text ended
    expect(answer).to_have_attribute("data-status", "done", timeout=20_000)
    expect(answer).to_contain_text("Tool builtin-current_time said:")
    assert len(upstream_records(tag)) == 2

    page.reload()
    answer = last_answer(page)
    expect(answer.get_by_test_id("tool-card")).to_have_attribute("data-state", "ok")
    expect(answer.get_by_test_id("tool-card")).to_contain_text("Europe/Berlin")
    expect(answer).to_contain_text("Tool builtin-current_time said:")


def test_the_approval_prompt_survives_a_reload_and_a_second_tab_decides(page: Page) -> None:
    fact = f"The user's cat is called {new_tag()[:8]}."
    send(page, f'Remember my cat\n@emulator call remember {{"fact": "{fact}"}}\n@emulator tag={new_tag()}')
    prompt = page.get_by_role("alertdialog", name=re.compile("remember"))
    expect(prompt).to_be_visible()
    expect(page.get_by_role("button", name="Deny")).to_be_focused()  # focus moved to it; Deny is first

    page.reload()
    expect(page.get_by_role("alertdialog", name=re.compile("remember"))).to_be_visible()  # replayed

    second = page.context.new_page()
    second.goto(page.url)
    second.get_by_role("alertdialog", name=re.compile("remember")).get_by_role("button", name="Allow once").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)  # gone in the first tab too
    answer = last_answer(page)
    expect(answer.get_by_test_id("tool-card")).to_have_attribute("data-state", "ok")
    expect(answer).to_have_attribute("data-status", "done", timeout=20_000)
    expect(last_answer(second)).to_have_attribute("data-status", "done", timeout=20_000)
    second.close()

    page.locator("summary", has_text="Settings").click()
    page.locator("summary", has_text="Memories").click()
    expect(page.get_by_test_id("memory-list")).to_contain_text(fact)


def test_stop_while_an_answer_waits_on_a_tool(page: Page) -> None:
    tag = new_tag()
    send(page, f'Remember this\n@emulator call remember {{"fact": "Not kept."}}\n@emulator tag={tag}')
    expect(page.get_by_role("alertdialog", name=re.compile("remember"))).to_be_visible()
    page.get_by_role("button", name="Stop").click()
    answer = last_answer(page)
    expect(answer).to_have_attribute("data-status", "stopped")
    expect(answer.get_by_test_id("tool-card")).to_have_attribute("data-state", "cancelled")
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    assert len(upstream_records(tag)) == 1  # no round after the Stop

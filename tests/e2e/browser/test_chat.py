"""A person's view of the product: the real UI, through nginx, streaming from the api and the emulator."""

import time
from pathlib import Path

from playwright.sync_api import Page, expect

from stack.support import new_tag, upstream_end, upstream_records


def send(page: Page, text: str) -> None:
    page.get_by_label("Message").fill(text)
    page.get_by_label("Message").press("Enter")


def last_answer(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("assistant-turn").last


def test_the_answer_grows_while_it_streams_then_renders_markdown(page: Page, artifacts: Path) -> None:
    # A human pace (the product's default; the e2e stack runs the emulator unpaced for the fuzz's sake).
    send(page, "How does streaming work?\n@emulator ttft_ms=250 token_ms=25")
    answer = last_answer(page)
    expect(answer).to_have_attribute("data-status", "streaming")
    expect(answer).to_contain_text("How does streaming work?")
    early = len(answer.inner_text())
    page.wait_for_timeout(600)
    later = len(answer.inner_text())
    assert later > early, f"the answer did not grow while streaming ({early} -> {later} characters)"

    expect(answer).to_have_attribute("data-status", "done", timeout=20_000)
    expect(answer.get_by_role("heading", name="How does streaming work?")).to_be_visible()
    expect(answer.get_by_role("table")).to_be_visible()
    expect(answer.get_by_role("button", name="Copy code")).to_be_visible()
    expect(answer).to_contain_text("こんにちは")
    expect(answer).to_contain_text("tokens")
    page.screenshot(path=str(artifacts / "finished-answer.png"), full_page=True)


def test_stop_keeps_the_partial_answer_and_closes_the_upstream(page: Page) -> None:
    tag = new_tag()
    send(page, f"A long answer please\n@emulator ttft_ms=0 token_ms=100 tokens=400 tag={tag}")
    answer = last_answer(page)
    expect(answer).to_contain_text("A long answer please")
    stop = page.get_by_role("button", name="Stop")
    stopped_at = time.time()
    stop.click()

    expect(answer).to_have_attribute("data-status", "stopped")
    expect(answer).to_contain_text("Stopped")
    partial = answer.inner_text()
    assert "A long answer please" in partial
    record = upstream_end(tag)
    assert record["disconnected"] is True, record
    assert record["tokens_sent"] < 400
    closed_after = record["disconnected_at"] - stopped_at
    assert closed_after < 0.5, f"the upstream was closed {closed_after * 1000:.0f} ms after Stop"


def test_a_failure_shows_the_error_and_retry_succeeds(page: Page) -> None:
    tag = new_tag()
    # Four 503s: the api's first try and its two retries fail (so the user sees an error); Retry succeeds.
    send(page, f"Will this work?\n@emulator fault=503 fail_times=3 ttft_ms=0 token_ms=0 tag={tag}")
    answer = last_answer(page)
    expect(answer.get_by_role("alert")).to_contain_text("unavailable")
    expect(page.get_by_label("You").last).to_contain_text("Will this work?")

    answer.get_by_role("button", name="Retry").click()
    expect(last_answer(page)).to_have_attribute("data-status", "done", timeout=20_000)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert [r["status"] for r in upstream_records(tag)] == [503, 503, 503, 200]


def test_a_reload_keeps_the_conversation(page: Page) -> None:
    send(page, f"Remember this\n@emulator ttft_ms=0 token_ms=0 tokens=20 tag={new_tag()}")
    expect(last_answer(page)).to_have_attribute("data-status", "done")
    page.reload()
    expect(page.get_by_label("You").last).to_contain_text("Remember this")
    expect(last_answer(page)).to_contain_text("Remember this")
    current = page.get_by_role("navigation", name="Conversations").locator("[aria-current=page]")
    expect(current).to_contain_text("Remember this")  # listed, and still the open conversation


def test_usable_on_a_phone_screen(page: Page, artifacts: Path) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    send(page, f"Hi from a phone\n@emulator ttft_ms=0 token_ms=0 tag={new_tag()}")
    expect(last_answer(page)).to_have_attribute("data-status", "done")
    page.screenshot(path=str(artifacts / "phone.png"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width}px wide)"


def test_scroll_follows_the_answer_until_the_reader_scrolls_up(page: Page) -> None:
    page.set_viewport_size({"width": 1000, "height": 600})
    send(page, f"A long one\n@emulator ttft_ms=0 token_ms=25 tokens=400 tag={new_tag()}")
    answer = last_answer(page)
    scroller = page.get_by_test_id("message-list")
    distance_from_bottom = "el => el.scrollHeight - el.scrollTop - el.clientHeight"
    # (wait_for_function would evaluate a string, which the page's CSP rightly forbids: poll instead)
    for _ in range(100):
        if scroller.evaluate("el => el.scrollHeight") > 1200:  # the answer is taller than the window now
            break
        page.wait_for_timeout(50)
    assert scroller.evaluate(distance_from_bottom) < 48, "the view did not follow the answer"

    box = scroller.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -600)  # the reader scrolls back up with the wheel, while text keeps arriving
    jump = page.get_by_role("button", name="Jump to latest")
    expect(jump).to_be_visible()
    page.wait_for_timeout(100)  # let the wheel's smooth scroll settle
    held = scroller.evaluate("el => el.scrollTop")
    page.wait_for_timeout(400)  # more text arrives meanwhile
    assert scroller.evaluate("el => el.scrollTop") == held, "the view dragged the reader down"
    assert scroller.evaluate(distance_from_bottom) > 48

    jump.click()
    expect(jump).to_be_hidden()
    assert scroller.evaluate(distance_from_bottom) < 48
    expect(answer).to_have_attribute("data-status", "done", timeout=20_000)
    assert scroller.evaluate(distance_from_bottom) < 48, "the view stopped following after the jump"

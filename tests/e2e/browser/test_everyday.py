"""The everyday surfaces as a person uses them: search by keyboard, a vote changed, a share link opened by someone
with no session and then revoked, and the header on a phone."""

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from stack.support import BASE_URL, new_tag

from .test_accessibility import blocking_violations
from .test_accounts import conversation_id, create_account, saved
from .test_chat import last_answer, send

QUICK = "@emulator ttft_ms=0 token_ms=0 tokens=20"


def answered(page: Page, text: str) -> None:
    send(page, f"{text}\n{QUICK} tag={new_tag()}")
    expect(last_answer(page)).to_have_attribute("data-status", "done", timeout=20_000)


def test_search_by_keyboard_opens_the_hit_at_its_message(page: Page) -> None:
    word = f"quokka{new_tag()[:10]}"
    # The word far enough in that the chat's title (its first words) does not hold it: a message is the hit.
    answered(page, f"A long preamble so that the title stops well before the word we look for later: {word}")
    first = conversation_id(page)
    page.get_by_role("button", name="+ New chat").click()
    answered(page, "Something else entirely")
    assert conversation_id(page) != first

    page.keyboard.press("Control+k")
    box = page.get_by_role("combobox", name="Search your chats")
    expect(box).to_be_focused()
    box.press_sequentially(word, delay=20)
    hits = page.get_by_role("dialog", name="Search chats").get_by_role("option")
    expect(hits.first).to_be_visible()
    expect(hits.first.locator("mark").first).to_have_text(re.compile(word, re.IGNORECASE))
    kinds = [hits.nth(i).get_attribute("data-kind") for i in range(hits.count())]
    assert "message" in kinds, kinds
    for _ in range(kinds.index("message")):
        box.press("ArrowDown")
    box.press("Enter")

    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page).to_have_url(re.compile(rf"/c/{first}#m-[0-9a-f-]{{36}}$"))
    message_id = page.url.rsplit("#m-", 1)[1]
    target = page.locator(f"[id='m-{message_id}']")
    expect(target).to_be_focused()
    expect(target).to_contain_text(word)
    expect(target).to_have_attribute("data-found", "")


def test_vote_and_change_the_vote(page: Page) -> None:
    answered(page, "Rate this answer")
    answer = last_answer(page)
    up = answer.get_by_role("button", name="Good answer")
    down = answer.get_by_role("button", name="Bad answer")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")

    down.click()
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")
    why = answer.get_by_role("form", name="What was wrong?")
    why.get_by_role("radio", name="Incomplete").check()
    why.get_by_label("More details (optional)").fill("It stops halfway.")
    why.get_by_role("button", name="Send").click()
    expect(why).to_have_count(0)
    feedback: dict[str, Any] = saved(page)["messages"]["items"][-1]["feedback"]
    assert (feedback["rating"], feedback["reason"], feedback["comment"]) == ("down", "incomplete", "It stops halfway.")

    page.reload()  # the vote comes with the messages
    answer = last_answer(page)
    down = answer.get_by_role("button", name="Bad answer")
    expect(down).to_have_attribute("aria-pressed", "true")
    down.click()  # the same thumb again: withdrawn
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(answer.get_by_role("button", name="Good answer")).to_have_attribute("aria-pressed", "false")
    assert saved(page)["messages"]["items"][-1]["feedback"] is None


def test_a_share_link_opens_without_a_session_and_is_gone_once_revoked(page: Page, browser: Browser) -> None:
    create_account(page, f"share-{new_tag()[:12]}@example.com")  # a guest may not share
    answered(page, "Worth showing a colleague")
    # The title the model writes a moment after the first answer (the emulator's), before the snapshot is taken.
    heading = page.get_by_role("banner").get_by_role("heading")
    expect(heading).to_have_text("Worth showing a colleague (emulator title)", timeout=15_000)
    title = heading.inner_text()
    page.get_by_role("banner").get_by_role("button", name=re.compile("^Chat actions")).click()
    page.get_by_role("menuitem", name="Share…").click()
    dialog = page.get_by_role("dialog", name=re.compile("^Share"))
    dialog.get_by_role("button", name="Create link").click()
    link = dialog.get_by_label("Link", exact=True)
    expect(link).to_have_value(re.compile(r"/s/[A-Za-z0-9_-]{32}$"))
    url = link.input_value()

    viewer_context = browser.new_context(base_url=BASE_URL, viewport={"width": 1100, "height": 800})
    try:
        viewer = viewer_context.new_page()
        requests: list[Request] = []
        viewer.on("request", lambda request: requests.append(request))
        viewer.goto(url)
        expect(viewer.get_by_role("heading", level=1)).to_have_text(title)
        expect(viewer.get_by_test_id("shared-answer")).to_contain_text("Worth showing a colleague")
        expect(viewer.locator('meta[name="robots"]')).to_have_attribute("content", "noindex")
        expect(viewer.get_by_role("textbox")).to_have_count(0)
        api = [request for request in requests if "/api/" in request.url]
        assert [re.sub(r"^https?://[^/]+", "", r.url) for r in api] == [f"/api/shared/{url.rsplit('/', 1)[1]}"]
        headers = api[0].all_headers()
        assert "authorization" not in headers and "cookie" not in headers, headers

        dialog.get_by_role("button", name=re.compile("^Revoke the link")).click()
        expect(dialog.get_by_text("No links yet.")).to_be_visible()
        viewer.reload()
        expect(viewer.get_by_role("heading", name="This link does not work")).to_be_visible()
        expect(viewer.get_by_role("heading", name=title)).to_have_count(0)
    finally:
        viewer_context.close()


def test_the_header_fits_a_phone(page: Page) -> None:
    answered(page, "A chat whose title is rather long, to see that the header still fits on a small phone screen")
    page.set_viewport_size({"width": 360, "height": 740})
    header = page.get_by_role("banner")
    overflow = header.evaluate("element => element.scrollWidth - element.clientWidth")
    assert overflow <= 0, f"the header is {overflow} px wider than a 360 px screen"
    menu = header.get_by_role("button", name=re.compile("^Chat actions"))
    expect(menu).to_be_in_viewport()
    menu.click()
    expect(page.get_by_role("menuitem", name="Share…")).to_be_in_viewport()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_violation_in_the_search_with_hits_and_in_a_thumbs_down(page: Page, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    word = f"axolotl{new_tag()[:10]}"
    answered(page, f"Tell me about the {word}")
    answer = last_answer(page)
    answer.get_by_role("button", name="Bad answer").click()
    expect(answer.get_by_role("form", name="What was wrong?")).to_be_visible()
    assert blocking_violations(page) == []

    page.keyboard.press("Control+k")
    page.get_by_role("combobox", name="Search your chats").fill(word)
    expect(page.get_by_role("dialog", name="Search chats").get_by_role("option").first).to_be_visible()
    assert blocking_violations(page) == []

"""Accessibility: axe-core finds no serious or critical violation, and every control works from the keyboard
with a visible focus."""

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from stack.support import new_tag

from .test_chat import last_answer, send

BLOCKING = ("serious", "critical")


def blocking_violations(page: Page) -> list[str]:
    results: Any = Axe().run(page)
    return [
        f"{found['id']} ({found['impact']}): {found['help']} at {[node['target'] for node in found['nodes']][:3]}"
        for found in results.response["violations"]
        if found["impact"] in BLOCKING
    ]


def answer_with_code_and_a_table(page: Page) -> None:
    send(page, f"Show me code and a table\n@emulator ttft_ms=0 token_ms=0 tag={new_tag()}")
    answer = last_answer(page)
    expect(answer).to_have_attribute("data-status", "done")
    expect(answer.get_by_role("table")).to_be_visible()
    expect(answer.locator("pre code.hljs")).to_be_visible()  # highlighted: its grammar has loaded
    # The list shows the chat under the title the model writes a moment after the answer ends (the emulator's:
    # the question's first words, then "(emulator title)"): until then its controls are labelled "New chat",
    # then the first words, and change under a test that collects them.
    chats = page.get_by_role("navigation", name="Conversations")
    titled = re.compile(r"^Show me code and a table \(emulator title\)")
    expect(chats.get_by_role("button", name=titled)).to_be_visible(timeout=15_000)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_violation_on_the_empty_page(page: Page, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    expect(page.get_by_label("Message")).to_be_visible()
    assert blocking_violations(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_violation_after_an_answer_with_code_and_a_table(page: Page, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    answer_with_code_and_a_table(page)
    assert blocking_violations(page) == []


# Set before any of the page's scripts: the theme <html> has when the first <body> element is parsed, which is
# before the first paint.
THEME_AT_FIRST_BODY = """new MutationObserver((_, observer) => {
  if (!document.body) return;
  window.__themeAtFirstBody = document.documentElement.dataset.theme ?? null;
  observer.disconnect();
}).observe(document, { childList: true, subtree: true });"""


def test_a_chosen_theme_and_language_pass_axe_and_are_there_from_the_first_paint(page: Page) -> None:
    page.emulate_media(color_scheme="light")  # the system's is light: the dark theme below is the choice
    answer_with_code_and_a_table(page)  # (it finds its way by the English labels)
    page.get_by_text("Settings").click()
    page.get_by_label("Theme").select_option("dark")
    page.get_by_label("Language").select_option("de")
    expect(page.get_by_role("textbox", name="Nachricht")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert blocking_violations(page) == []

    page.add_init_script(THEME_AT_FIRST_BODY)
    page.reload()
    expect(page.get_by_role("textbox", name="Nachricht")).to_be_visible()
    assert page.evaluate("window.__themeAtFirstBody") == "dark"


# Every control a pointer can use, and whether the focused element shows that it has the focus.
CONTROLS = """() => [...document.querySelectorAll(
  'button:not([disabled]), a[href], input:not([disabled]), textarea:not([disabled]), summary, '
  + '[tabindex]:not([tabindex="-1"])'
)].filter((el) => el.getClientRects().length > 0).map((el) => el.outerHTML.slice(0, 80))"""
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return { html: el.outerHTML.slice(0, 80), visible: outlined || style.boxShadow !== 'none' };
}"""


def test_every_control_is_reached_by_tab_and_shows_its_focus(page: Page) -> None:
    answer_with_code_and_a_table(page)
    page.get_by_text("Settings").click()  # open the settings, so their fields are controls too
    page.get_by_label("Message").fill("a draft, so Send is enabled")
    controls = set(page.evaluate(CONTROLS))
    page.locator("body").click(position={"x": 1, "y": 1})
    reached: dict[str, bool] = {}
    for _ in range(len(controls) + 10):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is not None:
            reached.setdefault(focused["html"], focused["visible"])
    assert controls <= set(reached), f"not reachable by Tab: {controls - set(reached)}"
    assert all(reached.values()), f"no visible focus: {[html for html, shown in reached.items() if not shown]}"

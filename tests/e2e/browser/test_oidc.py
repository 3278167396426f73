"""Single sign-on as a person does it: a guest chats, signs in with the organisation's provider (the stack's
development provider, services/oidc-dev: its page lists the test users, one click each), keeps its chat, chats
on, and signs out. Assumes scripts/e2e.sh's stack (compose.sso.yaml: "Dev SSO", grace is an admin)."""

import re

from playwright.sync_api import Page, expect

from stack.support import new_tag

from .test_chat import last_answer, send


def test_a_guest_signs_in_with_the_provider_keeps_its_chat_and_signs_out(page: Page) -> None:
    expect(page.get_by_text("You are chatting as a guest")).to_be_visible()
    send(page, f"Remember the harbour\n@emulator ttft_ms=0 token_ms=0 tokens=8 tag={new_tag()}")
    expect(last_answer(page)).to_have_attribute("data-status", "done")
    chat_url = page.url

    page.get_by_role("link", name="Sign in with Dev SSO").click()
    expect(page).to_have_url(re.compile(r"^http://oidc\.localhost:\d+/oauth2/authorize"))
    page.get_by_role("button", name="grace", exact=True).click()

    expect(page).to_have_url(chat_url)  # back where the sign-in started
    expect(page.get_by_text("Signed in as grace@example.com")).to_be_visible()
    chats = page.get_by_role("navigation", name="Conversations")
    expect(chats).to_contain_text("Remember the harbour")
    expect(page.get_by_role("button", name="Change password")).to_have_count(0)

    send(page, f"And the lighthouse\n@emulator ttft_ms=0 token_ms=0 tokens=8 tag={new_tag()}")
    expect(last_answer(page)).to_have_attribute("data-status", "done")

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are chatting as a guest")).to_be_visible()
    expect(page.get_by_role("navigation", name="Conversations")).not_to_contain_text("Remember the harbour")


def test_a_failed_sign_in_is_explained_on_the_page(page: Page) -> None:
    page.get_by_role("link", name="Sign in with Dev SSO").click()
    page.get_by_role("button", name="Deny").click()
    expect(page.get_by_role("alert")).to_contain_text("Sign-in was cancelled at the provider.")
    expect(page).not_to_have_url(re.compile("sign_in_error"))

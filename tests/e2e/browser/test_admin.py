"""The admin view as an operator uses it: ada and grace (an admin, by her provider's role) each chat, signed in
with the organisation's provider (the stack's services/oidc-dev); grace opens /admin from her account panel,
sees both users' usage, exports it as CSV, and disables ada, who is then signed out: her next start is a
guest's. ada is enabled again at the end (the other browser tests sign in as her). Assumes scripts/e2e.sh's
stack (compose.sso.yaml: "Dev SSO", grace is an admin)."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from stack.support import BASE_URL, new_tag

from .test_chat import last_answer, send


def signed_in_with_provider(browser: Browser, who: str) -> Iterator[Page]:
    context = browser.new_context(base_url=BASE_URL, viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto("/")
    page.get_by_role("link", name="Sign in with Dev SSO").click()
    expect(page).to_have_url(re.compile(r"^http://oidc\.localhost:\d+/oauth2/authorize"))
    page.get_by_role("button", name=who, exact=True).click()
    expect(page.get_by_text(f"Signed in as {who}@example.com")).to_be_visible()
    yield page
    context.close()


@pytest.fixture
def ada(browser: Browser) -> Iterator[Page]:
    yield from signed_in_with_provider(browser, "ada")


@pytest.fixture
def grace(browser: Browser) -> Iterator[Page]:
    yield from signed_in_with_provider(browser, "grace")


def chat(page: Page, text: str) -> None:
    send(page, f"{text}\n@emulator ttft_ms=0 token_ms=0 tokens=12 tag={new_tag()}")
    expect(last_answer(page)).to_have_attribute("data-status", "done")


def ada_row(admin: Page, users: Locator) -> Locator:
    """ada's row: the account her provider vouches for (the stack's fuzz test registers a password account with
    the same address, the OpenAPI document's example; the Sign-in column tells them apart)."""
    return (
        users.get_by_role("row")
        .filter(has=admin.get_by_role("rowheader", name="ada@example.com", exact=True))
        .filter(has=admin.get_by_role("cell", name="Organisation", exact=True))
    )


def set_ada(admin: Page, action: str, only_if_offered: bool = False) -> None:
    """Disable or Enable ada from the Users table, confirming."""
    users = admin.get_by_role("region", name="Users")
    users.get_by_role("searchbox", name="Search users").fill("ada@example.com")
    users.get_by_role("button", name="Search", exact=True).click()
    row = ada_row(admin, users)
    expect(row).to_be_visible()
    offered = row.get_by_role("button", name=f"{action} ada@example.com")
    if only_if_offered and offered.count() == 0:
        return
    offered.click()
    row.get_by_role("button", name="Yes").click()
    status = "Disabled" if action == "Disable" else "Active"
    expect(row.get_by_role("cell", name=status, exact=True)).to_be_visible()


def test_an_admin_sees_two_users_usage_exports_it_and_disables_one(ada: Page, grace: Page, tmp_path: Path) -> None:
    chat(ada, "Ada's question")
    chat(grace, "Grace's question")

    grace.get_by_role("link", name="Admin: usage and users").click()
    expect(grace).to_have_url(re.compile(r"/admin$"))
    usage = grace.get_by_role("region", name="Usage")
    for who in ("ada@example.com", "grace@example.com"):
        # At least one: the stack's fuzz test registers a password account with ada's address (see ada_row).
        row = usage.get_by_role("row").filter(has=grace.get_by_role("rowheader", name=who, exact=True))
        for _ in range(10):  # each api worker writes its ledger a second after the answers it sums
            if row.count():
                break
            grace.wait_for_timeout(500)
            usage.get_by_role("button", name="Show", exact=True).click()
        expect(row.first).to_be_visible()
    expect(usage.get_by_role("columnheader", name="Output tokens")).to_be_visible()

    with grace.expect_download() as downloading:
        usage.get_by_role("button", name="Export CSV").click()
    download = downloading.value
    assert re.fullmatch(r"usage-user-\d{8}-\d{8}\.csv", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert text.startswith('"user_id","user","input_tokens","output_tokens"')
    assert "ada@example.com" in text and "grace@example.com" in text

    try:
        set_ada(grace, "Disable")
        # ada is refused from her next request: her page finds its session gone, and a fresh start is a guest's.
        ada.reload()
        expect(ada.get_by_text("You are chatting as a guest")).to_be_visible()
        expect(ada.get_by_text("Signed in as ada@example.com")).to_have_count(0)

        audit = grace.get_by_role("region", name="Audit log")
        grace.reload()
        expect(audit.get_by_role("row").nth(1)).to_contain_text("Disabled a user")
        expect(audit.get_by_role("row").nth(1)).to_contain_text("ada@example.com")
        expect(audit).to_contain_text("Exported usage")
    finally:
        set_ada(grace, "Enable", only_if_offered=True)


def test_a_member_opening_admin_is_told_it_is_not_allowed(ada: Page) -> None:
    expect(ada.get_by_role("link", name="Admin: usage and users")).to_have_count(0)
    ada.goto("/admin")
    expect(ada.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(ada.get_by_role("table")).to_have_count(0)

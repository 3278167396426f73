"""Browser tests drive Debian's Chromium (Playwright's own download cannot be reached) against the stack."""

import json
import os
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

BASE_URL = os.environ.get("E2E_BASE_URL", "http://localhost:8080")
EMULATOR_URL = os.environ.get("E2E_EMULATOR_URL", "http://127.0.0.1:18081")
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(base_url=BASE_URL, viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto("/")
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def new_tag() -> str:
    return uuid.uuid4().hex


def upstream_requests(tag: str) -> list[dict[str, Any]]:
    """What the emulator saw of requests carrying `tag` (its request log, published for tests only)."""
    with urllib.request.urlopen(f"{EMULATOR_URL}/_emulator/requests?tag={tag}", timeout=5) as response:
        records: list[dict[str, Any]] = json.load(response)["requests"]
    return records


def wait_for_upstream_end(tag: str, within: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        records = upstream_requests(tag)
        if records and records[-1]["ended_at"] is not None:
            return records[-1]
        time.sleep(0.02)
    raise AssertionError(f"the upstream request {tag} did not end within {within}s")

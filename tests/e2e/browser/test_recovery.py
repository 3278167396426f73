"""A crash mid-answer: the browser shows a clear error, and once compose has restarted the api, chat works.

Destructive, so it runs after test_chat.py (pytest's file order) and only where it knows the compose
project (E2E_COMPOSE, set by scripts/e2e.sh): against another deployment it is skipped.
"""

import os
import shlex
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from .conftest import BASE_URL, new_tag, wait_for_upstream_end
from .test_chat import last_answer, send

COMPOSE = shlex.split(os.environ.get("E2E_COMPOSE", ""))


def crash_the_api() -> None:
    """SIGKILL the api container's main process from the host: a crash, which its restart policy answers.
    (`docker kill` would count as a deliberate stop, which no restart policy undoes.)"""
    container = subprocess.run([*COMPOSE, "ps", "-q", "api"], capture_output=True, text=True, check=True).stdout.strip()
    pid = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.Pid}}", container], capture_output=True, text=True, check=True
    ).stdout.strip()
    os.kill(int(pid), signal.SIGKILL)


def wait_until_ready(within: float = 90.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        try:
            with urllib.request.urlopen(f"{BASE_URL}/api/readyz", timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"the api was not ready again within {within}s")


@pytest.mark.skipif(not COMPOSE, reason="needs E2E_COMPOSE: the compose command of the stack under test")
def test_an_api_crash_mid_answer_shows_an_error_and_the_next_message_works(page: Page) -> None:
    tag = new_tag()
    send(page, f"A long answer\n@emulator ttft_ms=0 token_ms=125 tokens=400 tag={tag}")
    answer = last_answer(page)
    expect(answer).to_contain_text("A long answer")
    crash_the_api()

    # The page follows the answer again once the api is back; its owner is gone, so when its lease lapses
    # the server marks it interrupted, with the text it had saved, and says so.
    expect(answer).to_have_attribute("data-status", "interrupted", timeout=60_000)
    expect(answer.get_by_role("alert")).to_contain_text("interrupted")
    assert "A long answer" in answer.inner_text()  # the partial answer stays
    assert wait_for_upstream_end(tag)["tokens_sent"] < 400  # the model's request ended with the api

    wait_until_ready()
    send(page, f"Are you back?\n@emulator ttft_ms=0 token_ms=0 tokens=20 tag={new_tag()}")
    expect(last_answer(page)).to_have_attribute("data-status", "done")
    expect(last_answer(page)).to_contain_text("Are you back?")

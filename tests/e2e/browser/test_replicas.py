"""Answers that outlive a connection, a tab and a replica, as people meet them: the network drops for a few
seconds, Stop is pressed in another tab whose request lands on another replica, and the replica writing the
answer crashes. The page never loses what it showed, and ends with what the server saved.

Destructive (the last test crashes a replica), so it runs after the other browser files (pytest's file order)
and only where it knows the compose project (E2E_COMPOSE, set by scripts/e2e.sh).
"""

import os
import shlex
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, Route, expect

from stack.support import BASE_URL, new_tag, upstream_end, upstream_records

from .test_accounts import conversation_id, saved, utf16_length
from .test_chat import last_answer, send

COMPOSE = shlex.split(os.environ.get("E2E_COMPOSE", ""))
LEASE_S = float(os.environ.get("GENERATION_LEASE_S", "10"))
SWEEP_EVERY_S = 2.0

pytestmark = pytest.mark.skipif(not COMPOSE, reason="needs E2E_COMPOSE: the compose command of the stack")


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout.strip()


def replicas() -> dict[str, str]:
    """The api replicas: container id -> address on the compose network."""
    containers = subprocess.run([*COMPOSE, "ps", "-q", "api"], capture_output=True, text=True, check=True)
    found = {
        container: docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container)
        for container in containers.stdout.split()
    }
    assert len(found) >= 2, f"these tests need two api replicas or more: {found}"
    return found


def owner_of(tag: str) -> str:
    """The replica that asked the model for this answer (the emulator logs who called)."""
    by_address = {address: container for container, address in replicas().items()}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        records = upstream_records(tag)
        if records:
            return by_address[records[-1]["client"]]
        time.sleep(0.05)
    raise AssertionError(f"no upstream request for {tag}")


def direct_url(container: str) -> str:
    """The replica's own loopback port (tests/e2e/compose.e2e.yaml publishes each one)."""
    return "http://" + docker("port", container, "8000/tcp").splitlines()[0]


def test_offline_for_three_seconds_mid_answer_then_it_ends_with_exactly_the_saved_text(page: Page) -> None:
    send(page, f"Through a tunnel\n@emulator ttft_ms=0 token_ms=30 tokens=250 tag={new_tag()}")
    answer = last_answer(page)
    expect(answer).to_contain_text("Through a tunnel")
    page.context.set_offline(True)
    expect(page.get_by_role("status").filter(has_text="reconnecting")).to_be_visible()
    page.wait_for_timeout(3000)
    page.context.set_offline(False)
    expect(answer).to_have_attribute("data-status", "done", timeout=30_000)
    expect(page.get_by_role("status").filter(has_text="reconnecting")).to_have_count(0)
    stored = saved(page)["messages"]["items"][-1]
    assert stored["status"] == "done" and stored["usage"]["completion_tokens"] == 250
    assert answer.get_attribute("data-chars") == str(utf16_length(stored["content"]))  # nothing twice, nothing lost


def test_stop_from_a_second_tab_on_another_replica_closes_the_upstream_at_once(page: Page) -> None:
    tag = new_tag()
    send(page, f"Stop me from elsewhere\n@emulator ttft_ms=0 token_ms=100 tokens=400 tag={tag}")
    first = last_answer(page)
    expect(first).to_contain_text("Stop me from elsewhere")
    owner = owner_of(tag)
    elsewhere = direct_url(next(container for container in replicas() if container != owner))

    second = page.context.new_page()  # the same person, another tab
    sent: list[float] = []

    def to_another_replica(route: Route) -> None:
        sent.append(time.time())
        route.fulfill(response=route.fetch(url=elsewhere + route.request.url.removeprefix(BASE_URL)))

    second.route("**/api/generations/*/stop", to_another_replica)
    second.goto(f"/c/{conversation_id(page)}")
    expect(last_answer(second)).to_have_attribute("data-status", "streaming")
    second.get_by_role("button", name="Stop", exact=True).click()

    for tab in (page, second):
        expect(last_answer(tab)).to_have_attribute("data-status", "stopped")
    record = upstream_end(tag)
    assert sent and record["disconnected"] is True, record
    closed_after = record["disconnected_at"] - sent[0]
    assert closed_after < 0.1, f"the upstream was closed {closed_after * 1000:.0f} ms after Stop reached a replica"
    stored = saved(page)["messages"]["items"][-1]
    assert stored["status"] == "stopped" and stored["content"]
    for tab in (page, second):  # both show exactly what was saved
        expect(last_answer(tab)).to_have_attribute("data-chars", str(utf16_length(stored["content"])))


def crash(container: str) -> None:
    """SIGKILL the replica's main process from the host: a crash, which its restart policy answers.
    (`docker kill` would count as a deliberate stop, which no restart policy undoes.)"""
    os.kill(int(docker("inspect", "-f", "{{.State.Pid}}", container)), signal.SIGKILL)


def wait_until_healthy(container: str, within: float = 90.0) -> None:
    deadline = time.monotonic() + within
    while docker("inspect", "-f", "{{.State.Health.Status}}", container) != "healthy":
        assert time.monotonic() < deadline, f"the crashed replica was not healthy again within {within}s"
        time.sleep(0.5)


def ready_through_nginx() -> bool:
    try:
        with urllib.request.urlopen(f"{BASE_URL}/api/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def test_the_owning_replica_crashing_mid_answer_ends_it_interrupted_with_its_text(page: Page) -> None:
    tag = new_tag()
    send(page, f"A long answer\n@emulator ttft_ms=0 token_ms=125 tokens=400 tag={tag}")
    answer = last_answer(page)
    expect(answer).to_contain_text("A long answer")
    owner = owner_of(tag)
    crashed_at = time.monotonic()
    crash(owner)

    # The page follows the answer on the other replica; when the dead owner's lease lapses, the server marks
    # it interrupted, keeping every word a reader saw, and every reader is told.
    expect(answer).to_have_attribute("data-status", "interrupted", timeout=60_000)
    told_after = time.monotonic() - crashed_at
    expect(answer.get_by_role("alert")).to_contain_text("interrupted")
    assert told_after < LEASE_S + 2 * SWEEP_EVERY_S + 2, f"told {told_after:.1f} s after the crash"
    assert upstream_end(tag)["tokens_sent"] < 400  # the model's request ended with its replica
    stored = saved(page)["messages"]["items"][-1]
    assert stored["status"] == "interrupted" and "A long answer" in stored["content"]
    expect(answer).to_have_attribute("data-chars", str(utf16_length(stored["content"])))

    wait_until_healthy(owner)  # the restart policy brings the replica back
    assert ready_through_nginx()
    send(page, f"Are you back?\n@emulator ttft_ms=0 token_ms=0 tokens=20 tag={new_tag()}")
    expect(last_answer(page)).to_have_attribute("data-status", "done")
    expect(last_answer(page)).to_contain_text("Are you back?")

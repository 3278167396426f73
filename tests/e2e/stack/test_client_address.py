"""The client address every limit counts is the one nginx saw: a client's own X-Forwarded-For (forged) neither
frees it from the per-address sign-in limit nor locks another client out by naming its address; guests per
address are capped; and paging through a conversation's earlier messages is not counted as chat.

The test stack runs with the per-address limits raised (all test traffic comes from one address), so this
module puts small ones back on the api, and nginx's chat limits back on the product's defaults, for its run,
and restores the test limits afterwards. The other client is a process inside the compose network (in the
emulator's container): its own address, as another user's would be.
"""

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from .support import COMPOSE, Reply, assert_envelope, compose, exchange, needs_compose, post_json, wait_until_ready

pytestmark = needs_compose

FAILURES_PER_ADDRESS = 5
GUESTS_PER_ADDRESS = 30
API_LIMITS = {
    "LOGIN_MAX_FAILURES_PER_ADDRESS": str(FAILURES_PER_ADDRESS),
    "GUESTS_PER_ADDRESS_PER_DAY": str(GUESTS_PER_ADDRESS),
}
NGINX_CHAT_LIMITS = ("NGINX_CHAT_RATE", "NGINX_CHAT_BURST", "NGINX_STREAMS_PER_CLIENT")
PAGES = 60  # at once: well over the default chat burst of 20 (at 10 requests/s)

# Run in the emulator's container: the address nginx sees for it, or a request to nginx from it.
OWN_ADDRESS = "import socket; print(socket.gethostbyname(socket.gethostname()))"
OTHER_CLIENT = """
import json, sys, urllib.error, urllib.request
method, path, body = sys.argv[1], sys.argv[2], sys.argv[3].encode() if sys.argv[3] else None
request = urllib.request.Request("http://nginx:8080" + path, data=body, method=method,
                                 headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=10) as response:
        print(json.dumps({"status": response.status, "body": response.read().decode()}))
except urllib.error.HTTPError as error:
    print(json.dumps({"status": error.code, "body": error.read().decode()}))
"""


def from_other_client(method: str, path: str, payload: object | None = None) -> tuple[int, str]:
    body = json.dumps(payload) if payload is not None else ""
    done = subprocess.run(
        [*COMPOSE, "exec", "-T", "emulator", "python", "-c", OTHER_CLIENT, method, path, body],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    reply = json.loads(done.stdout)
    return reply["status"], reply["body"]


def recreate(service: str, env: dict[str, str]) -> None:
    compose("up", "--detach", "--wait", "--no-deps", service, env=env)


@pytest.fixture(scope="module")
def product_limits() -> Iterator[None]:
    recreate("api", {**os.environ, **API_LIMITS})
    recreate("nginx", {name: value for name, value in os.environ.items() if name not in NGINX_CHAT_LIMITS})
    wait_until_ready()
    try:
        yield
    finally:
        recreate("api", dict(os.environ))
        recreate("nginx", dict(os.environ))
        wait_until_ready()


def wrong_password(forged: str) -> Reply:
    """A failed sign-in (an account that does not exist, so only the address's count can refuse it), sent with a
    forged X-Forwarded-For and X-Real-IP."""
    credentials = {"email": f"nobody-{uuid.uuid4().hex[:12]}@example.com", "password": "not the password 1"}
    return post_json("/api/auth/login", credentials, {"X-Forwarded-For": forged, "X-Real-IP": forged}, signed_in=False)


@pytest.mark.usefixtures("product_limits")
def test_a_new_forged_address_each_time_still_gets_throttled() -> None:
    replies = [wrong_password(f"1.2.3.{attempt}") for attempt in range(FAILURES_PER_ADDRESS + 1)]
    statuses = [reply.status for reply in replies]
    assert 429 in statuses, f"never throttled: {statuses}"
    refused = replies[statuses.index(429)]
    error = assert_envelope(refused, 429, "rate_limited")
    assert "from this client" not in error["message"]  # the api's refusal, not nginx's (its sign-in rate is raised)
    assert refused.headers["retry-after"]


@pytest.mark.usefixtures("product_limits")
def test_naming_another_clients_address_does_not_lock_it_out() -> None:
    victim = compose("exec", "-T", "emulator", "python", "-c", OWN_ADDRESS).strip()
    email, password = f"victim-{uuid.uuid4().hex[:12]}@example.com", f"a long victim passphrase {uuid.uuid4().hex}"
    registered = post_json("/api/auth/register", {"email": email, "password": password}, signed_in=False)
    assert registered.status == 201, registered.body[:300]
    attacks = [wrong_password(victim).status for _ in range(FAILURES_PER_ADDRESS + 2)]
    assert set(attacks) <= {401, 429}, attacks
    status, body = from_other_client("POST", "/api/auth/login", {"email": email, "password": password})
    assert status == 200, body[:300]


@pytest.mark.usefixtures("product_limits")
def test_guests_from_one_address_are_capped_a_day_and_another_address_is_not() -> None:
    replies = [exchange("POST", "/api/auth/guest", signed_in=False) for _ in range(GUESTS_PER_ADDRESS + 1)]
    refused = [reply for reply in replies if reply.status == 429]
    assert refused, f"no guest refused of {len(replies)}: {sorted({reply.status for reply in replies})}"
    error = assert_envelope(refused[0], 429, "rate_limited")
    assert "guest sessions from your address" in error["message"] and refused[0].headers["retry-after"]
    forged = exchange("POST", "/api/auth/guest", headers={"X-Forwarded-For": "5.6.7.8"}, signed_in=False)
    assert forged.status == 429  # a forged header is no way around it
    status, body = from_other_client("POST", "/api/auth/guest")
    assert status == 201, body[:300]


@pytest.mark.usefixtures("product_limits")
def test_a_burst_of_earlier_message_pages_is_not_counted_as_chat() -> None:
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i}"} for i in range(120)]
    imported = post_json("/api/conversations/import", {"conversations": [{"title": "Paged", "messages": messages}]})
    assert imported.status == 201, imported.body[:300]
    conversation = imported.json()["conversations"][0]["id"]
    earlier = exchange("GET", f"/api/conversations/{conversation}").json()["messages"]["earlier"]
    assert earlier
    path = f"/api/conversations/{conversation}/messages?before={earlier}&limit=10"
    with ThreadPoolExecutor(max_workers=PAGES) as pool:
        statuses = list(pool.map(lambda _: exchange("GET", path).status, range(PAGES)))
    assert statuses == [200] * PAGES, sorted(statuses)

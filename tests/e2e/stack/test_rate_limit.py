"""nginx's per-client limits, with the product's defaults: a burst from one client is refused with 429 in the
envelope, while another client, at the same moment, is served.

The test stack runs with raised limits (all test traffic comes from one address), so this module puts nginx
back on the product's defaults for its run and restores the test limits afterwards. The second client is a
process inside the compose network: its own address, as another user's would be.
"""

import json
import os
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from .support import COMPOSE, Reply, assert_envelope, compose, exchange, is_envelope, needs_compose, post_json

pytestmark = needs_compose

BURST = 60  # well over the default burst of 20 (at 10 requests/s)
LIMIT_VARIABLES = (
    "NGINX_CHAT_RATE",
    "NGINX_CHAT_BURST",
    "NGINX_STREAMS_PER_CLIENT",
    "NGINX_AUTH_RATE",
    "NGINX_AUTH_BURST",
)
QUICK = {"message": "Quick one\n@emulator tokens=3 ttft_ms=0 token_ms=0"}

OTHER_CLIENT = """
import json, sys, time, urllib.request, urllib.error
guest = urllib.request.Request("http://nginx:8080/api/auth/guest", method="POST")
with urllib.request.urlopen(guest, timeout=10) as response:
    token = json.load(response)["access_token"]
statuses = []
for _ in range(3):
    request = urllib.request.Request("http://nginx:8080/api/chat/events", data=sys.argv[1].encode(),
                                     headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            statuses.append(response.status)
    except urllib.error.HTTPError as error:
        statuses.append(error.code)
    time.sleep(0.2)
print(json.dumps(statuses))
"""


def recreate_nginx(env: dict[str, str]) -> None:
    compose("up", "--detach", "--wait", "--no-deps", "nginx", env=env)


@pytest.fixture(scope="module")
def product_limits() -> Iterator[None]:
    defaults = {name: value for name, value in os.environ.items() if name not in LIMIT_VARIABLES}
    recreate_nginx(defaults)
    try:
        yield
    finally:
        recreate_nginx(dict(os.environ))


@pytest.mark.usefixtures("product_limits")
def test_a_burst_from_one_client_is_429_while_another_client_is_served() -> None:
    other = subprocess.Popen(
        [*COMPOSE, "exec", "-T", "emulator", "python", "-c", OTHER_CLIENT, json.dumps(QUICK)],
        stdout=subprocess.PIPE,
        text=True,
    )
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        replies: list[Reply] = list(pool.map(lambda _: post_json("/api/chat/events", QUICK), range(BURST)))
    other_statuses = json.loads(other.communicate(timeout=60)[0])

    limited = [reply for reply in replies if reply.status == 429]
    served = [reply for reply in replies if reply.status == 200]
    assert len(served) + len(limited) == BURST, sorted({reply.status for reply in replies})
    assert served, "nothing of the burst was served"
    assert len(limited) >= BURST // 2, f"only {len(limited)} of {BURST} refused"
    for reply in limited:
        assert_envelope(reply, 429, "rate_limited")
        assert reply.headers["retry-after"] == "1"
        assert reply.headers.get("x-request-id")
    assert other_statuses == [200, 200, 200], other_statuses


@pytest.mark.usefixtures("product_limits")
def test_the_limit_is_on_chat_only_health_is_never_limited() -> None:
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        replies = list(pool.map(lambda _: post_json("/api/chat/events", QUICK), range(BURST)))
    assert any(reply.status == 429 and is_envelope(reply.json()) for reply in replies)
    assert exchange("GET", "/api/healthz").status == 200

"""Sign-out, sign-out-everywhere and "delete my account" take effect on the next request, on every api replica
behind nginx: the old access token is refused (401, the envelope) by each replica, including one that had it
cached a moment before. nginx picks the replica, so each step sends enough requests that both serve some, and
nginx's access log (its `upstream`) shows they did."""

import json
import time
import uuid

from .support import Reply, assert_envelope, exchange, needs_compose, post_json, service_logs

pytestmark = needs_compose

PASSWORD = "correct horse battery staple"
REQUESTS = 24  # per step: round robin over two replicas or more serves each of them several


def new_account() -> tuple[str, str]:
    """A new account: its access token and its refresh cookie (sent by hand: the stack's cookie is Secure and
    the tests talk plain http to nginx)."""
    email = f"revoke-{uuid.uuid4().hex[:12]}@example.com"
    reply = post_json("/api/auth/register", {"email": email, "password": PASSWORD}, signed_in=False)
    assert reply.status == 201, reply.body[:300]
    cookie = reply.headers["set-cookie"].split(";")[0]
    assert cookie.startswith("chat_refresh="), cookie
    token: str = reply.json()["access_token"]
    return token, cookie


def many(method: str, path: str, token: str) -> list[tuple[str, Reply]]:
    """REQUESTS requests with this token, each on a connection of its own and with an id of its own."""
    sent = []
    for _ in range(REQUESTS):
        request_id = f"e2e-revoke-{uuid.uuid4().hex[:16]}"
        headers = {"Authorization": f"Bearer {token}", "X-Request-ID": request_id}
        sent.append((request_id, exchange(method, path, headers=headers)))
    return sent


def replicas_that_served(request_ids: list[str], within: float = 10.0) -> set[str]:
    """The api replicas (nginx's upstream addresses) that served these requests, from nginx's access log."""
    wanted = set(request_ids)
    deadline = time.monotonic() + within
    while True:
        served: dict[str, str] = {}
        for line in service_logs("nginx").splitlines():
            if '"request_id":"e2e-revoke-' not in line:
                continue
            entry = json.loads(line)
            if entry["request_id"] in wanted:
                served[entry["request_id"]] = str(entry["upstream"]).split(",")[-1].strip()
        if len(served) == len(wanted) or time.monotonic() > deadline:
            assert len(served) == len(wanted), f"nginx logged {len(served)} of {len(wanted)} requests"
            return set(served.values())
        time.sleep(0.25)


def served_by_every_replica(sent: list[tuple[str, Reply]], status: int) -> None:
    for _, reply in sent:
        if status == 401:
            assert_envelope(reply, 401, "unauthorized")
        else:
            assert reply.status == status, reply.body[:300]
    replicas = replicas_that_served([request_id for request_id, _ in sent])
    assert len(replicas) >= 2, f"only {replicas} served: the test needs two api replicas or more"


def test_signing_out_refuses_the_old_token_on_every_replica() -> None:
    token, cookie = new_account()
    served_by_every_replica(many("GET", "/api/me", token), 200)  # every replica has it cached now
    out = exchange("POST", "/api/auth/logout", headers={"Cookie": cookie}, signed_in=False)
    assert out.status == 204, out.body[:300]
    served_by_every_replica(many("GET", "/api/me", token), 401)
    served_by_every_replica(many("GET", "/api/conversations", token), 401)


def test_signing_out_everywhere_refuses_every_token_on_every_replica() -> None:
    token, _ = new_account()
    served_by_every_replica(many("GET", "/api/me", token), 200)
    everywhere = exchange("POST", "/api/auth/logout-everywhere", headers={"Authorization": f"Bearer {token}"})
    assert everywhere.status == 204, everywhere.body[:300]
    served_by_every_replica(many("GET", "/api/me", token), 401)


def test_deleting_the_account_refuses_its_token_on_every_replica() -> None:
    token, cookie = new_account()
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    created = exchange("POST", "/api/conversations", json.dumps({}), headers=auth)
    assert created.status == 201, created.body[:300]
    served_by_every_replica(many("GET", "/api/conversations", token), 200)

    wrong = exchange("DELETE", "/api/me", json.dumps({"password": "not the password"}), headers=auth)
    assert_envelope(wrong, 403, "forbidden")
    missing = exchange("DELETE", "/api/me", json.dumps({}), headers=auth)
    assert_envelope(missing, 422, "invalid_request")

    deleted = exchange("DELETE", "/api/me", json.dumps({"password": PASSWORD}), headers=auth)
    assert deleted.status == 204, deleted.body[:300]
    assert deleted.headers["set-cookie"].startswith("chat_refresh=")  # cleared
    served_by_every_replica(many("GET", "/api/conversations", token), 401)
    served_by_every_replica(many("GET", "/api/me", token), 401)
    refreshed = exchange("POST", "/api/auth/refresh", headers={"Cookie": cookie}, signed_in=False)
    assert_envelope(refreshed, 401, "unauthorized")

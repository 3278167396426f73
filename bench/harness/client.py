"""The api's own calls a benchmark makes before it measures: a guest's token, new conversations."""

import json
import urllib.error
import urllib.request

from harness.processes import HOST


def guest_token(port: int) -> str | None:
    """A guest's access token; None from an api that has no accounts (round 1's, with `--checkout`)."""
    request = urllib.request.Request(f"http://{HOST}:{port}/api/auth/guest", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback, our own api
            token: str = json.load(response)["access_token"]
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise
    return token


def new_conversations(port: int, token: str, count: int, title: str | None = None) -> list[str]:
    """`count` empty conversations; with a `title`, one the user gave (the first answer asks no model for one)."""
    made = []
    for _ in range(count):
        request = urllib.request.Request(
            f"http://{HOST}:{port}/api/conversations",
            data=json.dumps({"title": title} if title else {}).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback, our own api
            made.append(json.load(response)["id"])
    return made

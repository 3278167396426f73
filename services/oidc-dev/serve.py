"""Runs oidc-provider-mock's own command line with the users of users.json (each with its claims: email, name,
roles) on all interfaces, on OIDC_DEV_PORT. It wants a nonce in every authorization request."""

import json
import os
import sys
from pathlib import Path

from oidc_provider_mock.__main__ import run

users = json.loads((Path(__file__).parent / "users.json").read_text())
sys.argv = [
    "oidc-provider-mock",
    "--host",
    "0.0.0.0",  # noqa: S104 - in its container, reached through the published port and the compose network
    "--port",
    os.environ.get("OIDC_DEV_PORT", "9400"),
    "--require-nonce",
    *(argument for user in users for argument in ("--user-claims", json.dumps(user))),
]
run()

"""Schemathesis against the api's own OpenAPI schema, through nginx: valid and invalid generated requests.

Whatever arrives, the answer is never a 5xx, every error body is the contract's envelope, and no body or
header carries the key, an upstream URL or a traceback. Schemathesis's own checks hold the api to its schema
(status codes, content types, response bodies, invalid data rejected). The last test counts the cases.
"""

from typing import Any

import pytest
import schemathesis
from schemathesis import GenerationMode

from .report import record
from .support import BASE_URL, COMPOSE, KEY, LEAKS, UPSTREAM, is_envelope

if not COMPOSE:
    pytest.skip("needs the test stack (E2E_COMPOSE, set by scripts/e2e.sh)", allow_module_level=True)

CASES_PER_OPERATION = 600  # two chat routes and two probes: well over a thousand cases in all
MIN_CASES = 1000
sent: list[int] = []  # the status of every generated request, for the count below


# Loaded at collection: the stack is up by then (scripts/e2e.sh). (`schemathesis.pytest.from_fixture` would
# defer it, but breaks on pytest 9.2: it reads a node attribute pytest no longer has.)
schema = schemathesis.openapi.from_url(f"{BASE_URL}/api/openapi.json", wait_for_schema=30)
schema.config.update(base_url=BASE_URL)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=CASES_PER_OPERATION,
    allow_x00=True,  # NUL characters in strings too
    database="none",  # each run starts fresh: no example store on disk
)


@schemathesis.check
def error_bodies_are_the_envelope(ctx: Any, response: Any, case: Any) -> None:
    if response.status_code >= 400:
        assert response.headers.get("content-type", [""])[0].startswith("application/json"), "error is not JSON"
        assert is_envelope(response.json()), f"error body is not the envelope: {response.text[:300]}"


@schemathesis.check
def nothing_leaks(ctx: Any, response: Any, case: Any) -> None:
    headers = "\n".join(f"{name}: {', '.join(values)}" for name, values in response.headers.items())
    # An answer may quote a URL (the emulator's replies do); an error body or a header never may.
    body_leaks = LEAKS if response.status_code >= 400 else (KEY, UPSTREAM, "Traceback")
    for leak in body_leaks:
        assert leak not in response.text, f"the body leaks {leak!r}"
    for leak in LEAKS:
        assert leak not in headers, f"a header leaks {leak!r}"


@schema.parametrize()
def test_generated_requests_get_a_sound_answer(case: Any) -> None:
    response = case.call_and_validate(timeout=30, additional_checks=[error_bodies_are_the_envelope, nothing_leaks])
    sent.append(response.status_code)


def test_the_fuzz_sent_enough_cases() -> None:
    """Runs after the generated tests (file order): at least a thousand requests, none answered with a 5xx."""
    by_status = {str(status): sent.count(status) for status in sorted(set(sent))}
    server_errors = sum(1 for status in sent if status >= 500)
    record("fuzz", {"generated_requests": len(sent), "by_status": by_status, "server_errors": server_errors})
    assert len(sent) >= MIN_CASES, f"only {len(sent)} generated requests"
    assert server_errors == 0, by_status

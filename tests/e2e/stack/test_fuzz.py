"""Schemathesis against the api's own OpenAPI schema, through nginx: valid and invalid generated requests.

Whatever arrives, the answer is never a 5xx, every error body is the contract's envelope, and no body or
header carries the key, an upstream URL or a traceback. Schemathesis's own checks hold the api to its schema
(status codes, content types, response bodies, invalid data rejected). Each operation's test counts its own
cases: it passes alone, in any order.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from .report import record
from .support import BASE_URL, COMPOSE, KEY, LEAKS, UPSTREAM, access_token, is_envelope

if not COMPOSE:
    pytest.skip("needs the test stack (E2E_COMPOSE, set by scripts/e2e.sh)", allow_module_level=True)

# The stateless chat routes get hundreds of cases each (over a thousand in all); every other route (accounts,
# conversations, answers), signed in as a guest, a few dozen. Routes without parameters soon run out of
# different requests to make.
CHAT_CASES, OTHER_CASES = 600, 40
PROVIDER_AUTHORIZE = os.environ.get("E2E_OIDC_URL", "http://oidc.localhost:19400") + "/oauth2/authorize?"
MIN_CASES = {"POST /api/chat/stream": 500, "POST /api/chat/events": 500}


# Loaded at collection: the stack is up by then (scripts/e2e.sh). (`schemathesis.pytest.from_fixture` would
# defer it, but breaks on pytest 9.2: it reads a node attribute pytest no longer has.)
def load(max_examples: int, nul_characters: bool, coverage: bool = True) -> BaseSchema:
    loaded = schemathesis.openapi.from_url(f"{BASE_URL}/api/openapi.json", wait_for_schema=30)
    if not coverage:
        loaded.config.phases.update(phases=["examples", "fuzzing"])
    loaded.config.update(base_url=BASE_URL, headers={"Authorization": f"Bearer {access_token()}"})
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=max_examples,
        allow_x00=nul_characters,
        database="none",  # each run starts fresh: no example store on disk
    )
    return loaded


chat_schema = load(CHAT_CASES, nul_characters=True).exclude(path_regex="^/api/(?!chat/)")  # (not `include`: it
# filters nothing here). Elsewhere no NUL: schemathesis puts them into strings whose pattern excludes them (the
# api refuses them with 422; services/api/tests checks that).
# Not the sign-out routes, the password change, nor deleting the account (a guest's needs no password): the
# fuzz's own session must outlive them (its access token is refused from the next request after any of them; the
# fuzz registers its guest with an email and password it made, then finds that password again).
other_schema = (
    load(OTHER_CASES, nul_characters=False)
    .exclude(path_regex="^/api/chat/")
    .exclude(path_regex="^/api/auth/logout")
    .exclude(method="POST", path="/api/auth/password")
    .exclude(method="DELETE", path="/api/me")
)


@schemathesis.check
def error_bodies_are_the_envelope(ctx: Any, response: Any, case: Any) -> None:
    if response.status_code >= 400:
        assert response.headers.get("content-type", [""])[0].startswith("application/json"), "error is not JSON"
        assert is_envelope(response.json()), f"error body is not the envelope: {response.text[:300]}"


@schemathesis.check
def nothing_leaks(ctx: Any, response: Any, case: Any) -> None:
    headers = "\n".join(
        f"{name}: {', '.join(values)}"
        for name, values in response.headers.items()
        if not (name.lower() == "location" and all(value.startswith(PROVIDER_AUTHORIZE) for value in values))
    )  # (sign-in with the organisation sends the browser to its provider, whose address is public)
    # An answer may quote a URL (the emulator's replies do); an error body or a header never may.
    body_leaks = LEAKS if response.status_code >= 400 else (KEY, UPSTREAM, "Traceback")
    for leak in body_leaks:
        assert leak not in response.text, f"the body leaks {leak!r}"
    for leak in LEAKS:
        assert leak not in headers, f"a header leaks {leak!r}"


@pytest.fixture
def statuses(request: pytest.FixtureRequest) -> Iterator[list[int]]:
    """The status of every request one operation's test sends; checked and recorded when it ends."""
    sent: list[int] = []
    yield sent
    label = request.node.name.partition("[")[2].removesuffix("]")  # the operation, e.g. "POST /api/chat/events"
    server_errors = sum(1 for status in sent if status >= 500)
    by_status = {str(status): sent.count(status) for status in sorted(set(sent))}
    record(f"fuzz {label}", {"generated_requests": len(sent), "by_status": by_status, "server_errors": server_errors})
    assert server_errors == 0, by_status
    assert len(sent) >= MIN_CASES.get(label, 1), f"only {len(sent)} generated requests for {label}"


@schemathesis.check
def bad_input_is_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis's own check, with the refusals that come first by design: a request line over nginx's 16 kB is
    answered 414 (in the envelope, documented) before the api sees it; an operators' route answers anyone else 403
    before it reads the query, so a bad filter tells a non-operator nothing (the fuzz's user is a guest)."""
    if response.status_code == 414:
        return True
    if response.status_code == 403 and case.path.startswith("/api/admin/") and '"code":"forbidden"' in response.text:
        return True
    result: bool | None = negative_data_rejection(ctx, response, case)
    return result


@schemathesis.check
def good_input_is_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis's own check, with the refusals no schema can state: a new password among the most commonly
    used ones (generated strings such as `00000000` are) is refused with 422, saying so; a model that is not among
    the configured ones (the schema says a string; the list is the operator's) with 400, naming those there are."""
    if response.status_code == 422 and "commonly used passwords" in response.text:
        return True
    if response.status_code == 400 and '"message":"model: no such model' in response.text:
        return True
    result: bool | None = positive_data_acceptance(ctx, response, case)
    return result


def sound_answer(case: Any, statuses: list[int]) -> None:
    response = case.call_and_validate(
        timeout=30,
        additional_checks=[error_bodies_are_the_envelope, nothing_leaks, bad_input_is_refused, good_input_is_accepted],
        excluded_checks=[negative_data_rejection, positive_data_acceptance],
    )
    statuses.append(response.status_code)


@chat_schema.parametrize()
# Each chat operation sends 600 requests: on a slow machine (a project CI run) that outlasted the suite's default
# 120 s (pytest-timeout then stops a Hypothesis run half-way, which it reports as a flaky strategy).
@pytest.mark.timeout(300)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_generated_chat_requests_get_a_sound_answer(case: Any, statuses: list[int]) -> None:
    sound_answer(case, statuses)


def filter_body(ctx: Any, body: Any) -> bool:
    """Now and then Schemathesis offers a blank message as valid, though the schema's pattern excludes it (a
    generator false positive of the kind its tracker lists for patterns): the api rightly refuses it with 422,
    and services/api/tests checks that refusal. Such bodies are not sent."""
    content = body.get("content") if isinstance(body, dict) else None
    return not (isinstance(content, str) and not content.strip())


@other_schema.hooks.apply(filter_body)
@other_schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_generated_requests_to_every_other_route_get_a_sound_answer(case: Any, statuses: list[int]) -> None:
    sound_answer(case, statuses)

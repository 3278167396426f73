"""Tiers: roles (or groups) in the ID token map to a tier by the configured order; the tier sets the limits."""

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from chat_api.auth.oidc.roles import roles_in, tier_for
from chat_api.auth.tokens import Identity
from chat_api.limits.policy import policy_for
from chat_api.limits.tiers import ONE_TIER, Tiers, read_tiers_file
from chat_api.settings import Settings

from .conftest import api_settings

TIERS: dict[str, Any] = {
    "default": "member",
    "tiers": [
        {"name": "admin", "roles": ["Chat.Admin"], "admin": True, "requests_per_minute": 120, "tokens_per_day": 9_000},
        {"name": "power", "roles": ["Chat.Power", "Chat.Admin"], "concurrent_streams": 9, "tools": ["search"]},
        {"name": "member", "roles": ["Chat.User"], "mcp_servers": []},
    ],
}
tiers = Tiers.model_validate(TIERS)


def test_the_first_tier_in_order_with_one_of_the_roles_wins() -> None:
    assert tiers.for_roles(["Chat.User", "Chat.Admin"]).name == "admin"
    assert tiers.for_roles(["Chat.Power", "Chat.User"]).name == "power"
    assert tiers.for_roles(["Chat.User"]).name == "member"


def test_no_mapped_role_means_the_default_tier() -> None:
    assert tiers.for_roles([]).name == "member"
    assert tiers.for_roles(["Somebody.Else"]).name == "member"


def test_claims_to_tiers() -> None:
    assert tier_for({"roles": ["Chat.Admin"]}, "roles", tiers).admin
    assert tier_for({"roles": "Chat.Power"}, "roles", tiers).name == "power"  # one role, as a string
    assert tier_for({"groups": ["Chat.Power"]}, "groups", tiers).name == "power"
    assert tier_for({"roles": ["Chat.Power"]}, "groups", tiers).name == "member"  # another claim is configured
    assert tier_for({"roles": [7, None, "Chat.User"]}, "roles", tiers).name == "member"
    assert tier_for({}, "roles", tiers).name == "member"


def test_entra_group_overage_gives_the_default_tier_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    claims = {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": "https://graph..."}}}
    assert roles_in(claims, "groups") is None
    with caplog.at_level(logging.WARNING, logger="chat_api.auth"):
        assert tier_for(claims, "groups", tiers).name == "member"
    assert "group overage" in caplog.text


def test_a_token_with_hasgroups_is_overage_too() -> None:
    assert roles_in({"hasgroups": True}, "groups") is None


def test_tools_and_mcp_servers_are_kept_for_later() -> None:
    assert tiers.named("power").allows_tool("search") and not tiers.named("power").allows_tool("shell")
    assert tiers.named("admin").allows_tool("shell")  # "*" when not said
    assert not tiers.named("member").allows_mcp_server("crm")


def test_an_unknown_or_missing_tier_name_is_the_default() -> None:
    assert tiers.named(None).name == "member" and tiers.named("gone").name == "member"


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ({"default": "x", "tiers": [{"name": "a"}]}, "default tier 'x'"),
        ({"default": "a", "tiers": [{"name": "a"}, {"name": "a"}]}, "used twice"),
        ({"default": "a", "tiers": []}, "at least 1"),
        ({"default": "a", "tiers": [{"name": "a", "rpm": 3}]}, "Extra inputs"),
        ({"default": "a", "tiers": [{"name": "a", "tokens_per_day": 0}]}, "greater than 0"),
        ({"default": "a b", "tiers": [{"name": "a b"}]}, "should match pattern"),
        ({"default": "a", "tiers": [{"name": "a", "admin": True}]}, "must not be an admin tier"),
    ],
)
def test_a_bad_configuration_is_refused_at_start(config: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        Tiers.model_validate(config)


def test_the_tiers_come_from_a_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "tiers.yaml"
    path.write_text(
        "default: member\ntiers:\n  - name: admin\n    roles: [Chat.Admin]\n    admin: true\n  - name: member\n"
    )
    assert read_tiers_file(path).for_roles(["Chat.Admin"]).admin


def test_the_tiers_come_from_json_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIERS", json.dumps(TIERS))
    assert api_settings("http://emulator").tiers == tiers


def test_a_bad_tiers_file_names_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "tiers.yaml"
    path.write_text("default: nobody\ntiers:\n  - name: member\n")
    with pytest.raises(ValidationError, match=r"TIERS_FILE: .*default tier 'nobody'"):
        api_settings("http://emulator", TIERS_FILE=path)
    with pytest.raises(ValidationError, match="TIERS_FILE: cannot read"):
        api_settings("http://emulator", TIERS_FILE=tmp_path / "missing.yaml")


def test_without_a_configuration_there_is_one_tier_with_the_account_defaults() -> None:
    settings = api_settings("http://emulator")
    assert settings.tiers == ONE_TIER
    policy = policy_for(identity("default"), settings)
    assert (policy.requests_per_minute, policy.concurrent_streams, policy.tokens_per_day) == (
        settings.USER_REQUESTS_PER_MINUTE,
        settings.USER_CONCURRENT_STREAMS,
        settings.USER_TOKENS_PER_DAY,
    )


def identity(tier: str | None, guest: bool = False) -> Identity:
    return Identity(uuid.uuid4(), guest=guest, session_id=uuid.uuid4(), epoch=0, tier=tier)


def test_the_tier_sets_the_limits_and_the_account_defaults_fill_the_rest() -> None:
    settings: Settings = api_settings("http://emulator", TIERS=tiers)
    admin = policy_for(identity("admin"), settings)
    assert (admin.requests_per_minute, admin.concurrent_streams, admin.tokens_per_day) == (
        120,
        settings.USER_CONCURRENT_STREAMS,
        9_000,
    )
    assert policy_for(identity("power"), settings).concurrent_streams == 9


def test_guests_keep_the_guest_limits_whatever_the_tiers_say() -> None:
    settings = api_settings("http://emulator", TIERS=tiers)
    policy = policy_for(identity("admin", guest=True), settings)
    assert policy.tokens_per_day == settings.GUEST_TOKENS_PER_DAY


def test_with_no_way_in_the_api_does_not_start() -> None:
    with pytest.raises(ValidationError, match="nobody could get in"):
        api_settings("http://emulator", AUTH_GUESTS=False, AUTH_PASSWORDS=False)


def test_an_issuer_needs_a_client_id() -> None:
    with pytest.raises(ValidationError, match="OIDC_CLIENT_ID"):
        api_settings("http://emulator", OIDC_ISSUER="https://login.example.com/t/v2.0")

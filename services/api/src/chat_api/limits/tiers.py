"""Tiers: what an account may do, by the roles (or groups) its organisation's provider gives it.

Configured as JSON (`TIERS`) or a JSON or YAML file (`TIERS_FILE`), checked at start:

    default: member                 # the tier of an account no role maps (and of a password account not given
                                    # one: python -m chat_api.admin.set_tier); never an admin tier
    tiers:                          # in priority order: the first tier with one of the user's roles wins
      - name: admin
        roles: [Chat.Admin]         # role (or group) names, as the provider writes them in the roles claim
        admin: true
        requests_per_minute: 120    # omitted: the account defaults (USER_REQUESTS_PER_MINUTE, ...)
        concurrent_streams: 8
        tokens_per_day: 5000000
      - name: member
        roles: [Chat.User]
        tools: ["*"]                # the tools and MCP servers this tier may use ("*": all of them)
        mcp_servers: []

Guests keep the guest limits whatever this says. Without a configuration there is one tier, `default`, with
the account defaults.
"""

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Final, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, StringConstraints, model_validator

DEFAULT_TIER: Final = "default"
EVERYTHING: Final = "*"

TierName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: TierName
    roles: tuple[str, ...] = Field(default=(), description="Role or group names that put a user in this tier.")
    admin: bool = Field(default=False, description="Its users may open the admin view.")
    requests_per_minute: PositiveInt | None = None
    concurrent_streams: PositiveInt | None = None
    tokens_per_day: PositiveInt | None = None
    tools: tuple[str, ...] = Field(default=(EVERYTHING,), description='Tools it may use ("*": all).')
    mcp_servers: tuple[str, ...] = Field(default=(EVERYTHING,), description='MCP servers it may use ("*": all).')

    def allows_tool(self, name: str) -> bool:
        return EVERYTHING in self.tools or name in self.tools

    def allows_mcp_server(self, name: str) -> bool:
        return EVERYTHING in self.mcp_servers or name in self.mcp_servers


class Tiers(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default: TierName = Field(
        description="The tier of an account that no role maps, and of a password account not given one; not admin."
    )
    tiers: tuple[Tier, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [tier.name for tier in self.tiers]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"tiers: the name {twice[0]!r} is used twice")
        if self.default not in names:
            raise ValueError(f"tiers: the default tier {self.default!r} is not among the tiers ({', '.join(names)})")
        if self._default().admin:
            # Anyone who signs up (or any provider account without a mapped role) would be an operator.
            raise ValueError(f"tiers: the default tier {self.default!r} must not be an admin tier")
        return self

    def find(self, name: str) -> Tier | None:
        """The tier of that name, if the configuration has one."""
        return next((tier for tier in self.tiers if tier.name == name), None)

    def named(self, name: str | None) -> Tier:
        """The tier of that name; the default for none, or for a name the configuration no longer has."""
        return (self.find(name) if name is not None else None) or self._default()

    def for_roles(self, roles: Iterable[str]) -> Tier:
        """The first tier (in the configured order) that one of `roles` maps to, else the default."""
        held = set(roles)
        return next((tier for tier in self.tiers if held.intersection(tier.roles)), self._default())

    def _default(self) -> Tier:
        return next(tier for tier in self.tiers if tier.name == self.default)


ONE_TIER: Final = Tiers(default=DEFAULT_TIER, tiers=(Tier(name=DEFAULT_TIER),))


def read_tiers_file(path: Path) -> Tiers:
    """A JSON or YAML file (YAML is a superset of JSON: one parser reads both)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        first_line = re.sub(r"\s+", " ", str(error))[:200]
        raise ValueError(f"{path} is not valid JSON or YAML ({first_line})") from None
    return Tiers.model_validate(data)

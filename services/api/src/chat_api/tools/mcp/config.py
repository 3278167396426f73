"""The operator's MCP servers: a JSON or YAML file (`MCP_SERVERS_FILE`), checked at start; each mistake is one
line naming where it is (`MCP_SERVERS_FILE: servers[0].url: ...`), and any stops the api.

    servers:
      - name: demo                      # a namespace: its tools are offered as demo-<tool>
        url: http://mcp-demo:8000/mcp   # Streamable HTTP; the operator's address, never a user's or a model's
        auth: {mode: user, secret_env: MCP_DEMO_SECRET}   # or {mode: none}, or
                                        # {mode: header, header: X-Api-Key, value_env: DEMO_KEY}
        tools: [list_notes, add_note]   # offered (default: all the server lists)
        acting: [add_note]              # asked first (default: every tool not marked readOnlyHint)
        timeout_s: 30                   # per call
        connect_timeout_s: 5            # connect, initialize and list
        tiers: [member]                 # tiers that may use it (default: all)
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final, Literal, Self
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

ServerName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,31}$")]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
HeaderName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")]
RESERVED: Final = frozenset({"builtin"})  # the api's own plugin


class NoAuth(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    mode: Literal["none"]


class HeaderAuth(BaseModel):
    """A fixed header whose value is a secret in the api's environment (the same for every user)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    mode: Literal["header"]
    header: HeaderName = "Authorization"
    value_env: EnvName


class UserAuth(BaseModel):
    """The user's own identity: a token the api signs for each request (HS256 with the secret in `secret_env`,
    shared with the server), naming the user (`sub`) and the server (`aud`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    mode: Literal["user"]
    secret_env: EnvName


class ServerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ServerName
    url: str
    auth: NoAuth | HeaderAuth | UserAuth = Field(default=NoAuth(mode="none"), discriminator="mode")
    tools: tuple[str, ...] | None = None
    acting: tuple[str, ...] | None = None
    timeout_s: float = Field(30.0, gt=0, le=3600)
    connect_timeout_s: float = Field(5.0, gt=0, le=120)
    tiers: tuple[str, ...] | None = None

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED:
            raise ValueError(f"{value!r} is the api's own tools' name")
        return value

    @field_validator("url")
    @classmethod
    def _streamable_http(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be the server's http:// or https:// Streamable HTTP address")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials: use auth")
        return value


class ServersFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    servers: tuple[ServerConfig, ...] = ()

    @model_validator(mode="after")
    def _names_once(self) -> Self:
        names = [server.name for server in self.servers]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"the name {twice[0]!r} is used by two servers")
        return self


@dataclass(frozen=True)
class McpServer:
    """A configured server with its secret read from the environment (never logged, never shown)."""

    config: ServerConfig
    secret: str | None = None  # the header's value, or the signing secret of user tokens

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def per_user(self) -> bool:
        return isinstance(self.config.auth, UserAuth)

    def offers(self, tool: str) -> bool:
        return self.config.tools is None or tool in self.config.tools

    def allows_tier(self, tier: str) -> bool:
        return self.config.tiers is None or tier in self.config.tiers


class McpServersError(ValueError):
    """The file's mistakes, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(f"MCP_SERVERS_FILE: {problem}" for problem in problems))
        self.problems = problems


def read_servers_file(path: Path, known_tiers: set[str] | None = None) -> list[McpServer]:
    """The servers, each with its secret; `McpServersError` lists every mistake (and none is a secret)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise McpServersError([f"cannot read {path}: {error.strerror}"]) from None
    try:
        data = yaml.safe_load(text)  # YAML is a superset of JSON: one parser reads both
    except yaml.YAMLError as error:
        first_line = re.sub(r"\s+", " ", str(error))[:200]
        raise McpServersError([f"not valid JSON or YAML ({first_line})"]) from None
    try:
        parsed = ServersFile.model_validate(data if data is not None else {})
    except ValidationError as error:
        raise McpServersError([_line(problem) for problem in error.errors(include_url=False)]) from None
    problems: list[str] = []
    servers: list[McpServer] = []
    for index, server in enumerate(parsed.servers):
        where = f"servers[{index}]"
        auth = server.auth
        secret = None
        if isinstance(auth, HeaderAuth | UserAuth):
            variable = auth.value_env if isinstance(auth, HeaderAuth) else auth.secret_env
            secret = os.environ.get(variable)
            if not secret:
                problems.append(f"{where}.auth: the environment variable {variable} is not set")
            elif isinstance(auth, UserAuth) and len(secret) < 32:
                problems.append(f"{where}.auth: {variable} must be at least 32 characters (an HS256 key)")
        if known_tiers is not None:
            problems += [
                f"{where}.tiers: no such tier {tier!r} (known: {', '.join(sorted(known_tiers))})"
                for tier in server.tiers or ()
                if tier not in known_tiers
            ]
        servers.append(McpServer(server, secret))
    if problems:
        raise McpServersError(problems)
    return servers


def _line(problem: object) -> str:
    detail = problem if isinstance(problem, dict) else {}
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in detail.get("loc", ()))
    message = str(detail.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where.lstrip('.')}: {message}" if where else message

"""The built-in tools, each directly and through a real Semantic Kernel `Kernel` (no model): their marks, the
policy that picks them, the bounds every call keeps, and that a tool works for the request's user whatever
the model's arguments say."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import orjson
import pytest
from pydantic import ValidationError
from semantic_kernel import Kernel
from semantic_kernel.exceptions import KernelInvokeException
from semantic_kernel.filters import FilterTypes
from semantic_kernel.functions import KernelArguments, KernelFunctionFromMethod, KernelPlugin, kernel_function

from chat_api.auth.tokens import Identity
from chat_api.settings import DatabaseSettings
from chat_api.storage.engine import create_engine, create_sessions
from chat_api.storage.models import Conversation, Message, User
from chat_api.storage.schema import upgrade_schema
from chat_api.tools.bounds import bounded_calls
from chat_api.tools.builtin.calculate import calculate, evaluate
from chat_api.tools.builtin.current_time import current_time
from chat_api.tools.catalog import PLUGIN, builtin_plugin
from chat_api.tools.context import ToolContext, ToolServices, acting_for, current
from chat_api.tools.errors import ToolError, ToolTimeout
from chat_api.tools.output import truncate_output
from chat_api.tools.policy import ToolPolicy
from chat_api.tools.spec import ToolSpec, spec_of, tool

from .conftest import api_settings

# --- current_time ----------------------------------------------------------------------------------------


def test_current_time_in_a_zone() -> None:
    said = current_time("Asia/Tokyo")
    moment = datetime.fromisoformat(said.split(" ")[0])
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 9 * 3600  # type: ignore[union-attr]
    assert said.endswith(", Asia/Tokyo)")
    assert current_time("").endswith(", UTC)")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Europe/", "x" * 10_000])
def test_current_time_refuses_an_unknown_zone_plainly(zone: str) -> None:
    with pytest.raises(ToolError) as refused:
        current_time(zone)
    assert "Unknown time zone" in refused.value.message and "IANA" in refused.value.message
    assert len(refused.value.message) < 200


# --- calculate -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "result"),
    [
        ("2 + 2", "4"),
        ("(17.5 * 3) / 4", "13.125"),
        ("2 ** 64", "18446744073709551616"),
        ("7 // 2 + 7 % 2", "4"),
        ("-(3 - 5)", "2"),
        ("round(sqrt(2) * pi, 4)", "4.4429"),
        ("max(1, 5, 3) + abs(-2)", "7"),
        ("2 ** -1", "0.5"),
        ("log(8, 2)", "3.0"),
    ],
)
def test_calculate(expression: str, result: str) -> None:
    assert calculate(expression) == result


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('id')",
        "().__class__.__bases__[0].__subclasses__()",
        "(1).real",
        "pi.__class__",
        "open('/etc/passwd')",
        "eval('1')",
        "[x for x in range(10)]",
        "lambda: 1",
        "'a' * 10",
        "x := 1",
        "1 if 1 else 2",
        "1 < 2",
        "1 << 100000",
        "True + 1",
        "1j * 1j",
        "sqrt(x=4)",
        "9**9**9",
        "999999 ** 999999",
        "10 ** 5000 * 10 ** 5000",
        "2 ** 100000",
        "10.0 ** 400",
        "exp(1000)",
        "round(1.5, 10 ** 9)",
        "1 / 0",
        "(-8) ** (1/3)",
        "sqrt(-1)",
        "(" * 500 + "1" + ")" * 500,
        "-" * 999 + "1",
        "",
        "1; 2",
        "x" * 100_000,
    ],
)
def test_calculate_refuses_quickly(expression: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ToolError) as refused:
        evaluate(expression)
    # Refused before it is worked out (9 ** 9 ** 9 would take hours); generous for a loaded 2-core machine.
    assert time.perf_counter() - started < 1
    assert "Traceback" not in refused.value.message and len(refused.value.message) < 300


# --- marks, catalog, policy ------------------------------------------------------------------------------


def test_the_catalog_and_its_marks() -> None:
    functions = builtin_plugin().functions
    assert set(functions) == {"current_time", "calculate", "search_conversations", "remember", "search_documents"}
    assert {name for name, function in functions.items() if spec_of(function).acting} == {"remember"}
    assert all(0 < spec_of(function).timeout_s <= 10 for function in functions.values())
    parameters = functions["calculate"].metadata.parameters
    assert [(p.name, p.is_required) for p in parameters] == [("expression", True)]
    assert "arithmetic" in (parameters[0].description or "")
    # a kernel function made elsewhere (an MCP server's) counts as acting until said otherwise
    foreign = KernelFunctionFromMethod(method=kernel_function(lambda: "hi", name="hi"), plugin_name="other")
    assert spec_of(foreign) == ToolSpec(acting=True)
    # a plugin made another way from @tool functions keeps their marks
    assert spec_of(KernelPlugin.from_object("other", {"f": current_time})["current_time"]) == ToolSpec(timeout_s=2)


IDENTITY = Identity(user_id=uuid.uuid4(), guest=True, session_id=uuid.uuid4(), epoch=0)


def names(policy: ToolPolicy, **options: Any) -> set[str]:
    return {function.name for function in policy.allowed(IDENTITY, **options)}


def test_policy(emulator_url: str) -> None:
    every = {"current_time", "calculate", "search_conversations", "remember", "search_documents"}
    assert names(ToolPolicy.from_settings(api_settings(emulator_url))) == every
    assert names(ToolPolicy.from_settings(api_settings(emulator_url)), conversation_allows=False) == set()
    assert names(ToolPolicy.from_settings(api_settings(emulator_url, TOOLS_ENABLED=False))) == set()
    narrowed = ToolPolicy.from_settings(api_settings(emulator_url, TOOLS_ALLOWED="calculate, current_time"))
    assert names(narrowed) == {"calculate", "current_time"}
    assert narrowed.choice_filters(IDENTITY) == {
        "included_functions": [f"{PLUGIN}-calculate", f"{PLUGIN}-current_time"]
    }
    with pytest.raises(ValidationError, match="TOOLS_ALLOWED: no such tool: shell"):
        api_settings(emulator_url, TOOLS_ALLOWED="calculate,shell")


# --- through a real Kernel -------------------------------------------------------------------------------


def kernel(*plugins: KernelPlugin, max_output_tokens: int = 2000) -> Kernel:
    built = Kernel()
    for plugin in plugins:
        built.add_plugin(plugin)
    built.add_filter(FilterTypes.FUNCTION_INVOCATION, bounded_calls(max_output_tokens))
    return built


async def test_a_kernel_invokes_the_tools_by_name() -> None:
    k = kernel(builtin_plugin())
    said = await k.invoke(plugin_name=PLUGIN, function_name="calculate", arguments=KernelArguments(expression="6*7"))
    assert said is not None and said.value == "42"
    said = await k.invoke(plugin_name=PLUGIN, function_name="current_time", arguments=KernelArguments(timezone="UTC"))
    assert said is not None and "+00:00" in str(said.value)
    with pytest.raises(KernelInvokeException) as failed:
        await k.invoke(plugin_name=PLUGIN, function_name="current_time", arguments=KernelArguments(timezone="Nowhere"))
    assert isinstance(failed.value.__cause__, ToolError)


@tool(timeout_s=0.05)
async def slow() -> str:
    """Takes its time."""
    await asyncio.sleep(5)
    return "never"


@tool()
def chatty() -> str:
    """Says far too much."""
    return "word " * 20_000


async def test_a_call_past_its_timeout_is_cancelled_and_a_long_output_cut() -> None:
    k = kernel(KernelPlugin.from_object("test", {"slow": slow, "chatty": chatty}), max_output_tokens=100)
    started = time.perf_counter()
    with pytest.raises(KernelInvokeException) as failed:
        await k.invoke(plugin_name="test", function_name="slow")
    assert isinstance(failed.value.__cause__, ToolTimeout)
    assert time.perf_counter() - started < 1
    said = await k.invoke(plugin_name="test", function_name="chatty")
    assert said is not None
    assert len(str(said.value)) <= 300 and str(said.value).endswith("of 100000 characters]")


def test_truncate_output() -> None:
    assert truncate_output("short", 10) == "short"
    cut = truncate_output("z" * 10_000, 200)
    assert len(cut) <= 200 * 3 and "[output cut" in cut


async def test_a_tool_outside_a_request_refuses() -> None:
    with pytest.raises(ToolError):
        current()
    with pytest.raises(KernelInvokeException) as failed:
        await kernel(builtin_plugin()).invoke(
            plugin_name=PLUGIN, function_name="search_conversations", arguments=KernelArguments(query="x")
        )
    assert isinstance(failed.value.__cause__, ToolError)


@pytest.fixture
async def services(database: dict[str, str]) -> AsyncIterator[ToolServices]:
    engine = create_engine(DatabaseSettings(**{k: v for k, v in database.items() if k != "REDIS_URL"}))  # type: ignore[arg-type]
    await upgrade_schema(engine)
    yield ToolServices.create(create_sessions(engine), api_settings("http://127.0.0.1:9", MEMORIES_MAX_PER_USER=5))
    await engine.dispose()


async def someone(services: ToolServices, secret: str) -> Identity:
    """A user with one conversation that mentions `secret`."""
    user = User(id=uuid.uuid4())
    conversation = Conversation(id=uuid.uuid4(), user_id=user.id, title="Notes")
    async with services.search.sessions.begin() as session:
        session.add(user)
        await session.flush()
        session.add(conversation)
        await session.flush()
        session.add(
            Message(conversation_id=conversation.id, role="user", content=f"the {secret} is here", status="done")
        )
    return Identity(user_id=user.id, guest=True, session_id=uuid.uuid4(), epoch=0)


async def test_identity_comes_from_the_request_never_from_the_arguments(services: ToolServices) -> None:
    ada, bo = await someone(services, "zebra"), await someone(services, "zebra")
    k = kernel(builtin_plugin())
    spoof: dict[str, Any] = {"user_id": str(ada.user_id), "identity": ada, "context": ToolContext(ada, None, services)}
    with acting_for(ToolContext(bo, uuid.uuid4(), services)):
        found = await k.invoke(
            plugin_name=PLUGIN, function_name="search_conversations", arguments=KernelArguments(query="zebra", **spoof)
        )
        assert found is not None
        assert str(found.value).count("/c/") == 1  # Bo's own conversation only
        saved = await k.invoke(
            plugin_name=PLUGIN, function_name="remember", arguments=KernelArguments(fact="Bo likes zebras.", **spoof)
        )
        assert saved is not None and "Bo likes zebras." in str(saved.value)
    assert [m.content for m in await services.memories.newest(bo.user_id)] == ["Bo likes zebras."]
    assert await services.memories.newest(ada.user_id) == []
    with acting_for(ToolContext(ada, None, services)):
        mine = await k.invoke(
            plugin_name=PLUGIN, function_name="search_conversations", arguments=KernelArguments(query="zebra")
        )
        assert mine is not None and str(ada.user_id) not in str(mine.value)
        none = await k.invoke(
            plugin_name=PLUGIN, function_name="search_conversations", arguments=KernelArguments(query="giraffe")
        )
        assert none is not None and none.value == "No conversation matches that."


async def test_search_conversations_gives_titles_snippets_and_links(services: ToolServices) -> None:
    ada = await someone(services, "okapi")
    with acting_for(ToolContext(ada, None, services)):
        said = await kernel(builtin_plugin()).invoke(
            plugin_name=PLUGIN, function_name="search_conversations", arguments=KernelArguments(query="okapi")
        )
    assert said is not None
    [hit] = orjson.loads(str(said.value))
    assert hit["title"] == "Notes" and hit["where"] == "user"
    assert hit["snippet"] == "the **okapi** is here"
    assert hit["link"].startswith("/c/") and "?message=" in hit["link"]


async def test_remember_says_plainly_when_memories_are_full(services: ToolServices) -> None:
    ada = await someone(services, "x")
    k = kernel(builtin_plugin())
    with acting_for(ToolContext(ada, None, services)):
        for n in range(5):
            await k.invoke(plugin_name=PLUGIN, function_name="remember", arguments=KernelArguments(fact=f"fact {n}"))
        with pytest.raises(KernelInvokeException) as failed:
            await k.invoke(plugin_name=PLUGIN, function_name="remember", arguments=KernelArguments(fact="one more"))
    cause = failed.value.__cause__
    assert isinstance(cause, ToolError) and "delete some" in cause.message

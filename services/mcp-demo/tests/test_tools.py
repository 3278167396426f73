import httpx
from mcp.types import CallToolResult, TextContent

from tests.conftest import connect


def text_of(result: CallToolResult) -> str:
    assert len(result.content) == 1 and isinstance(result.content[0], TextContent)
    return result.content[0].text


async def test_offers_the_four_tools_with_read_and_acting_marked(open_url: str) -> None:
    async with connect(open_url) as session:
        listed = await session.list_tools()
    read_only = {tool.name: tool.annotations.readOnlyHint if tool.annotations else None for tool in listed.tools}
    assert read_only == {"list_notes": True, "add_note": False, "slow": True, "whoami": True}


async def test_a_note_added_is_listed_with_its_id(open_url: str) -> None:
    async with connect(open_url) as session:
        assert text_of(await session.call_tool("list_notes", {})) == "(no notes)"
        first = await session.call_tool("add_note", {"text": "buy milk"})
        second = await session.call_tool("add_note", {"text": "call Zoë 📞"})
        listed = await session.call_tool("list_notes", {})
    assert not first.isError and (text_of(first), text_of(second)) == ("1", "2")
    assert text_of(listed) == "1: buy milk\n2: call Zoë 📞"


async def test_a_note_over_2000_characters_is_an_error_that_does_not_repeat_it(open_url: str) -> None:
    async with connect(open_url) as session:
        at_bound = await session.call_tool("add_note", {"text": "a" * 2000})
        beyond = await session.call_tool("add_note", {"text": "b" * 2001})
        empty = await session.call_tool("add_note", {"text": ""})
        listed = await session.call_tool("list_notes", {})
    assert not at_bound.isError
    assert beyond.isError and "at most 2000 characters" in text_of(beyond) and "bbbb" not in text_of(beyond)
    assert empty.isError and "text" in text_of(empty)
    assert text_of(listed).count("\n") == 0  # only the note at the bound was stored


async def test_slow_waits_and_reports_progress(open_url: str) -> None:
    reports: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total))

    async with connect(open_url) as session:
        result = await session.call_tool("slow", {"seconds": 0.05}, progress_callback=on_progress)
    assert text_of(result) == "slept 0.05 s"
    assert reports[0] == (0.0, 0.05) and reports[-1] == (0.05, 0.05)


async def test_slow_refuses_seconds_outside_0_to_120(open_url: str) -> None:
    async with connect(open_url) as session:
        too_long = await session.call_tool("slow", {"seconds": 121})
        negative = await session.call_tool("slow", {"seconds": -1})
        not_a_number = await session.call_tool("slow", {"seconds": "soon"})
    for result in (too_long, negative, not_a_number):
        assert result.isError and text_of(result).startswith("invalid arguments for slow: seconds:")


async def test_whoami_without_auth_is_anonymous(open_url: str) -> None:
    async with connect(open_url) as session:
        assert text_of(await session.call_tool("whoami", {})) == "anonymous"


async def test_an_unknown_tool_or_argument_is_an_error_result(open_url: str) -> None:
    async with connect(open_url) as session:
        unknown = await session.call_tool("drop_tables", {})
        extra = await session.call_tool("list_notes", {"limit": 3})
    assert unknown.isError and text_of(unknown) == "unknown tool: drop_tables"
    assert extra.isError and "limit: Extra inputs are not permitted" in text_of(extra)


async def test_health(open_url: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{open_url}/healthz")
    assert (response.status_code, response.text) == (200, "ok")


async def test_a_full_store_says_so(open_url: str) -> None:
    async with connect(open_url) as session:
        for n in range(100):
            assert not (await session.call_tool("add_note", {"text": f"note {n}"})).isError
        full = await session.call_tool("add_note", {"text": "one too many"})
    assert full.isError and text_of(full) == "the store holds at most 100 notes"

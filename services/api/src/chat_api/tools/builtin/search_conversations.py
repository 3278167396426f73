"""search_conversations: the user's own earlier conversations, searched (the same search as the UI's)."""

from typing import Annotated, Final

import orjson

from chat_api.http.errors import ApiError
from chat_api.search.schemas import SearchHit, link_to
from chat_api.tools.context import current
from chat_api.tools.errors import ToolError
from chat_api.tools.spec import tool

HITS: Final = 5


def _described(hit: SearchHit) -> dict[str, object]:
    snippet = "".join(f"**{part.text}**" if part.match else part.text for part in hit.snippet)
    return {
        "title": hit.title,
        "link": link_to(hit),
        "where": hit.role or "title",
        "date": hit.at.date().isoformat(),
        "snippet": snippet,
    }


@tool(timeout_s=5)
async def search_conversations(
    query: Annotated[str, 'What to look for: words (all must appear), "an exact phrase", or, -left_out.'],
) -> Annotated[str, "The best matches as JSON: title, link, where it matched, date, snippet (matches in **bold**)."]:
    """Search the user's own earlier conversations (their titles and messages). Use it when the user refers
    to something discussed before. Give the links as Markdown links so the user can open them."""
    context = current()
    try:
        page = await context.services.search.search(context.user_id, query, limit=HITS)
    except ApiError as error:
        raise ToolError(error.message) from None
    if not page.items:
        return "No conversation matches that."
    return orjson.dumps([_described(hit) for hit in page.items]).decode()

"""remember: save a fact about the user for their later conversations. It changes what the user keeps, so the
user approves each call."""

from typing import Annotated

from chat_api.http.errors import ApiError
from chat_api.storage.models import MEMORY_MAX_CHARS
from chat_api.tools.context import current
from chat_api.tools.errors import ToolError
from chat_api.tools.spec import tool


@tool(acting=True, timeout_s=5)
async def remember(
    fact: Annotated[
        str, f"One short fact about the user, in the third person (at most {MEMORY_MAX_CHARS} characters)."
    ],
) -> Annotated[str, "What was saved."]:
    """Save a fact the user wants remembered in their later conversations (a preference, their name, their
    work). Only when the user asks you to remember something, or clearly would want it kept."""
    context = current()
    try:
        saved = await context.services.memories.add(context.user_id, fact)
    except ApiError as error:
        raise ToolError(error.message) from None
    return f"Saved to the user's memories: {saved.content}"

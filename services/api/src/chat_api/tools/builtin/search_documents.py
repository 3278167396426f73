"""search_documents: the files attached to this conversation, searched (vectors and full text, fused). Offered
in every conversation (knowing whether one has files would cost a query per message): without files it says so.
The passages go to the model as quoted data, each with its file, page and citation number."""

from typing import Annotated, Final

from chat_api.documents.embedder import EmbeddingFailed
from chat_api.documents.quoting import quoted
from chat_api.documents.retrieval import SearchRefused
from chat_api.tools.context import current
from chat_api.tools.errors import ToolError
from chat_api.tools.spec import tool

PASSAGES: Final = 5
MAX_QUERY_CHARS: Final = 1000


@tool(timeout_s=10)
async def search_documents(
    query: Annotated[str, "What to look for in the attached documents: a question or its key words."],
) -> Annotated[str, "The best passages as JSON: citation number, file, page, section, text."]:
    """Search the documents the user attached to this conversation (PDF, text, Markdown, HTML, CSV). Use it
    whenever the user asks about their files or the answer may be in them; cite what you use as [n]."""
    context = current()
    documents = context.services.documents
    if documents is None:
        return "Documents are not available on this server."
    if context.conversation_id is None:
        return "No documents are attached to this conversation."
    query = query.strip()[:MAX_QUERY_CHARS]
    if not query:
        raise ToolError("Say what to look for.")
    try:
        passages = await documents.search(context.identity, context.conversation_id, query, limit=PASSAGES)
    except EmbeddingFailed as failure:
        raise ToolError(f"The documents cannot be searched right now: {failure.reason}") from None
    except SearchRefused as refused:
        raise ToolError(refused.reason) from None
    if not passages:
        return "No documents are attached to this conversation (or none is ready yet)."
    return quoted(passages, context.sources)

"""Highlighted snippets as plain segments: the database marks the matched words with two control characters
(a user's text cannot hold them: search cleans queries, and messages keep them only if pasted), which are
then cut into `(text, match)` parts that the UI renders as text, never as HTML."""

from typing import Final

from chat_api.search.schemas import SnippetPart

START: Final = "\x02"
STOP: Final = "\x03"


def parts(marked: str) -> list[SnippetPart]:
    result: list[SnippetPart] = []
    for index, chunk in enumerate(marked.split(START)):
        matched, _, after = chunk.partition(STOP) if index else ("", "", chunk)
        if matched:
            result.append(SnippetPart(text=matched, match=True))
        if after := after.replace(STOP, ""):
            result.append(SnippetPart(text=after, match=False))
    return result

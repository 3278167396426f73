"""A tool's output as the model gets it: cut to a token bound (the same estimate the prompt's fitting uses),
saying so, so that one tool cannot fill the context window."""

from chat_api.chat.tokens import CHARS_PER_TOKEN, text_tokens


def truncate_output(text: str, max_tokens: int) -> str:
    if text_tokens(text) <= max_tokens:
        return text
    keep = max(0, max_tokens * CHARS_PER_TOKEN - 80)  # room for the note
    return f"{text[:keep]}\n[output cut: the first {keep} of {len(text)} characters]"

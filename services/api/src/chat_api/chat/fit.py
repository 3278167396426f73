"""A prompt cut to a smaller window, for the one retry after a server refused it as too long: the newest turns
that fit (the estimate memory uses, under the window the server named), and an answer of at most half the window."""

from chat_api.chat.images import images_tokens
from chat_api.chat.schemas import ChatRequest
from chat_api.chat.window import Turn, history_budget, newest_that_fit


def fitted_to(request: ChatRequest, window: int, system_prompt: str, default_max_tokens: int) -> ChatRequest:
    most = request.options.max_tokens or default_max_tokens
    answer = min(most, window // 2)
    budget = max(0, history_budget(window, answer, [system_prompt, request.message]) - images_tokens(request.images))
    turns = [Turn(None, message.role, message.content, message.parts, message.images) for message in request.history]
    keep_from = newest_that_fit(turns, budget)
    options = request.options if answer == most else request.options.model_copy(update={"max_tokens": answer})
    return request.model_copy(update={"history": request.history[keep_from:], "options": options})

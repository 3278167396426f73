"""The message list sent to the model: one system message first, then turns that alternate from the user (as
strict chat templates demand: "Conversation roles must alternate"), whatever the history held."""

import itertools
from typing import Literal

from chat_api.chat.alternation import Prompt, alternating
from chat_api.chat.schemas import ChatRequest, Message
from chat_api.chat.tokens import message_tokens
from chat_api.chat.upstream import build_history
from chat_api.chat.window import Turn
from chat_api.memory.summarizer import INSTRUCTIONS, request_tokens, summary_message, transcript

SYSTEM = "You are a helpful assistant."


def texts(prompt: Prompt) -> list[tuple[str, str]]:
    return [(turn.role, turn.content) for turn in prompt.turns]


def said(role: Literal["user", "assistant", "system"], content: str) -> Message:
    return Message(role=role, content=content)


def roles_of(history: list[Message], message: str = "Now?") -> list[str]:
    built = build_history(ChatRequest(message=message, history=history), SYSTEM)
    return [str(entry.role.value) for entry in built.messages]


def test_a_summary_joins_the_system_prompt_in_one_system_message_first() -> None:
    summary = summary_message("They planned a trip.")
    prompt = alternating(SYSTEM, [said("system", summary.content), said("user", "A"), said("assistant", "B")], "C")
    assert prompt.system == f"{SYSTEM}\n\n{summary.content}"
    assert texts(prompt) == [("user", "A"), ("assistant", "B"), ("user", "C")]
    assert roles_of([said("system", summary.content), said("user", "A"), said("assistant", "B")]) == [
        "system",
        "user",
        "assistant",
        "user",
    ]


def test_a_truncated_history_that_starts_with_an_answer_starts_with_the_user() -> None:
    prompt = alternating(
        SYSTEM, [said("assistant", "the end of an answer"), said("user", "A"), said("assistant", "B")], "C"
    )
    assert texts(prompt) == [("user", "A"), ("assistant", "B"), ("user", "C")]


def test_a_question_whose_answer_failed_with_no_text_is_merged_with_the_next() -> None:
    history = [said("user", "A"), said("assistant", "B"), said("user", "lost question")]  # its answer: no text
    prompt = alternating(SYSTEM, history, "asked again")
    assert texts(prompt) == [("user", "A"), ("assistant", "B"), ("user", "lost question\n\nasked again")]


def test_a_stateless_clients_system_entries_join_the_one_system_message() -> None:
    history = [said("user", "A"), said("system", "Answer in French."), said("assistant", "B"), said("system", "Brief.")]
    prompt = alternating(SYSTEM, history, "C")
    assert prompt.system == f"{SYSTEM}\n\nAnswer in French.\n\nBrief."
    assert texts(prompt) == [("user", "A"), ("assistant", "B"), ("user", "C")]
    assert roles_of(history) == ["system", "user", "assistant", "user"]


def test_two_answers_in_a_row_are_merged_and_every_list_alternates() -> None:
    history = [
        said("assistant", "x"),
        said("assistant", "y"),
        said("user", "A"),
        said("assistant", "B"),
        said("assistant", "B2"),
    ]
    prompt = alternating(SYSTEM, history, "C")
    assert texts(prompt) == [("user", "A"), ("assistant", "B\n\nB2"), ("user", "C")]
    roles = [role for role, *_ in prompt.turns]
    assert roles[0] == roles[-1] == "user" and all(a != b for a, b in itertools.pairwise(roles))


def test_no_system_prompt_no_system_message() -> None:
    built = build_history(ChatRequest(message="Hi"), "")
    assert [str(entry.role.value) for entry in built.messages] == ["user"]


def test_the_summarisation_request_fits_its_room_with_the_instructions_first() -> None:
    """Instructions are the system message (the summarizer sends them so); the transcript, the user's message,
    is cut to the room it is given, however long the turns."""
    turns = [Turn(None, "user" if i % 2 == 0 else "assistant", f"Turn {i} " + "word " * 2000) for i in range(6)]
    room = 1500
    text = transcript("an earlier summary", turns, room)
    assert message_tokens(text) <= room
    assert request_tokens(text) == message_tokens(INSTRUCTIONS) + message_tokens(text)
    assert text.startswith("Summary of the earlier conversation:\nan earlier summary")
    assert text.count("\n\nUser: Turn") == 3 and text.count("\n\nAssistant: Turn") == 3
    short = [Turn(None, "user", "Hi"), Turn(None, "assistant", "Hello")]
    assert transcript(None, short, room) == "User: Hi\n\nAssistant: Hello"  # nothing cut when it fits

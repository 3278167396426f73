"""Pure functions: the tokenizer, the replies, the directives."""

import pytest

from emulator import replies
from emulator.directives import (
    MAX_QUOTE_DEPTH,
    AttemptCounter,
    DirectiveError,
    Fault,
    Scripted,
    parse_directive,
    split_directive,
)
from emulator.replies import echo_tokens, quote_bomb_tokens, reply_for, reply_tokens
from emulator.tokens import count_prompt_tokens, count_tokens, tokenize


@pytest.mark.parametrize(
    "text",
    [
        "Hello, world! It's a test.",
        "Grüß Gott, ça va? こんにちは 你好世界 🚀👋🏽 done",
        "```python\nx = 12345678 + foo_bar(3)\n```\n\n| a | b |\n",
        "\x00\ttabs\r\nand\u2028separators\U0010ffff",
        "",
    ],
)
def test_tokenize_is_lossless(text: str) -> None:
    assert "".join(tokenize(text)) == text


def test_token_counts_are_in_the_range_of_real_encodings() -> None:
    # cl100k gives 10 tokens for this sentence; the approximation must stay within 20%.
    assert 8 <= count_tokens("The quick brown fox jumps over the lazy dog.") <= 12
    assert count_tokens("你好世界") == 4
    assert count_prompt_tokens(["Hi"]) == 3 + 1 + 3


def test_reply_is_deterministic_and_carries_markdown_and_unicode() -> None:
    reply = reply_for(["Tell me about streams"], "Tell me about streams")
    assert reply == reply_for(["Tell me about streams"], "Tell me about streams")
    assert reply != reply_for(["Tell me about streams", "ok", "more"], "more")
    assert reply.startswith("## Tell me about streams\n")
    assert "\n- " in reply and "\n```" in reply and "| --- | --- |" in reply
    assert all(sample in reply for sample in ("Ça va", "こんにちは", "你好", "🚀"))


@pytest.mark.parametrize("length", [1, 4, 5, 6, 150, 1000])
@pytest.mark.parametrize("message", ["x", "Hello there"])
def test_reply_length_can_be_set_exactly(length: int, message: str) -> None:
    # "## Hello there\n\n" cut after five tokens would re-tokenize as four: the list itself is what counts.
    tokens = reply_tokens([message], message, length)
    assert len(tokens) == length
    assert "".join(tokens) == reply_for([message], message, length)


def test_a_reply_padded_with_replies_is_markdown_part_after_part() -> None:
    message = "Hello there"
    natural = reply_tokens([message], message)
    tokens = reply_tokens([message], message, 1000, padding="replies")
    assert len(tokens) == 1000
    assert tokens[: len(natural)] == natural
    text = "".join(tokens)
    assert "## Part 2: Hello there" in text
    assert text.count("| Language | Greeting |") >= 3
    assert reply_tokens([message], message, 1000, limit=600, padding="replies") == tokens[:600]


def test_directive_lines_are_removed_and_parsed() -> None:
    text, pairs = split_directive("Hello\n@emulator fault=429 retry_after=2.5 fail_times=1 tag=t1\nthere")
    assert text == "Hello\nthere"
    directive = parse_directive("chat", pairs)
    assert directive.fault is Fault.RATE_LIMIT
    assert (directive.retry_after, directive.fail_times, directive.tag) == (2.5, 1, "t1")


def test_fault_by_deployment_name_and_message_wins() -> None:
    assert parse_directive("fault-drop", {}).fault is Fault.DROP
    assert parse_directive("fault-drop", {"fault": "hang"}).fault is Fault.HANG


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ({"fault": "boom"}, "unknown emulator fault 'boom'"),
        ({"speed": "1"}, "unknown emulator directive key 'speed'"),
        ({"after": "x"}, "after='x' is not a int"),
        ({"ttft_ms": "-1"}, "must not be negative"),
    ],
)
def test_bad_directives_say_what_is_wrong(pairs: dict[str, str], message: str) -> None:
    with pytest.raises(DirectiveError, match=message):
        parse_directive("chat", pairs)


def test_directive_items_must_be_key_value() -> None:
    with pytest.raises(DirectiveError, match="not key=value"):
        split_directive("@emulator fault")


def test_attempts_are_counted_per_identical_request() -> None:
    counter = AttemptCounter(capacity=2)
    assert [counter.next_attempt("d", b"a") for _ in range(3)] == [1, 2, 3]
    assert counter.next_attempt("d", b"b") == 1
    assert counter.next_attempt("other", b"a") == 1
    assert counter.next_attempt("d", b"a") == 1  # evicted: the oldest key went first


def test_only_the_tokens_a_client_can_be_sent_are_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """A padded reply cut by `limit` (the client's max_tokens) builds no padding the cut throws away, and is
    the same prefix the whole reply starts with."""
    message = "Hello there"
    natural = "".join(reply_tokens([message], message))
    whole = reply_tokens([message], message, 400)
    tokenized: list[str] = []

    def recording(text: str) -> list[str]:
        tokenized.append(text)
        return tokenize(text)

    monkeypatch.setattr(replies, "tokenize", recording)
    cut = reply_tokens([message], message, 400, limit=5)
    assert cut == whole[:5]
    assert tokenized == [natural]  # the reply's own text only: no padding was built


def test_a_scripted_reply_is_chosen_by_directive() -> None:
    _, pairs = split_directive("say this\n@emulator reply=quote_bomb depth=500")
    directive = parse_directive("chat", pairs)
    assert (directive.reply, directive.depth) == (Scripted.QUOTE_BOMB, 500)
    assert parse_directive("chat", {"reply": "echo"}).reply is Scripted.ECHO
    assert parse_directive("chat", {}).reply is None
    with pytest.raises(DirectiveError, match="unknown emulator reply 'bomb'; known replies: echo, quote_bomb"):
        parse_directive("chat", {"reply": "bomb"})
    with pytest.raises(DirectiveError, match="over the limit"):
        parse_directive("chat", {"reply": "quote_bomb", "depth": str(MAX_QUOTE_DEPTH + 1)})


def test_echo_is_the_message_exactly_and_the_bomb_nests_depth_quotes() -> None:
    message = "  *keep*  this\n\n>>> exactly  "
    assert "".join(echo_tokens(message)) == message
    bomb = quote_bomb_tokens(3000)
    assert "".join(bomb) == ">" * 3000 + " The bottom of a deep quote."
    assert len(bomb) > 3000 // 64  # streamed over many chunks, as a model would write it
    assert "".join(quote_bomb_tokens(1)) == "> The bottom of a deep quote."

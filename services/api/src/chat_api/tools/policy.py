"""Which tools a request may offer the model. Simple on purpose: TOOLS_ENABLED switches all off; TOOLS_ALLOWED
names the ones offered (empty: all built-in); a conversation may switch them off for itself. Guests get the
same tools as accounts (their memories end with the guest). Tiers, when configured, will narrow this further."""

from collections.abc import Sequence

from semantic_kernel.functions import KernelFunction, KernelPlugin

from chat_api.auth.tokens import Identity
from chat_api.settings import Settings
from chat_api.tools.catalog import builtin_plugin


class ToolPolicy:
    def __init__(self, plugin: KernelPlugin, enabled: bool, allowed: Sequence[str]) -> None:
        unknown = sorted(set(allowed) - set(plugin.functions))
        if unknown:
            raise ValueError(
                f"TOOLS_ALLOWED names no such tool: {', '.join(unknown)} (known: {', '.join(plugin.functions)})"
            )
        self.plugin = plugin
        self.enabled = enabled
        self.offered = [function for name, function in plugin.functions.items() if not allowed or name in allowed]

    @classmethod
    def from_settings(cls, settings: Settings) -> "ToolPolicy":
        return cls(builtin_plugin(), settings.TOOLS_ENABLED, settings.TOOLS_ALLOWED)

    def allowed(self, identity: Identity, *, conversation_allows: bool = True) -> list[KernelFunction]:
        """The functions this request may offer; empty: call the model without tools."""
        del identity  # every user gets the same tools until tiers come
        if not self.enabled or not conversation_allows:
            return []
        return list(self.offered)

    def choice_filters(self, identity: Identity, *, conversation_allows: bool = True) -> dict[str, list[str]]:
        """`FunctionChoiceBehavior.Auto(filters=...)` for this request, on a kernel that holds the plugin."""
        functions = self.allowed(identity, conversation_allows=conversation_allows)
        return {"included_functions": [function.fully_qualified_name for function in functions]}

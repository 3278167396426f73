"""The tools of one worker: a kernel that holds them (with the bounds every call keeps to), and what a request
may offer the model, as Semantic Kernel's function choice."""

import uuid
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import orjson
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai import FunctionChoiceBehavior
from semantic_kernel.connectors.ai.function_calling_utils import kernel_function_metadata_to_function_call_format
from semantic_kernel.filters.filter_types import FilterTypes
from semantic_kernel.functions import KernelFunction

from chat_api.auth.tokens import Identity
from chat_api.chat.service import ToolOffer
from chat_api.chat.tokens import text_tokens
from chat_api.settings import Settings
from chat_api.tools.bounds import bounded_calls
from chat_api.tools.calls import Approve, Call, CallOutcome, run_call
from chat_api.tools.context import ToolContext, ToolServices, acting_for
from chat_api.tools.policy import ToolPolicy

FunctionFilter = Literal["excluded_plugins", "included_plugins", "excluded_functions", "included_functions"]


@dataclass(frozen=True)
class ToolGrant:
    """What one answer may use: the tools offered (by qualified name), and those the user allowed for the whole
    conversation (they run without asking again)."""

    identity: Identity
    conversation_id: uuid.UUID | None
    functions: dict[str, KernelFunction]
    approved: frozenset[str] = field(default_factory=frozenset)


class Toolkit:
    def __init__(self, policy: ToolPolicy, services: ToolServices, settings: Settings) -> None:
        self.policy = policy
        self.services = services
        self.max_rounds = settings.TOOLS_MAX_ROUNDS
        self.kernel = Kernel()
        self.kernel.add_plugin(policy.plugin)
        self.kernel.add_filter(FilterTypes.FUNCTION_INVOCATION, bounded_calls(settings.TOOL_OUTPUT_MAX_TOKENS))

    def grant(
        self,
        identity: Identity,
        conversation_id: uuid.UUID | None,
        *,
        enabled: bool = True,
        approved: frozenset[str] = frozenset(),
    ) -> ToolGrant | None:
        """The tools this answer may offer; None when it offers none (the model is called as without tools)."""
        functions = self.policy.allowed(identity, conversation_allows=enabled)
        if not functions:
            return None
        offered = {function.fully_qualified_name: function for function in functions}
        return ToolGrant(identity, conversation_id, offered, approved)

    def offer(self, grant: ToolGrant, *, last: bool = False) -> ToolOffer:
        """A round's offer: the model may call any granted tool, or (`last`) sees them but must answer in words."""
        filters: dict[FunctionFilter, list[str]] = {"included_functions": list(grant.functions)}
        choice = (
            FunctionChoiceBehavior.NoneInvoke(filters=filters)
            if last
            else FunctionChoiceBehavior.Auto(auto_invoke=False, filters=filters)
        )
        return ToolOffer(self.kernel, choice)

    @cached_property
    def definitions_tokens(self) -> int:
        """About what the offered tools' definitions take of every prompt that offers them (their JSON schema, as
        the model is sent them): memory leaves room for it."""
        if not self.policy.enabled:
            return 0
        definitions = [kernel_function_metadata_to_function_call_format(f.metadata) for f in self.policy.offered]
        return text_tokens(orjson.dumps(definitions).decode())

    async def run(self, grant: ToolGrant, call: Call, approve: Approve) -> CallOutcome:
        """One call, for the grant's user (the tools read who it is from their context, never the model)."""
        with acting_for(ToolContext(grant.identity, grant.conversation_id, self.services)):
            return await run_call(self.kernel, grant.functions, call, approve)

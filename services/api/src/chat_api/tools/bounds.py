"""What every tool call keeps to, as a Semantic Kernel function-invocation filter (`kernel.add_filter(
"function_invocation", bounded_calls(...))`): its own timeout, then cancelled (`ToolTimeout`); its output,
as text, cut to a token bound before it goes back to the model."""

import asyncio
from collections.abc import Awaitable, Callable

from semantic_kernel.filters.functions.function_invocation_context import FunctionInvocationContext
from semantic_kernel.functions import FunctionResult

from chat_api.tools.errors import ToolTimeout
from chat_api.tools.output import truncate_output
from chat_api.tools.spec import spec_of

Next = Callable[[FunctionInvocationContext], Awaitable[None]]
InvocationFilter = Callable[[FunctionInvocationContext, Next], Awaitable[None]]


def bounded_calls(max_output_tokens: int) -> InvocationFilter:
    async def bound(context: FunctionInvocationContext, next: Next) -> None:
        spec = spec_of(context.function)
        try:
            async with asyncio.timeout(spec.timeout_s) as scope:
                await next(context)
        except TimeoutError:
            if scope.expired():
                raise ToolTimeout(
                    f"{context.function.name} took longer than {spec.timeout_s:g} s and was stopped."
                ) from None
            raise  # the tool's own (a request of its that timed out)
        if context.result is not None and context.result.value is not None:
            text = truncate_output(str(context.result.value), max_output_tokens)
            context.result = FunctionResult(function=context.function.metadata, value=text)

    return bound

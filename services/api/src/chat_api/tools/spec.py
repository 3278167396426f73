"""`@tool`: a kernel function with our marks. Whether it acts (changes something for the user, so the user
approves each call first) and how long it may run. The marks travel in the function's metadata
(`additional_properties`), where the runner reads them with `spec_of`."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from semantic_kernel.functions import KernelFunction, kernel_function

DEFAULT_TIMEOUT_S: Final = 10.0
SPEC_ATTRIBUTE: Final = "__tool_spec__"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ToolSpec:
    acting: bool = False  # it changes something (saves, sends, deletes): the user approves each call
    timeout_s: float = DEFAULT_TIMEOUT_S


def tool(*, acting: bool = False, timeout_s: float = DEFAULT_TIMEOUT_S, name: str | None = None) -> Callable[[F], F]:
    """Make a function a tool. Its docstring is the description the model reads; each parameter is
    `Annotated[type, "what the model should pass"]`. It learns who asks from `tools.context.current()`, never
    from its parameters."""
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")

    def decorate(function: F) -> F:
        kernel_function(function, name=name)
        setattr(function, SPEC_ATTRIBUTE, ToolSpec(acting=acting, timeout_s=timeout_s))
        return function

    return decorate


def spec_of(function: KernelFunction) -> ToolSpec:
    """A kernel function's marks (from its metadata, or from the `@tool` function it wraps, however its plugin
    was made); a function not made with `@tool` (an MCP server's) counts as acting, with the default timeout,
    until its source says otherwise."""
    properties = function.metadata.additional_properties or {}
    spec = properties.get("tool_spec", getattr(getattr(function, "method", None), SPEC_ATTRIBUTE, None))
    return spec if isinstance(spec, ToolSpec) else ToolSpec(acting=True)

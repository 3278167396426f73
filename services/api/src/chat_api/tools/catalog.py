"""The built-in tools as one Semantic Kernel plugin: every `@tool` function in a module of `builtin/`, found
at import (adding a tool is adding a file)."""

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache
from typing import Any, Final

from semantic_kernel.functions import KernelFunctionFromMethod, KernelPlugin

from chat_api.tools import builtin
from chat_api.tools.spec import SPEC_ATTRIBUTE

PLUGIN: Final = "builtin"


def builtin_tools() -> list[Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for module_info in pkgutil.iter_modules(builtin.__path__):
        module = importlib.import_module(f"{builtin.__name__}.{module_info.name}")
        for value in vars(module).values():
            if callable(value) and hasattr(value, SPEC_ATTRIBUTE) and value.__module__ == module.__name__:
                name = value.__kernel_function_name__
                if name in found:
                    raise ValueError(f"two built-in tools are called {name!r}")
                found[name] = value
    return [found[name] for name in sorted(found)]


@cache
def builtin_plugin() -> KernelPlugin:
    """The plugin, built once per process (its functions hold no state: a request's comes from its context)."""
    functions = [
        KernelFunctionFromMethod(
            method=function, plugin_name=PLUGIN, additional_metadata={"tool_spec": getattr(function, SPEC_ATTRIBUTE)}
        )
        for function in builtin_tools()
    ]
    return KernelPlugin(name=PLUGIN, description="The assistant's own tools.", functions=functions)


def builtin_names() -> list[str]:
    return list(builtin_plugin().functions)

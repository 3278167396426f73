"""Packages Semantic Kernel imports whenever chat is imported but chat never runs, left out of the install
(`override-dependencies` in pyproject.toml); stand-ins take their place here, before anything imports Semantic
Kernel, so that its modules import and any use fails plainly. Where the real packages are installed, they are used.

- Realtime audio: the OpenAI connector imports WebRTC (aiortc) and audio frames (PyAV) with any of its services,
  chat included (semantic-kernel #10848 made them required for that reason): about 115 MB of the image and
  31 MB of every worker's memory.
- Handlebars prompt templates: `semantic_kernel.functions` imports every template engine, and pybars compiles
  its grammar at import (with PyMeta): about 1 s of CPU at each start (a third of importing the app) and 2.5 MB.
  The api renders no prompt template. (Jinja2's stays: it is small, and the tests' OpenID provider needs it.)
"""

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence
from typing import Any, Final

LEFT_OUT: Final = {  # import name: what of Semantic Kernel's needs it
    "aiortc": "realtime audio",
    "av": "realtime audio",
    "pybars": "Handlebars prompt templates",
}


class LeftOut(RuntimeError):
    pass


class _Absent:
    """Any class the stand-in modules are asked for: usable in annotations and as a base, never made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        package = type(self).__module__.partition(".")[0]
        raise LeftOut(
            f"{type(self).__module__}.{type(self).__name__}: {package} is not installed in this service (it serves "
            f"Semantic Kernel's {LEFT_OUT[package]}, which the api does not use)"
        )


class _StandInModule(types.ModuleType):
    def __getattr__(self, name: str) -> type:
        if name.startswith("__"):
            raise AttributeError(name)
        # An error class is named in `except` clauses, which accept only exceptions (none is ever raised).
        base = LeftOut if name.endswith(("Error", "Exception")) else _Absent
        absent = type(name, (base,), {"__module__": self.__name__})
        setattr(self, name, absent)
        return absent


class _StandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, packages: frozenset[str]) -> None:
        self.packages = packages

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in self.packages:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _StandInModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def stand_in_for_left_out_packages() -> None:
    """Stand-ins for the packages of `LEFT_OUT` that are not installed (once per process)."""
    if any(isinstance(finder, _StandIns) for finder in sys.meta_path):
        return
    missing = frozenset(name for name in LEFT_OUT if importlib.util.find_spec(name) is None)
    if missing:
        sys.meta_path.append(_StandIns(missing))

"""
Names a package exports but imports on first use (PEP 562), as scientific Python's
``lazy_loader.attach`` does: ``import aioec2`` then builds no class a program never touches.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["attach"]


def attach(
    package: str, names: Mapping[str, str], submodules: frozenset[str] = frozenset()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """
    Return the ``__getattr__`` and ``__dir__`` of ``package``.

    Args:
        package: the package's ``__name__`` (it is being imported, so it is in sys.modules).
        names: exported name -> the module that defines it (absolute).
        submodules: modules of the package reachable as attributes once imported on demand,
            as when the package imported them itself (``aioec2.models.image``).
    """
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's own name
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later lookups find it directly
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted({*namespace, *names, *submodules})

    return __getattr__, __dir__

"""Names a package exports, imported from their module when first read.

`promo --version` and the commands that need only part of a package do not
pay for the rest: the package's ``__getattr__`` is made here from a table of
name → module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, modules: dict[str, str]) -> Callable[[str], Any]:
    """The module-level ``__getattr__`` of ``package``, importing each name of
    ``modules`` from its (relative) module on first use and keeping it."""

    def getattr_(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        vars(importlib.import_module(package))[name] = value
        return value

    return getattr_

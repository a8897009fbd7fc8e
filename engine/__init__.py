"""promorules engine: the pure pricing core (cart, facts, compile, index, program,
evaluate, effects, caps, money, explain, result) and its adapters in subpackages
(``engine.usage``, ``engine.cli``, ``engine.ruletests``).

    from dsl import load_ruleset
    from engine import compile_ruleset, evaluate, load_cart

    ruleset = load_ruleset("rulesets/fashion/ruleset.yaml")
    result = evaluate(ruleset, load_cart("rulesets/fashion/carts/example.yaml"))
    print(result.total, result.applied_ids())

    program = compile_ruleset(ruleset)      # compile once, price many carts
    result = program.evaluate(cart)
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from dsl.lazy import lazy_exports

if TYPE_CHECKING:
    from .cart import Cart, CartError, load_cart, load_cart_text, parse_cart
    from .program import Program, UsageView, compile_ruleset, evaluate
    from .result import Result

__version__ = "0.1.0"  # the package's version (pyproject.toml reads it from here)

# Each name is imported from its module when first read: `promo --version` and the
# adapters that need only a part of the engine do not pay for all of it.
_FROM = {
    "Cart": "cart", "CartError": "cart", "load_cart": "cart", "load_cart_text": "cart",
    "parse_cart": "cart", "Program": "program", "UsageView": "program",
    "compile_ruleset": "program", "evaluate": "program", "Result": "result",
}

__all__ = [
    "Cart",
    "CartError",
    "Program",
    "Result",
    "UsageView",
    "compile_ruleset",
    "evaluate",
    "load_cart",
    "load_cart_text",
    "parse_cart",
]


__getattr__ = lazy_exports(__name__, _FROM)


class _Package(types.ModuleType):
    """``engine.evaluate`` is the function (``program.evaluate``), as the package has
    always exported it, though a submodule of that name exists: importing the
    submodule (which the program does) does not replace the function."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "evaluate" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

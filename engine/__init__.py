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

from .cart import Cart, CartError, load_cart, load_cart_text, parse_cart
from .program import Program, UsageView, compile_ruleset, evaluate
from .result import Result

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

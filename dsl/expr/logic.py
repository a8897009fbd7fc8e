"""What must hold for a condition to be true: the logic the linter's reasoning
(never / always true, shadowing), the engine's promotion index and its compiler
share, so they read a condition the same way.

One rule for missing values: an ``attributes.*`` value may be missing or of a
type the comparison does not expect, and a division may divide by zero; the
language makes such a comparison *false* (never an error).  So ``not (x == 1)``
is ``x != 1`` only when neither side may be missing — otherwise both
``x == 1`` and ``x != 1`` can be false at once.  ``may_be_missing`` is that rule;
the differential tests (tests/engine/test_compile.py, tests/dsl/lint/
test_lint_conditions.py, tests/engine/test_index.py) hold the linter, the index
and the compiler to the evaluator on generated conditions.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

from . import nodes as n
from .types import ATTRIBUTES

MIRROR = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
"""The operator with its sides swapped: ``2 < x`` is ``x > 2``."""

NEGATION = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">",
            "in": "not in", "not in": "in", "contains": "not contains",
            "not contains": "contains"}
"""The operator that holds exactly when this one does not (for values that are
never missing: see ``negation``)."""

ORDER_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge}
"""The comparisons of two numbers (or two moments), as Python functions."""


def may_be_missing(node: n.Node) -> bool:
    """Could evaluating ``node`` give a missing value, or one of a type its
    comparison does not expect (an attribute, anywhere inside; a division)?"""
    for part in n.walk(node):
        if isinstance(part, n.Path) and ATTRIBUTES in part.parts:
            return True
        if isinstance(part, n.Arith) and part.op == "/":
            return True
    return False


def negation_is_flip(node: n.Compare) -> bool:
    """Whether ``not (node)`` is ``node`` with the ``NEGATION`` operator: only when
    neither side may be missing (otherwise both can be false at once)."""
    return not (may_be_missing(node.left) or may_be_missing(node.right))


class Against(NamedTuple):
    """A comparison of a subject with a number, the number on the right."""

    subject: n.Node
    op: str
    bound: Decimal


def against_number(node: n.Compare) -> Against | None:
    """``side op number`` with the number moved to the right (``2 <= x`` is
    ``x >= 2``), for the order and equality operators."""
    if node.op not in ORDER_TESTS:
        return None
    if isinstance(node.right, n.Number):
        return Against(node.left, node.op, node.right.value)
    if isinstance(node.left, n.Number):
        return Against(node.right, MIRROR[node.op], node.left.value)
    return None


COUPONS = ("cart", "coupons")
"""The path of the entered codes: the strings compared with it are coupon codes."""


def coupon_literals(node: n.Node) -> tuple[n.String, ...]:
    """The string literals that ``node`` compares with ``cart.coupons``, anywhere inside
    it: the other side of the comparison, or the strings of a list there.  They are
    coupon codes: reasons mask them, lint checks them like the codes of promotions."""
    found: list[n.String] = []
    for part in n.walk(node):
        if not isinstance(part, n.Compare):
            continue
        for side, other in ((part.left, part.right), (part.right, part.left)):
            if not (isinstance(side, n.Path) and side.parts == COUPONS):
                continue
            if isinstance(other, n.String):
                found.append(other)
            elif isinstance(other, n.ListLit):
                found.extend(item for item in other.items if isinstance(item, n.String))
    return tuple(found)

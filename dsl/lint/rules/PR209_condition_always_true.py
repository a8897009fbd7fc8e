"""A `when`, `target` or `get_target` that is always true.

What it finds: conditions that hold for every cart or line, so they restrict
nothing: `cart.subtotal >= 0`, `item.quantity >= 1`, `cart.subtotal < 100
or cart.subtotal >= 100`, `X or not X`. (A comparison with a missing
`attributes.*` value is false, so `attributes.x == 1 or attributes.x != 1`
is not always true and is not reported.)

Why it costs money: the author believed the promotion was restricted — to a
minimum spend, to some lines — and it is not: every order gets it. An
always-true `target` discounts every line, gift cards and sale items
included.

Avoid:

    when: cart.subtotal >= 0          # meant: >= 50

Prefer: the restriction you meant, or no `when` at all when it applies to
every cart (then say so in the name).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ...expr.format import format_expression
from ..conditions import always_true, show
from ..context import LintRuleset, finding

CODE = "PR209"
NAME = "condition-always-true"
SEVERITY = Severity.WARNING

_OUTCOME = {"when": "every cart is eligible", "target": "every line is discounted",
            "get_target": "every line can give the free units",
            "shipment_target": "every shipment is discounted"}


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, _ in enumerate(ruleset.promotions):
        for path, node, _item in ruleset.conditions(index):
            why = always_true(node)
            if why is None:
                continue
            field = str(path[-1])
            text = show(format_expression(node))
            note = f" ({why.note})" if why.note and len(why.lits) == 1 else ""
            yield finding(CODE, SEVERITY, f"this `{field}` is always true{note}: `{text}` "
                          f"restricts nothing, so {_OUTCOME[field]}",
                          ruleset.expr_span(path, node),
                          f"write the restriction you meant, or remove the {field}")

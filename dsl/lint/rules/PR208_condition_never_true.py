"""A `when`, `target` or `get_target` that can never be true.

What it finds: conditions whose parts contradict each other or what a field
can hold — `cart.subtotal > 100 and cart.subtotal < 50`, `item.category ==
"a" and item.category == "b"`, `x in [..] and x not in [..]`,
`cart.quantity > 2 and cart.quantity < 3` (units are whole),
`cart.subtotal < 0`, `cart.weekday == "monday"` (weekdays are `mon` …
`sun`), `cart.coupons contains "SAVE10"` (entered codes are case-folded:
write `"save10"`), `X and not X`. Every alternative of an `or` must be
impossible for the whole to be reported.

Why it costs money: the promotion was approved, announced and budgeted, and
never gives anything: customers promised a discount do not get it and
support refunds by hand. Usually it is a typo (`<` for `>=`, `and` for `or`)
that also hides what the author meant.

Avoid:

    when: cart.subtotal > 100 and cart.subtotal < 50

Prefer:

    when: cart.subtotal >= 50 and cart.subtotal < 100
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ..conditions import never_true, show
from ..context import LintRuleset, finding

CODE = "PR208"
NAME = "condition-never-true"
SEVERITY = Severity.ERROR

_OUTCOME = {"when": "the promotion never applies",
            "target": "no line is ever discounted",
            "get_target": "no unit is ever given",
            "shipment_target": "no shipment is ever discounted"}


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, _ in enumerate(ruleset.promotions):
        for path, node, _item in ruleset.conditions(index):
            why = never_true(node)
            if why is None:
                continue
            field = str(path[-1])
            lits = why.lits
            if not lits:
                reason, point = "it is written as false", node
            elif len(lits) == 1:
                note = f" ({why.note})" if why.note else ""
                reason, point = f"`{show(lits[0].text())}` never is{note}", lits[0].node
            else:
                shown = " and ".join(f"`{show(lit.text(), 40)}`" for lit in lits)
                reason = f"{shown} cannot {'all' if len(lits) > 2 else 'both'} be true"
                point = lits[-1].node
            if why.alternatives > 1:
                reason = f"none of its {why.alternatives} alternatives can be: the first " \
                         f"fails because {reason}"
                point = node
            message = f"this `{field}` is never true, so {_OUTCOME[field]}: {reason}"
            yield finding(CODE, SEVERITY, message, ruleset.expr_span(path, point),
                          "check the comparison operators, and whether an `and` should be `or`")

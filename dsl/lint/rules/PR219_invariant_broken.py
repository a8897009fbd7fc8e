"""A declared invariant that a cart breaks.

What it finds: an entry under `invariants:` (`max_discount_percent`,
`max_discount_amount`, `no_free_lines`) for which the engine's analysis found
a cart that breaks it, priced by the engine itself; the cart is in the hint,
and `promo bound` prints the worst one as a rule test. (The check prices carts:
`promo lint` runs it; `dsl.lint.lint_paths` does when given a checker.)

Why it costs money: the invariant is what the business promised finance —
"never more than 40 % off", "never a free line". A cart that breaks it is an
order that gives away more than anyone signed off, on every order like it.

Avoid:

    invariants: { max_discount_percent: 40 }
    promotions:
      - id: sale-30
        effect: { percent_off: 30 }
      - id: members-20
        effect: { percent_off: 20 }      # 30 % then 20 %: 44 % off

Prefer: cap the stacking (`max_discount: { percent_of_subtotal: 40 }`), put
the two in one `group`, or make one `exclusive`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR219"
NAME = "invariant-broken"
SEVERITY = Severity.ERROR


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for verdict in ruleset.invariant_verdicts():
        if verdict.status == "broken":
            yield finding(CODE, SEVERITY, verdict.message,
                          ruleset.key_span("invariants", verdict.name),
                          f"the cart: {verdict.witness}; cap the stacking (max_discount, "
                          "max_amount, a group) or change the promise")

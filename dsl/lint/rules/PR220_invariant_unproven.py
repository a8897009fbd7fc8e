"""A declared invariant that can be neither proven nor broken.

What it finds: an entry under `invariants:` that the proven bound does not
keep (the bound allows more than the promise, e.g. an uncapped percentage
stacks on another one), while no cart the analysis priced breaks it. (The
check prices carts: `promo lint` runs it; `dsl.lint.lint_paths` does when given
a checker.)

Why it costs money: nothing guarantees the promise. The search not finding
a cart is not a proof: a cart nobody tried (another mix of codes, tags and
prices) may still give away more than promised.

Avoid:

    invariants: { max_discount_amount: "100.00" }
    promotions:
      - id: members-10
        effect: { percent_off: 10 }      # 10 % of a 2,000.00 order is 200.00

Prefer: a cap the analysis can prove — `max_discount: { amount: "100.00" }`
in `stacking`, or `max_amount` on each effect that can reach the promise.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR220"
NAME = "invariant-unproven"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for verdict in ruleset.invariant_verdicts():
        if verdict.status == "unknown":
            yield finding(CODE, SEVERITY, verdict.message,
                          ruleset.key_span("invariants", verdict.name),
                          "add a cap the analysis can prove: max_discount in stacking, or "
                          "max_amount on the effects")

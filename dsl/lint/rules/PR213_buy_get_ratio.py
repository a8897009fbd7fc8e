"""Buy X get Y where Y is more than twice X.

What it finds: a buy/get effect whose `get` is more than twice its `buy`
(`buy: 1, get: 3`).

Why it costs money: offers are "buy 2 get 1", "buy 1 get 1", "3 for 2";
a `get` much larger than `buy` is nearly always a typo (the two swapped, an
extra digit). `buy: 1, get: 10` gives ten units for every one paid.

Avoid:

    effect: { buy: 1, get: 4, percent_off: 100 }

Prefer:

    effect: { buy: 4, get: 1, percent_off: 100 }
"""

from __future__ import annotations

from collections.abc import Iterator

from ...effects import BuyGet
from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR213"
NAME = "buy-get-ratio"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        for where, effect in promo.effect_paths():
            if isinstance(effect, BuyGet) and effect.get > 2 * effect.buy:
                yield finding(CODE, SEVERITY, f"buy {effect.buy} get {effect.get}: more than "
                              "twice as many units given as bought",
                              ruleset.span("promotions", index, *where, "get"),
                              "were buy and get swapped?")

"""The same coupon code on two promotions (as codes match: NFKC, case-folded, trimmed).

What it finds: a code that, once normalised (`" Welcome10 "` is
`welcome10`), is already a code of another promotion — or appears twice in
one promotion's `coupons:` list.

Why it costs money: an entered code belongs to exactly one promotion, the
first in evaluation order (priority, then id). The other promotion can never
be reached with that code, so whoever printed it on a flyer promised a
discount the shop will not give — or, reordered by a priority change, the
code silently switches to the other (perhaps larger) discount.

Avoid:

    - id: welcome-10
      coupon: WELCOME10
    - id: welcome-15-vip
      coupon: welcome10

Prefer: one code per promotion; a promotion may carry several codes
(`coupons: [WELCOME10, HELLO10]`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ...values import normalise_code
from ..context import LintRuleset, finding

CODE = "PR202"
NAME = "duplicate-coupon-code"
SEVERITY = Severity.ERROR


def _written(ruleset: LintRuleset, index: int) -> list[tuple[str, tuple[str | int, ...]]]:
    promo = ruleset.promotions[index]
    if promo.coupon is not None:
        return [(promo.coupon, ("promotions", index, "coupon"))]
    return [(code, ("promotions", index, "coupons", k))
            for k, code in enumerate(promo.coupons or [])]


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    owner: dict[str, tuple[int, int]] = {}  # code -> (promotion index, line)
    for index in range(len(ruleset.promotions)):
        for code, path in _written(ruleset, index):
            key = normalise_code(code)
            span = ruleset.span(*path)
            if key in owner:
                other, line = owner[key]
                if other == index:
                    message = f"coupon code '{code}' appears twice in this promotion " \
                              f"(line {line})"
                else:
                    message = f"coupon code '{code}' is also a code of promotion " \
                              f"'{ruleset.promotions[other].id}' (line {line}); codes " \
                              "match after NFKC, case-folding and trimming"
                yield finding(CODE, SEVERITY, message, span,
                              "an entered code reaches only the first promotion by priority: "
                              "give each promotion its own codes")
            else:
                owner[key] = (index, span.line)

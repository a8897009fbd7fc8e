"""A `group` with a single promotion in it.

What it finds: a group name used by exactly one promotion.

Why it costs money: a group means "at most one of these applies". With one
member it restricts nothing — usually the other member's group name is
misspelled (`member-discount` / `members-discount`), and the two discounts
the group was meant to keep apart now stack.

Avoid:

    - id: vip-15
      group: member-discount
    - id: student-10
      group: members-discount

Prefer: the same group name on every promotion it should separate, or no
`group` at all.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR214"
NAME = "single-member-group"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    members: dict[str, list[int]] = {}
    for index, promo in enumerate(ruleset.promotions):
        if promo.group is not None:
            members.setdefault(promo.group, []).append(index)
    names = sorted(members)
    for name, indexes in members.items():
        if len(indexes) != 1:
            continue
        close = [n for n in names if n != name and _near(n, name)]
        hint = f"did you mean '{close[0]}'?" if close else \
            "give the promotions it should separate the same group, or remove it"
        yield finding(CODE, SEVERITY, f"group '{name}' has only one promotion, so it "
                      "separates nothing", ruleset.span("promotions", indexes[0], "group"),
                      hint)


def _near(a: str, b: str) -> bool:
    import difflib

    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.8

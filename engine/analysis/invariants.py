"""The declared invariants of a ruleset, checked with the bound (docs/semantics.md#invariants).

    check_invariants(ruleset)     # → [InvariantVerdict(...)], one per declared invariant

Each invariant is **proven** when the proven bound keeps it, **broken** when a
witness cart priced by the engine breaks it (the cart comes with the verdict),
and **unknown** when neither: the bound allows more than the promise, and no
cart the search tried takes it.  ``promo lint`` reports broken ones as errors
(PR219) and unknown ones as warnings (PR220); ``promo test --examples N``
looks for breaking carts among N generated ones (``examples.py``).

What each invariant means, exactly, on one priced cart (``breaks``):

* ``max_discount_amount: A`` — the total discount (lines and shipping) ≤ A;
* ``max_discount_percent: P`` — the total discount ≤ P % of the subtotal, plus the
  rounding allowance: half a minor unit per line discount and shipping discount
  the result lists (per effect, for a promotion of several: ``search.Roundings``);
* ``no_free_lines: true`` — no cart line whose total is above zero ends at zero (a
  gift line is free by design: the invariant is about the cart's lines).

The subtotal is the result's: the cart's lines and the gift lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

from dsl.lint.invariants import InvariantVerdict
from dsl.model import Invariants, Ruleset

from .. import Result, compile_ruleset
from .bound import DEFAULT_TRIES, money, percent
from .search import (
    CartData,
    Objective,
    Roundings,
    allowance,
    discount_amount,
    roundings,
    search,
)
from .static import RulesetBound, ruleset_bound
from .vocabulary import vocabulary


def free_lines(result: Result) -> list[str]:
    """Cart lines that cost something and end at zero (gift lines are free by design)."""
    return [line.id for line in result.lines
            if line.gift is None and line.total > 0 and line.final_total <= 0]


def _excess_share(percent_: Decimal, minor_units: int,
                  rounded: Roundings | None = None) -> Objective:
    """How far a cart's discount goes over ``percent_`` % of its subtotal and the
    allowance (above zero: broken)."""
    share = Fraction(percent_) / 100

    def excess(result: Result) -> Fraction:
        return Fraction(result.total_discount) - share * Fraction(result.subtotal) \
            - allowance(result, minor_units, rounded)

    return excess


def _free_count(result: Result) -> Fraction:
    return Fraction(len(free_lines(result)))


def objectives(invariants: Invariants, minor_units: int,
               rounded: Roundings | None = None) -> dict[str, Objective]:
    """For each declared invariant, a score a breaking cart has above zero (amount:
    above the limit)."""
    out: dict[str, Objective] = {}
    if invariants.max_discount_amount is not None:
        limit = Fraction(invariants.max_discount_amount)
        out["max_discount_amount"] = lambda r: discount_amount(r) - limit
    if invariants.max_discount_percent is not None:
        out["max_discount_percent"] = _excess_share(invariants.max_discount_percent,
                                                    minor_units, rounded)
    if invariants.no_free_lines:
        out["no_free_lines"] = _free_count
    return out


def breaks(invariants: Invariants, result: Result, minor_units: int,
           rounded: Roundings | None = None) -> list[str]:
    """The invariants the priced cart ``result`` breaks."""
    return [name for name, score in objectives(invariants, minor_units, rounded).items()
            if (score(result) or 0) > 0]


def declared(invariants: Invariants, minor_units: int) -> dict[str, str]:
    """Each declared invariant as written, for messages."""
    out = {}
    if invariants.max_discount_amount is not None:
        out["max_discount_amount"] = money(Fraction(invariants.max_discount_amount),
                                           minor_units)
    if invariants.max_discount_percent is not None:
        out["max_discount_percent"] = f"{invariants.max_discount_percent}%"
    if invariants.no_free_lines:
        out["no_free_lines"] = "true"
    return out


def _proof(name: str, invariants: Invariants, bound: RulesetBound,
           minor_units: int) -> tuple[bool, str]:
    """Whether the proven bound keeps invariant ``name``, and what the bound says."""
    if name == "max_discount_amount":
        assert invariants.max_discount_amount is not None
        ok = bound.amount is not None and bound.amount <= Fraction(invariants.max_discount_amount)
        return ok, f"the proven bound is {money(bound.amount, minor_units)}" + (
            f" ({bound.unbounded})" if bound.amount is None and bound.unbounded else "")
    if name == "max_discount_percent":
        assert invariants.max_discount_percent is not None
        limit = Fraction(invariants.max_discount_percent) / 100
        ok = bound.of_subtotal is not None and bound.of_subtotal <= limit
        return ok, f"the proven bound is {percent(bound.of_subtotal, up=True)} of the " \
            "subtotal" + (f" ({bound.of_subtotal_why})"
                          if bound.of_subtotal is None and bound.of_subtotal_why else "")
    return bound.no_free_lines, "no line can end at zero" if bound.no_free_lines else \
        f"not proven: {bound.free_lines_why}"


def witness_text(cart: CartData) -> str:
    return json.dumps(cart, ensure_ascii=False, separators=(", ", ": "))


def _broken_message(name: str, shown: str, result: Result, minor_units: int) -> str:
    if name == "no_free_lines":
        lines = free_lines(result)
        return f"no_free_lines is broken: {'lines' if len(lines) > 1 else 'line'} " \
            f"{', '.join(lines)} {'end' if len(lines) > 1 else 'ends'} at zero"
    share = Fraction(result.total_discount) / Fraction(result.subtotal) \
        if result.subtotal > 0 else None
    return f"{name}: {shown} is broken: a cart gets {result.total_discount} off a subtotal " \
        f"of {result.subtotal} ({percent(share, up=False)})"


def check_invariants(ruleset: Ruleset, *, tries: int = DEFAULT_TRIES,
                     seed: int = 0) -> list[InvariantVerdict]:
    """A verdict on each invariant ``ruleset`` declares (none declared: ``[]``)."""
    invariants = ruleset.invariants
    if invariants is None:
        return []
    units = ruleset.minor_units
    bound = ruleset_bound(ruleset)
    shown = declared(invariants, units)
    verdicts: dict[str, InvariantVerdict] = {}
    open_: dict[str, Objective] = {}
    reasons: dict[str, str] = {}
    for name, objective in objectives(invariants, units, roundings(ruleset)).items():
        proven, reason = _proof(name, invariants, bound, units)
        if proven:
            verdicts[name] = InvariantVerdict(name, "proven", f"{name}: {shown[name]} holds: "
                                              f"{reason}")
        else:
            open_[name], reasons[name] = objective, reason
    if open_:
        found = search(compile_ruleset(ruleset), vocabulary(ruleset), open_, tries=tries,
                       seed=seed, above=Fraction(0))
        for name in open_:
            witness = found.witnesses[name]
            if witness is not None and witness.score > 0:
                verdicts[name] = InvariantVerdict(
                    name, "broken", _broken_message(name, shown[name], witness.result, units),
                    witness_text(witness.cart))
            else:
                verdicts[name] = InvariantVerdict(
                    name, "unknown", f"{name}: {shown[name]} can be neither proven nor broken: "
                    f"{reasons[name]}, and none of {found.evaluated:,} carts priced breaks it")
    return [verdicts[name] for name in objectives(invariants, units)]


Checker = Callable[[Ruleset], list[InvariantVerdict]]

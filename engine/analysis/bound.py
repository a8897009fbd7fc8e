"""``promo bound``: the most one cart can be discounted, proven and witnessed.

    report = bound_ruleset(load_ruleset("rulesets/fashion/ruleset.yaml"))
    print(format_text(report))        # or format_json(report)
    report.exceeds(Fraction(40, 100))

Two numbers per promotion and for the whole ruleset, never mixed up: the
**proven bound** (``static.py``: sound reasoning over the effects and the
stacking policy; no cart can get more) and the **best witness** (``search.py``:
the worst cart a search found, priced by the engine; some cart gets that
much).  The proven bound is at least the witness; the gap is what the
reasoning could not rule out.  The worst witness is written as a rule test
(the format of ``rulesets/*/tests/*.yaml``) ready to commit.
"""

from __future__ import annotations

import json
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any

import yaml
from tabulate import tabulate

from dsl.model import Ruleset
from dsl.records import record

from .. import compile_ruleset
from .search import (
    Found,
    Witness,
    discount_amount,
    discount_share,
    roundings,
    search,
    share_beyond_rounding,
)
from .static import RulesetBound, ruleset_bound
from .vocabulary import vocabulary

DEFAULT_TRIES = 2000
"""Carts a search prices by default (1 to 2 s for the example rulesets: README Performance)."""


@record
class BoundReport:
    """The proven bound and the best witnesses of one ruleset."""

    ruleset: Ruleset
    path: str
    proven: RulesetBound
    found: Found

    @property
    def amount_witness(self) -> Witness | None:
        return self.found.witnesses["amount"]

    @property
    def share_witness(self) -> Witness | None:
        return self.found.witnesses["share"]

    def checked_share(self) -> tuple[Fraction | None, str]:
        """The share of the subtotal ``--fail-above`` compares: the proven bound, or where
        nothing is proven the witness's (and which one it is)."""
        if self.proven.of_subtotal is not None:
            return self.proven.of_subtotal, "proven bound"
        witness = self.share_witness
        return (discount_share(witness.result) if witness is not None else None), "best witness"

    def exceeds(self, share: Fraction) -> bool:
        value, _ = self.checked_share()
        return value is not None and value > share


def bound_ruleset(ruleset: Ruleset, path: str = "", *, tries: int = DEFAULT_TRIES,
                  seed: int = 0) -> BoundReport:
    """Prove a bound on ``ruleset`` and search for its worst carts."""
    program = compile_ruleset(ruleset)
    found = search(program, vocabulary(ruleset),
                   {"amount": discount_amount, "share": share_beyond_rounding(ruleset.minor_units,
                                                                roundings(ruleset))},
                   tries=tries, seed=seed)
    return BoundReport(ruleset, path or ruleset.ruleset, ruleset_bound(ruleset), found)


# ------------------------------------------------------------------ writing


def percent(share: Fraction | None, *, up: bool) -> str:
    """A share as a percent with two decimals: an upper bound rounded up, a witness (a
    lower bound on the largest) rounded down."""
    if share is None:
        return "unbounded"
    value = Decimal(share.numerator * 100) / Decimal(share.denominator)
    return f"{value.quantize(Decimal('0.01'), ROUND_CEILING if up else ROUND_FLOOR)}%"


def money(amount: Fraction | Decimal | None, minor_units: int) -> str:
    if amount is None:
        return "unbounded"
    exact = Decimal(amount.numerator) / Decimal(amount.denominator) \
        if isinstance(amount, Fraction) else amount
    return f"{exact.quantize(Decimal(1).scaleb(-minor_units), ROUND_CEILING):,}"


def _of_total(result: Any) -> Fraction | None:
    shipping = result.shipping.price if result.shipping is not None else \
        sum(shipment.price for shipment in result.shipments or ())
    whole = Fraction(result.subtotal) + Fraction(shipping)
    return Fraction(result.total_discount) / whole if whole > 0 else None


def witness_test(report: BoundReport, witness: Witness | None = None) -> str:
    """The worst witness as a rule test (YAML), ready for ``tests/`` beside the ruleset."""
    witness = witness or report.share_witness or report.amount_witness
    if witness is None:
        return ""
    result = witness.result
    share = percent(discount_share(result), up=False)
    case = {
        "name": f"bound witness - {result.total_discount} off a subtotal of "
                f"{result.subtotal} ({share})",
        "cart": witness.cart,
        "expect": {"subtotal": str(result.subtotal),
                   "total_discount": str(result.total_discount),
                   "total": str(result.total), "applied": result.applied_ids()},
    }
    head = f"# promo bound {report.path}: the largest share of the subtotal a search found\n"
    return head + yaml.safe_dump([case], sort_keys=False, allow_unicode=True, width=88,
                                default_flow_style=None)


def _rows(report: BoundReport) -> list[list[str]]:
    units = report.ruleset.minor_units
    proven = report.proven
    best = report.found.per_promotion
    share_w, amount_w = report.share_witness, report.amount_witness
    rows = [["whole ruleset", money(proven.amount, units),
             percent(proven.of_subtotal, up=True), percent(proven.of_total, up=True),
             money(amount_w.result.total_discount, units) if amount_w else "-",
             percent(discount_share(share_w.result), up=False) if share_w else "-"]]
    shares = report.found.share_per_promotion
    for bound in proven.promotions:
        given, share = best.get(bound.id), shares.get(bound.id)
        rows.append([bound.id, money(bound.amount, units), percent(bound.of_subtotal, up=True),
                     percent(bound.of_total, up=True),
                     money(given, units) if given is not None else "-",
                     percent(share, up=False) if share is not None else "-"])
    return rows


def format_text(report: BoundReport) -> str:
    """The table of proven bounds and witnesses, the reasons, the worst witness's test."""
    ruleset = report.ruleset
    stacking = ruleset.stacking
    coupons = stacking.coupons_per_order
    policy = f"base {stacking.base}, {coupons} coupon{'' if coupons == 1 else 's'} per " \
        f"order, coupons {'with' if stacking.coupon_with_automatic else 'without'} automatic"
    if stacking.max_discount is not None:
        cap = stacking.max_discount
        policy += ", max_discount " + " / ".join(
            x for x in (f"{cap.percent_of_subtotal}% of subtotal"
                        if cap.percent_of_subtotal is not None else "",
                        str(cap.amount) if cap.amount is not None else "") if x)
    out = [f"{report.path}: the most one cart can be discounted ({ruleset.currency}; "
           f"{policy})", ""]
    table = tabulate(_rows(report), headers=[
        "", "proven: amount", "proven: % subtotal", "proven: % subtotal+shipping",
        "witness: amount", "witness: % subtotal"], tablefmt="simple", disable_numparse=True)
    out += [table, ""]
    out.append("proven: no cart can get more (shares before rounding: each rounded line "
               "discount may add half a minor unit);")
    count = report.found.evaluated
    out.append(f"witness: the worst of {count:,} cart{'' if count == 1 else 's'} priced by the "
               "engine (per promotion: the most it gave on one of them, and the largest share).")
    reasons = _reasons(report)
    if reasons:
        out += ["", "unbounded:"] + [f"  {line}" for line in reasons]
    test = witness_test(report)
    if test:
        out += ["", "the worst witness, as a rule test:", "", test.rstrip("\n")]
    return "\n".join(out) + "\n"


def _reasons(report: BoundReport) -> list[str]:
    proven = report.proven
    lines = []
    if proven.amount is None and proven.unbounded:
        lines.append(f"whole ruleset, amount: {proven.unbounded}")
    if proven.of_subtotal is None and proven.of_subtotal_why:
        lines.append(f"whole ruleset, % subtotal: {proven.of_subtotal_why}")
    for bound in proven.promotions:
        if bound.amount is None and bound.unbounded:
            lines.append(f"{bound.id}: {bound.unbounded}")
    return lines


def _fraction_json(share: Fraction | None) -> str | None:
    if share is None:
        return None
    value = Decimal(share.numerator) / Decimal(share.denominator)
    return str(value.quantize(Decimal("0.000001"), ROUND_CEILING))


def _witness_json(witness: Witness | None) -> dict[str, Any] | None:
    if witness is None:
        return None
    result = witness.result
    return {"amount": str(result.total_discount), "subtotal": str(result.subtotal),
            "share_of_subtotal": _fraction_json(discount_share(result)),
            "share_of_subtotal_and_shipping": _fraction_json(_of_total(result)),
            "applied": result.applied_ids(), "cart": witness.cart}


def to_dict(report: BoundReport) -> dict[str, Any]:
    """The report as JSON data: amounts as decimal strings, shares as fractions of one
    (rounded up to six decimals), ``null`` where unbounded."""
    proven, units = report.proven, report.ruleset.minor_units

    def amount(value: Fraction | None) -> str | None:
        return None if value is None else money(value, units).replace(",", "")

    return {
        "ruleset": report.ruleset.ruleset, "path": report.path,
        "currency": report.ruleset.currency,
        "proven": {"amount": amount(proven.amount), "unbounded": proven.unbounded,
                   "share_of_subtotal": _fraction_json(proven.of_subtotal),
                   "share_of_subtotal_unbounded": proven.of_subtotal_why,
                   "share_of_subtotal_and_shipping": _fraction_json(proven.of_total)},
        "witness": {"largest_amount": _witness_json(report.amount_witness),
                    "largest_share": _witness_json(report.share_witness),
                    "carts_priced": report.found.evaluated},
        "promotions": [{"id": b.id, "proven": {
            "amount": amount(b.amount), "unbounded": b.unbounded,
            "share_of_subtotal": _fraction_json(b.of_subtotal),
            "share_of_subtotal_and_shipping": _fraction_json(b.of_total)},
            "witness_amount": str(report.found.per_promotion[b.id])
            if b.id in report.found.per_promotion else None,
            "witness_share_of_subtotal": _fraction_json(report.found.share_per_promotion.get(b.id))}
            for b in proven.promotions],
        "rule_test": witness_test(report),
    }


def format_json(report: BoundReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"

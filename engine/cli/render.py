"""``promo eval --format text``: a dry run a merchandiser can read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from dsl.values import normalise_code

from ..result import Result
from .table import table


def _minus(amount: Decimal) -> str:
    return f"-{amount}" if amount else str(amount)


def render_text(result: Result, codes: Mapping[str, str] | None = None) -> str:
    """Lines, discounts, totals, and why each other promotion did not apply.

    ``codes``: each coupon code as the ruleset writes it, by its normalised form
    (``common.written_codes``); a code the cart entered is shown so when it matched."""
    def code(entered: str | None) -> str:
        return (codes or {}).get(normalise_code(entered), entered) if entered else ""

    out = [f"ruleset {result.ruleset} · cart {result.cart} · {result.currency} · "
           f"at {result.at}", ""]
    rows = []
    for line in result.lines:
        by_promo = ", ".join(f"{d.promotion} -{d.amount}" for d in line.discounts)
        if line.gift is not None:  # a line no cart had: say where it came from
            by_promo = f"gift: {by_promo}" if by_promo else "gift"
        rows.append([line.id, line.sku, line.quantity, line.unit_price, line.total,
                     _minus(line.discount), line.final_total, by_promo])
    if result.shipping is not None:
        ship = result.shipping
        by_promo = ", ".join(f"{d.promotion} -{d.amount}" for d in ship.discounts)
        rows.append(["shipping", ship.method, "", "", ship.price, _minus(ship.discount),
                     ship.final, by_promo])
    for shipment in result.shipments or ():  # one row each: "shipment <id>", method (seller)
        by_promo = ", ".join(f"{d.promotion} -{d.amount}" for d in shipment.discounts)
        seller = f" ({shipment.seller})" if shipment.seller else ""
        rows.append([f"shipment {shipment.id}", f"{shipment.method}{seller}", "", "",
                     shipment.price, _minus(shipment.discount), shipment.final, by_promo])
    out.append(table(rows, headers=["line", "sku", "qty", "unit", "total", "discount", "final",
                                    "promotions"],
                     colalign=("left", "left", "right", "right", "right", "right", "right",
                               "left")))
    out.append("")
    out.append(f"subtotal {result.subtotal}   discount {_minus(result.total_discount)}   "
               f"total {result.total}")
    deal = result.best_deal
    if deal is not None:
        out.append(f"best deal: {deal.method}, {deal.candidates} candidates, {deal.sets} sets "
                   "priced" + (f" ({deal.fallback})" if deal.fallback else ""))
    if result.applied:
        out += ["", "Applied:"]
        out.append(table([[a.promotion, code(a.coupon), _minus(a.amount), a.name or ""]
                          for a in result.applied], colalign=("left", "left", "right", "left")))
    if result.capped:
        out += ["", "Capped:"]
        out.append(table([[c.promotion, c.source, f"{c.before} -> {c.after}"]
                          for c in result.capped]))
    if result.rejected:
        out += ["", "Not applied:"]
        out.append(table([[x.promotion or "-", code(x.coupon) if x.promotion else x.coupon or "",
                           x.code, x.reason] for x in result.rejected]))
    return "\n".join(out) + "\n"


def render_summary(results: Sequence[tuple[str, Result]]) -> str:
    """One row per cart (its file, id, subtotal, discount, total, applied promotions),
    after the carts' blocks."""
    rows = [[name, r.cart, r.subtotal, _minus(r.total_discount), r.total,
             ", ".join(r.applied_ids()) or "-"] for name, r in results]
    shown = table(rows, headers=["file", "cart", "subtotal", "discount", "total", "applied"],
                  colalign=("left", "left", "right", "right", "right", "left"))
    return f"Summary of {len(results)} carts:\n{shown}\n"

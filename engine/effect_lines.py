"""The lines (and shipments) an effect sees in a pass: what its target selects,
each line on its base, made once and handed again while nothing is taken from it.

A mixin of ``Evaluation`` (``engine/evaluate.py``), whose state it reads: the cart's
facts, the program, the stacking base and the views already made in this pass.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dsl.effects import Gift

from .effects import BaseLine, EffectInput
from .facts import COUNT_INTS
from .money import quantized_minor

if TYPE_CHECKING:
    from dsl.model import Stacking

    from .cart import Cart
    from .compile import LineFilter
    from .facts import Facts
    from .program import CompiledEffect, CompiledPromotion, Program
    from .stacking import Remaining


def effect_input(fields: tuple[list[BaseLine], list[BaseLine], Decimal | None, int, str,
                                tuple[tuple[str, Decimal], ...] | None, str]) -> EffectInput:
    """``EffectInput(*fields)``, without the frame of its generated ``__new__`` (made for
    every effect computed)."""
    return tuple.__new__(EffectInput, fields)


def base_line(fields: tuple[str, int | str, int, Decimal, Decimal, int, int]) -> BaseLine:
    """``BaseLine(*fields)``, without the frame of its generated ``__new__`` (made for
    every line a promotion looks at once something was taken from it)."""
    return tuple.__new__(BaseLine, fields)


class LineViews:
    """How a pass shows the cart's lines and shipments to effects."""

    __slots__ = ()

    if TYPE_CHECKING:  # (set by ``Evaluation.__init__``)
        program: Program
        cart: Cart
        facts: Facts
        stacking: Stacking
        _matches: dict[int, list[dict[str, Any]]]
        _originals: dict[int, list[BaseLine]]
        _originals_by_id: dict[str, BaseLine]
        _latest: dict[str, BaseLine]

    def _original(self, line: dict[str, Any]) -> BaseLine:
        """A line as effects see it while no promotion has taken from it (made once)."""
        total, number = line["total"], line["quantity"]  # (quantized: ``quantized_minor`` applies)
        whole = quantized_minor(total, self.program.minor_units)
        found = self._originals_by_id[line["id"]] = base_line(
            (line["id"], line["id"], COUNT_INTS.get(number) or int(number), total, total, whole,
             whole))
        return found

    def _matching(self, selects: LineFilter | None) -> list[dict[str, Any]]:
        """Lines a target condition selects; conditions see the original cart, so
        promotions sharing a condition share the answer."""
        if selects is None:
            return self.facts.lines
        found = self._matches.get(id(selects))
        if found is None:
            found = self._matches[id(selects)] = selects(self.facts)
        return found

    def _lines_for(self, condition: LineFilter | None,
                   remaining: Remaining) -> list[BaseLine]:
        base_original = self.stacking.base == "original"
        if base_original:  # the same lines for every promotion with this target
            found = self._originals.get(id(condition))
            if found is None:
                found = self._originals[id(condition)] = self._build_lines(
                    self._matching(condition), None)
            return found
        return self._build_lines(self._matching(condition), remaining)

    def _build_lines(self, lines: list[dict[str, Any]],
                     remaining: Remaining | None) -> list[BaseLine]:
        """``lines`` as effects see them: based on what is left of each line, or
        (``remaining`` is ``None``) on its original total."""
        if remaining is None:
            originals = self._originals_by_id
            return [originals.get(line["id"]) or self._original(line) for line in lines]
        # (written out: this runs for every line of every promotion that computes; the
        # original ``BaseLine`` is made here at a line's first look, not by a call)
        out: list[BaseLine] = []
        append = out.append
        latest = self._latest
        minor, scale = remaining.minor, self.program.scale
        new = tuple.__new__  # (``base_line``, without its call: one per line looked at)
        count_ints = COUNT_INTS
        for line in lines:
            line_id = line["id"]
            base = remaining[line_id]
            found = latest.get(line_id)
            if found is None:  # first looked at: nothing taken from it yet
                total, number = line["total"], line["quantity"]
                whole = int(total * scale)  # (``quantized_minor``, inline: exact; quantized)
                found = latest[line_id] = new(
                    BaseLine, (line_id, line_id, count_ints.get(number) or int(number), total,
                               total, whole, whole))
                if base is total:  # what is left of it, in minor units, known from now on
                    minor[line_id] = whole
                    append(found)
                    continue
            if base is not found.base:  # a promotion took from it since
                left = minor.get(line_id)  # (``remaining.minor_of``, without the call)
                found = latest[line_id] = new(
                    BaseLine, (line_id, line_id, found.quantity, base, found.original,
                               remaining.minor_of(line_id) if left is None else left,
                               found.original_minor))
            append(found)
        return out

    def selected_shipments(self, cp: CompiledPromotion) -> list[dict[str, Any]]:
        """The shipments (plain shipping: the one, with id "") ``cp``'s shipment_target
        selects; every one without a shipment_target.  Conditions see the original cart."""
        if cp.shipment_target is None:
            return self.facts.shipments
        found = self._matches.get(id(cp.shipment_target))
        if found is None:
            found = self._matches[id(cp.shipment_target)] = cp.shipment_target(self.facts)
        return found

    def _nothing_left(self, cp: CompiledPromotion, ce: CompiledEffect, remaining: Remaining,
                      shipping_left: Decimal | None, shipments_left: dict[str, Decimal]) -> bool:
        """Whether every line (or the shipping, or every shipment selected) the effect
        could take from is at zero."""
        if ce.shipping:
            if self.cart.shipments is not None:
                return all(not shipments_left[s["id"]] for s in self.selected_shipments(cp))
            return not shipping_left or not self.selected_shipments(cp)
        if isinstance(ce.effect, Gift):
            return False  # a gift line starts whole (its effect looks at no other line)
        for line in self._matching(ce.target):  # (a loop: no generator made per promotion)
            if remaining[line["id"]]:
                return False
        if ce.get_target is not None:
            for line in self._matching(ce.get_target):
                if remaining[line["id"]]:
                    return False
        return True

    def _gift_lines(self, effect: Gift, remaining: Remaining | None) -> list[BaseLine]:
        """The cart lines a gift discounts instead of adding its line: those with its
        sku, under ``when_in_cart: discount`` (none otherwise); ``remaining`` ``None``:
        on their original totals."""
        spec = effect.gift
        if spec.when_in_cart != "discount":
            return []
        lines = [line for line in self.facts.lines if line["sku"] == spec.sku]
        if not lines:
            return []
        return self._build_lines(lines, None if self.stacking.base == "original"
                                 else remaining)

    def _gift_id(self, promotion: str, sku: str) -> str:
        """``gift:<promotion>:<sku>``; should a cart line have that id, ``#2``, ``#3`` …
        after it (a result's line ids are unique)."""
        wanted = found = f"gift:{promotion}:{sku}"
        if any(line["id"].startswith(wanted) for line in self.facts.lines):
            taken = {line["id"] for line in self.facts.lines}
            number = 1
            while found in taken:
                number += 1
                found = f"{wanted}#{number}"
        return found

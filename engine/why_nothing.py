"""Why a promotion that passed its checks took nothing, or why a scheduled one is
closed: the sentences of a pass's rejections, written only when a result's reasons
are read (a checkout that only prices never pays for them).

A mixin of ``Evaluation`` (``engine/evaluate.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsl.effects import effect_kind

from . import reasons as r
from .effect_lines import LineViews, effect_input
from .effects import BaseLine, Parts, compute
from .rejections import Pending

if TYPE_CHECKING:
    import datetime as dt
    from decimal import Decimal

    from .program import CompiledEffect, CompiledPromotion
    from .stacking import PassState, Remaining


class NothingReasons(LineViews):
    """The reasons a pass writes when they are read."""

    __slots__ = ()

    if TYPE_CHECKING:  # (set by ``Evaluation.__init__``; ``at_text`` and ``_effect`` are
        # ``Evaluation``'s)
        instant: dt.datetime

        @property
        def at_text(self) -> str: ...

        def _effect(self, cp: CompiledPromotion, ce: CompiledEffect, remaining: Remaining,
                    shipping_left: Decimal | None, shipments_left: dict[str, Decimal],
                    ) -> tuple[Parts, list[BaseLine]]: ...

    def outside_schedule(self, cp: CompiledPromotion) -> str:
        """Why a scheduled promotion is closed now, and when it next opens."""
        assert cp.schedule is not None
        zone = self.program.ruleset.timezone
        opening = cp.schedule.next_opening(self.instant, cp.closes)
        written = f"open {cp.schedule.describe()} ({zone}); evaluated at {self.at_text}; "
        if opening is None:
            return written + f"it does not open again before its window ends {cp.window[1]}"
        local = opening.astimezone(self.program.zone).isoformat(timespec="seconds")
        return written + f"next opening {local} ({zone})"

    def nothing_left(self, cp: CompiledPromotion, single: CompiledEffect, coupon: str | None,
                     state: PassState) -> None:
        """Rejects ``cp``, whose one effect has nothing left to take from."""
        # Clamping will take every part to zero, whatever the effect computes.
        # What it computes (and so the reason) is worked out when read: the
        # lines and shipping it could take from stay at zero till then.  (The
        # closure keeps what it reads, not the pass: no reference cycle, so an
        # unread result is freed at once, not by the cyclic collector.)
        remaining, shipping_left = state.remaining, state.shipping_left
        shipments_left = state.shipments_left
        state.rejected[cp.id] = Pending(cp.id, coupon, lambda: self._nothing(
            cp, coupon, [(single, *self._effect(cp, single, remaining, shipping_left,
                                                shipments_left))]))

    def _nothing(self, cp: CompiledPromotion, coupon: str | None,
                 computed: list[tuple[CompiledEffect, Parts, list[BaseLine]]],
                 ) -> tuple[str, str]:
        """The reason of a promotion whose parts came to zero (an effect's own reason;
        with several, each effect's, named by its kind)."""
        code = self._nothing_code(coupon, [parts for _, parts, _ in computed])
        if len(computed) == 1:
            return code, self._why_nothing(cp, *computed[0])
        return code, "; ".join(f"{effect_kind(ce.effect)}: {self._why_nothing(cp, ce, parts, t)}"
                               for ce, parts, t in computed)

    @staticmethod
    def _nothing_code(coupon: str | None, parts: list[Parts]) -> str:
        """``conditions_not_met`` when every effect's own condition failed (no tier
        reached), else ``nothing_to_discount``."""
        if all(p.unmet for p in parts):
            return r.COUPON_INELIGIBLE if coupon else r.CONDITIONS_NOT_MET
        return r.NOTHING_TO_DISCOUNT

    def why_nothing(self, cp: CompiledPromotion, ce: CompiledEffect, targets: list[BaseLine],
                    get_targets: list[BaseLine]) -> str:
        """``_why_nothing`` of a line effect that took nothing from ``targets`` (lines
        as it saw them: what it computed is computed again, unchanged)."""
        program = self.program
        parts = compute(ce.effect, effect_input((targets, get_targets, None, program.minor_units,
                                                  program.rounding, None, "")))
        return self._why_nothing(cp, ce, parts, targets)

    def _why_nothing(self, cp: CompiledPromotion, ce: CompiledEffect, parts: Parts,
                     targets: list[BaseLine]) -> str:
        promo = cp.promotion
        if ce.shipping and promo.shipment_target is not None and \
                self.facts.shipments and not self.selected_shipments(cp):
            shown = self.program.explainer.written(promo.shipment_target, self.facts)
            return f"no shipment matches shipment_target: {shown}"
        target = ce.effect.target if ce.effect.target is not None else promo.target
        if parts.note and not parts.total:
            return parts.note
        if not ce.shipping and not targets and target:
            shown = self.program.explainer.written(target, self.facts)  # codes masked
            return f"no line matches target: {shown}"
        if not ce.shipping and not self.facts.lines:
            return "the cart has no lines"
        if targets and all(line.base == 0 for line in targets):
            return "the lines it targets are already discounted to zero"
        return "its effect takes nothing off the lines it targets"

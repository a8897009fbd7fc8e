"""The text form of a trace (``promo explain``): one tree per promotion.

    ✓ summer-swim-30  applied 26.94
      ✓ coupon    none needed
      ✓ window    2026-06-01T00:00:00+02:00 <= at < 2026-09-01T00:00:00+02:00
      ✓ target    item.category == "swimwear"  @41:13   l1 ✓  l2 ✓  l3 ✗ …
          item.category = l1 "swimwear", l2 "swimwear", l3 "shirts" …

✓ and ✗ mark what was true or false (``-`` a check the decision never
reached); a line ``name = value`` is a value a part read.  ``@line:col`` is
where the part is written in the ruleset file.
"""

from __future__ import annotations

from typing import Any

from ..condition_trace import ConditionTrace, LineValue, Part
from ..effect_trace import EffectTrace
from ..trace import PromotionTrace, Trace

YES, NO, SKIPPED = "✓", "✗", "-"


def _mark(passed: bool | None) -> str:
    return SKIPPED if passed is None else YES if passed else NO


def _value(value: Any, kind: str | None) -> str:
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v, None) for v in value) + "]"
    if isinstance(value, str) and kind in ("string", None):
        return f'"{value}"'
    return str(value)


def _per_line(values: tuple[LineValue, ...], tested: bool) -> str:
    if not values:
        return "(no lines)"
    if tested:
        return "  ".join(f"{v.line} {_mark(v.truth)}" for v in values)
    return ", ".join(f"{v.line} {_value(v.value, v.type)}" for v in values)


def render_trace(trace: Trace) -> str:
    """The trace as a tree a merchandiser reads."""
    out = [f"ruleset {trace.ruleset}, cart {trace.cart}, at {trace.at} ({trace.timezone})"]
    policy = trace.stacking
    out.append(f"stacking: coupons_per_order {policy['coupons_per_order']}, "
               f"coupon_with_automatic {str(policy['coupon_with_automatic']).lower()}, "
               f"base {policy['base']}"
               + (f", mode {policy['mode']}" if policy.get("mode", "priority") != "priority"
                  else "")
               + (f", max_discount {_spec(policy['max_discount'])}"
                  if policy["max_discount"] else "")
               + ("; passes: " + ", then ".join(trace.passes)
                  if list(trace.passes) != ["all"] else ""))
    for code in trace.entered:
        chose = {"chosen": f"chose {code.promotion}",
                 "coupon_unknown": "no promotion has it",
                 "coupon_redundant": f"a second code of {code.promotion}"}[code.outcome]
        out.append(f'code "{code.entered}" (normalised "{code.normalised}"): {chose}')
    out.append(f"subtotal {trace.subtotal}, discount {trace.total_discount}, "
               f"total {trace.total}")
    deal = trace.best_deal
    if deal is not None:
        out.append(f"best deal: {{{', '.join(deal['chosen'])}}} gives {deal['amount']} "
                   f"({deal['method']}: {deal['candidates']} candidates, {deal['sets']} sets "
                   "priced" + (f"; {deal['fallback']}" if deal["fallback"] else "") + ")")
    for promotion in trace.promotions:
        out.append("")
        out.extend(_promotion(promotion))
    return "\n".join(out) + "\n"


def _promotion(p: PromotionTrace) -> list[str]:
    if p.outcome == "applied":
        head = f"{YES} {p.id}  applied {p.amount}"
    else:
        head = f"{NO} {p.id}  rejected at {p.decided_by}: {p.code}: {p.reason}"
    out = [head + f"  (priority {p.priority}, {p.kind})"]
    if p.metadata:
        out.append("    metadata: " + ", ".join(f"{k}={v}" for k, v in p.metadata.items()))
    coupon = p.coupon
    if not coupon.needs_code:
        out.append(f"  {YES} coupon    none needed")
    elif coupon.entered is None:
        out.append(f"  {NO} coupon    none of its codes was entered")
    else:
        out.append(f'  {YES} coupon    "{coupon.entered}" entered, normalised '
                   f'"{coupon.normalised}"')
    w = p.window
    if w.starts is None and w.ends is None:
        out.append(f"  {YES} window    always active")
    else:
        bounds = (f"{w.starts} <= " if w.starts else "") + f"at {w.at}" + \
            (f" < {w.ends}" if w.ends else "")
        failed = {"starts": "  (not started yet)", "ends": "  (ended)"}.get(w.failed or "", "")
        out.append(f"  {_mark(w.failed not in ('starts', 'ends'))} window    {bounds}{failed}")
        out.append("                in UTC: " + (f"{w.starts_utc} <= " if w.starts_utc else "")
                   + f"{w.at_utc}" + (f" < {w.ends_utc}" if w.ends_utc else ""))
    if w.schedule is not None:
        closed = w.failed == "schedule"
        mark = NO if closed else YES if w.passed else " "
        out.append(f"  {mark} schedule  {w.schedule}; at {w.local} local"
                   + ("  (closed)" if closed else ""))
        if closed:
            out.append("                next opening: " + (w.next_opening or
                                                           "none before the window ends"))
    for condition in p.conditions:
        out.extend(_condition(condition))
    out.extend(_limits(p))
    if p.decided_by == "best_deal":
        out.append(f"  {NO} best deal not in the chosen set (the reason above compares them)")
    s = p.stacking
    rules = ", ".join(x for x in ("exclusive" if s.exclusive else "",
                                  f"group {s.group}" if s.group else "") if x)
    line = f"  {_mark(s.passed)} stacking  " + (rules or "no stacking rule of its own")
    if s.code:
        line += f": {s.code}: {s.reason}" + (
            f" (caused by {', '.join(s.caused_by)})" if s.caused_by else "")
    out.append(line)
    if p.effect is not None:
        out.extend(_effect(p, p.effect))
    elif p.effects:
        for e in p.effects:  # each "final": what it took after its own max_amount
            out.extend(_effect(p, e))
    else:
        out.append(f"  {SKIPPED} effect    not computed")
    return out


def _limits(p: PromotionTrace) -> list[str]:
    limits = p.limits
    declared = ", ".join(f"{k} {v}" for k, v in limits.declared.items())
    text = declared or "none declared"
    if not limits.store:
        text += " (no usage store consulted)" if declared else ""
    out = [f"  {_mark(limits.passed)} limits    {text}"]
    for query in limits.queries:
        if query.question == "refusal":
            answer = "no limit reached" if query.answer is None else \
                f"{query.answer}: {query.reason}"
        else:
            answer = "no budget" if query.answer is None else f"budget left {query.answer}"
        out.append(f"                store: {answer}")
    return out


def _condition(c: ConditionTrace) -> list[str]:
    root = c.root
    where = f"  @{root.span.line}:{root.span.col}"
    field = c.field.removeprefix("effect.")
    if c.per_line or c.per_shipment:
        chosen = [v.line for v in root.lines or () if v.truth]
        mark = YES if chosen else NO
        what = "shipments" if c.per_shipment else "lines"
        out = [f"  {mark} {field:<9} {c.source}{where}",
               f"                {what}: {_per_line(root.lines or (), True)}"]
    else:
        out = [f"  {_mark(root.truth)} {field:<9} {c.source}{where}"]
    out.extend(_tree(root, "      ")[1:])  # (the root is the line above)
    return out


def _tree(part: Part, pad: str) -> list[str]:
    """The part and the parts inside it, one per line (literals left out)."""
    out = [_part_line(part)]
    shown = [c for c in part.children if c.kind != "literal"]
    for k, child in enumerate(shown):
        last = k == len(shown) - 1
        lines = _tree(child, "")
        out.append(pad + ("└─ " if last else "├─ ") + lines[0])  # (pad: the root's own)
        out.extend(pad + ("   " if last else "│  ") + line for line in lines[1:])
    return out


def _part_line(part: Part) -> str:
    where = f"  @{part.span.line}:{part.span.col}"
    if part.tested:
        if part.lines is not None:
            return f"{part.text}{where}   {_per_line(part.lines, True)}"
        return f"{_mark(part.truth)} {part.text}{where}"
    if part.lines is not None:
        return f"{part.text} = {_per_line(part.lines, False)}"
    return f"{part.text} = {_value(part.value, part.type)}"


def _spec(spec: Any) -> str:
    if isinstance(spec, dict):
        return "{" + ", ".join(f"{k}: {_spec(v)}" for k, v in spec.items()) + "}"
    if isinstance(spec, list):
        return "[" + ", ".join(_spec(v) for v in spec) + "]"
    return "true" if spec is True else "false" if spec is False else str(spec)


def _effect(p: PromotionTrace, e: EffectTrace) -> list[str]:
    mark = YES if p.outcome == "applied" else NO if p.decided_by in (
        "effect", "caps", "max_discount") else SKIPPED
    spec = _spec(e.spec)[1:-1]
    out = [f"  {mark} effect    {spec}  (base {e.base}, rounding {e.rounding})"]
    pad = "                "
    if e.tier is not None:
        reached = f"reached the step at {e.tier['reached']}" if e.tier["reached"] \
            else "reached no step"
        out.append(f"{pad}tier: target {e.tier['by']} {e.tier['measure']} {reached} "
                   f"(steps at {', '.join(e.tier['steps'])})")
    if e.allocation:
        out.append(f"{pad}allocation: {e.allocation}")
    for line in e.lines:
        if not line.roles:
            out.append(f"{pad}{line.line}: not taken: {line.why_not}")
            continue
        parts = [f"{line.line} ({'+'.join(line.roles)}): base {line.base}"]
        if line.units is not None:
            parts.append(f"{line.units} of {line.quantity} unit"
                         f"{'s' if line.quantity != 1 else ''}")
        if line.exact is not None:
            parts.append(f"exact {line.exact} -> {line.computed}")
        elif line.computed is not None:
            parts.append(f"computed {line.computed}")
        if line.clamped is not None and line.clamped != line.computed:
            parts.append(f"clamped {line.clamped}")
        parts.append(f"final {line.final or '0'}")
        out.append(pad + ", ".join(parts))
    if e.shipping is not None:
        ship = e.shipping
        out.append(f"{pad}shipping: base {ship['base']}, computed {ship['computed']}"
                   + (f", clamped {ship['clamped']}" if ship["clamped"] != ship["computed"]
                      else "") + f", final {ship['final'] or '0'}")
    for ship in e.shipments or ():
        name = f"{pad}shipment {ship['shipment']}"
        if not ship["selected"]:
            out.append(f"{name}: not selected ({ship['why_not']})")
            continue
        out.append(f"{name}: base {ship['base']}, computed {ship['computed'] or '0'}"
                   + (f", clamped {ship['clamped'] or '0'}"
                      if ship["clamped"] != ship["computed"] else "")
                   + f", final {ship['final'] or '0'}")
    for cap in e.caps:
        out.append(f"{pad}cap {cap.source}: {cap.before} -> {cap.after}")
    if e.note:
        out.append(f"{pad}note: {e.note}")
    out.append(f"{pad}total: computed {e.computed}, final {e.final}")
    return out

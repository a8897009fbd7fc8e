"""Generated: no output of an evaluation shows a code of the ruleset that the cart did not
enter — neither a code of a coupon promotion nor a string a condition compares with
``cart.coupons`` (docs/semantics.md#reasons).

Each example is a ruleset with coupon promotions and automatic promotions whose
``when`` and ``target`` ask for codes in every form the language has (``contains``,
``in``, ``not in``, ``==`` with a list, inside ``and``, ``or``, ``not``, ``any`` and
``count``), and a cart that enters some of those codes as shoppers type them
(capitals, spaces, full-width letters) and maybe a code no promotion has.  The JSON
and the text of the result, read after NFKC and case-folding like the codes, hold
no code that was not entered.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from dsl import Ruleset, load_ruleset_text
from dsl.values import normalise_code
from engine import Result, evaluate, parse_cart
from engine.cli.render import render_text
from engine.explain import MASK

# Codes are "QZ-" and four characters that never hold Q or Z, so no code is part of
# another code, of an id, a sku or of any word the engine writes.
BODY = "ABCDEFGHJKLMNPRSTUVWXY23456789"
code = st.text(BODY, min_size=4, max_size=4).map(lambda body: f"QZ-{body}")

TEMPLATES = (
    'cart.coupons contains "{a}"',
    '"{a}" in cart.coupons',
    '"{a}" not in cart.coupons',
    'cart.coupons == ["{a}", "{b}"]',
    'cart.coupons != ["{a}"]',
    'not (cart.coupons contains "{a}")',
    'cart.subtotal >= 40 and "{a}" in cart.coupons',
    'cart.coupons contains "{a}" or cart.coupons contains "{b}"',
    'cart.subtotal >= 500 or not ("{a}" in cart.coupons and "{b}" in cart.coupons)',
    'any(item.category == "shoes" and cart.coupons contains "{a}")',
    'count(cart.coupons contains "{a}") >= 1',
    'customer.orders == 0 and cart.coupons == []',
)
TARGETS = (
    'cart.coupons contains "{a}" and item.category == "shoes"',
    'item.category == "socks" or "{a}" in cart.coupons',
)


@dataclass(frozen=True)
class Case:
    ruleset: Ruleset
    codes: tuple[str, ...]      # every code of the ruleset: of promotions and in conditions
    entered: tuple[str, ...]    # as typed into the cart


def _typed(written: str, style: int) -> str:
    """A code as a shopper types it."""
    if style == 1:
        return f"  {written.lower()} "
    if style == 2:  # full-width, as a Japanese keyboard gives it
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in written)
    return written


@st.composite
def cases(draw: st.DrawFn) -> Case:
    codes = draw(st.lists(code, min_size=4, max_size=9, unique=True))
    promotions: list[str] = []
    coupon_codes = codes[:draw(st.integers(1, 3))]
    for number, written in enumerate(coupon_codes):
        promotions += [f"  - id: coupon-{number}", f'    coupon: "{written}"',
                       f"    priority: {draw(st.integers(0, 3))}",
                       "    effect: { percent_off: 10 }"]
        if draw(st.booleans()):
            promotions.append("    when: cart.subtotal >= 1000")
    for number in range(draw(st.integers(1, 5))):
        a, b = draw(st.sampled_from(codes)), draw(st.sampled_from(codes))
        a, b = (x.lower() if draw(st.booleans()) else x for x in (a, b))
        promotions += [f"  - id: auto-{number}", f"    priority: {draw(st.integers(0, 3))}"]
        if draw(st.booleans()):
            promotions.append(f"    when: '{draw(st.sampled_from(TEMPLATES)).format(a=a, b=b)}'")
        if draw(st.booleans()):
            promotions.append(f"    target: '{draw(st.sampled_from(TARGETS)).format(a=a)}'")
        promotions.append(f"    effect: {{ percent_off: {draw(st.sampled_from((5, 10)))} }}")
    text = "\n".join([
        "ruleset: secret-codes", "dsl: 1", "currency: EUR", "timezone: Europe/Berlin",
        "stacking:", f"  coupons_per_order: {draw(st.integers(1, 2))}",
        f"  coupon_with_automatic: {draw(st.sampled_from(('true', 'false')))}",
        "  base: discounted", "  max_discount: { percent_of_subtotal: 50 }",
        "promotions:", *promotions]) + "\n"
    typed = draw(st.lists(st.tuples(st.sampled_from(codes), st.integers(0, 2)),
                          max_size=3, unique_by=lambda t: t[0]))
    entered = [_typed(written, style) for written, style in typed]
    if draw(st.booleans()):
        entered.append(draw(code.filter(lambda c: c not in codes)))  # no promotion has it
    return Case(load_ruleset_text(text), tuple(codes), tuple(entered))


def _cart(entered: tuple[str, ...], socks: bool) -> dict[str, object]:
    lines = [{"id": "l1", "sku": "SH-RUN-42", "category": "shoes", "unit_price": "89.90",
              "quantity": 1}]
    if socks:
        lines.append({"id": "l2", "sku": "SO-MER-07", "category": "socks",
                      "unit_price": "12.95", "quantity": 3})
    return {"id": "cart-1", "currency": "EUR", "at": "2026-07-15T14:30:00+02:00",
            "customer": {"id": "c-1", "orders": 2}, "coupons": list(entered),
            "shipping": {"method": "standard", "price": "4.95"}, "lines": lines}


def _read(text: str) -> str:
    """Output read the way codes match: NFKC and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _outputs(result: Result) -> str:
    return _read(result.to_json()) + "\n" + _read(render_text(result))


@settings(max_examples=100, deadline=None)
@given(cases(), st.booleans())
def test_no_output_shows_a_code_the_cart_did_not_enter(case: Case, socks: bool) -> None:
    result = evaluate(case.ruleset, parse_cart(_cart(case.entered, socks)))
    entered = {normalise_code(c) for c in case.entered}
    secret = [c for c in case.codes if normalise_code(c) not in entered]
    shown = _outputs(result)
    for written in secret:
        assert normalise_code(written) not in shown, (written, result.to_json())
    # the codes that were entered are the cart's own, and do show where they were used
    for applied in result.applied:
        if applied.coupon is not None:
            assert normalise_code(applied.coupon) in entered


@settings(max_examples=40, deadline=None)
@given(cases())
def test_the_generated_reasons_do_name_codes(case: Case) -> None:
    """The property above is not empty: where a false condition asks for a code the
    cart did not enter, its reason shows the mask in the code's place."""
    result = evaluate(case.ruleset, parse_cart(_cart(case.entered, False)))
    entered = {normalise_code(c) for c in case.entered}
    for promotion in case.ruleset.promotions:
        rejected = result.rejection(promotion.id)
        if rejected is None or rejected.code != "conditions_not_met" or promotion.when is None:
            continue
        if any(normalise_code(c) not in entered and c.lower() in promotion.when.source.lower()
               for c in case.codes) and "cart.coupons" in rejected.reason:
            assert f'"{MASK}"' in rejected.reason, (promotion.when.source, rejected.reason)

"""``Result.to_json`` writes the bytes of ``json.dumps(to_dict(), indent=2)``; the objects
made when first read (``PricedLines``, and the fast constructor ``assembled``) are the
objects the plain constructors make."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import pickle
from decimal import Decimal
from typing import Any

import pytest

import dsl
from benchmarks.reference import generate_workload
from engine import compile_ruleset, parse_cart
from engine.result import (
    Applied,
    Cap,
    PricedLine,
    PricedLines,
    Rejected,
    Result,
    moment_text,
)
from engine.result_json import assembled
from engine.result_shipping import LineDiscount, PricedShipping


def dumped(result: Result) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


def results() -> list[Result]:
    out = []
    for size, seed in ((10, 1), (60, 2), (200, 3)):
        workload = generate_workload(size, seed=seed, variety=True)
        program = compile_ruleset(dsl.load_ruleset_text(workload.text, name="r.yaml"))
        for lines in (0, 1, 4, 25):
            for k in range(4):
                out.append(program.evaluate(parse_cart(workload.cart(lines, seed=k))))
    return out


RESULTS = results()


def test_generated_results_are_written_as_json_dumps_writes_them() -> None:
    assert any(r.capped for r in RESULTS) and any(r.shipping for r in RESULTS)
    assert any(a.note for r in RESULTS for a in r.applied)
    for result in RESULTS:
        assert result.to_json() == dumped(result)


def test_the_lines_are_made_when_read_and_equal_what_the_constructor_makes() -> None:
    for result in RESULTS[:20]:
        lines = result.lines
        assert isinstance(lines, PricedLines)
        plain = tuple(PricedLine(line.id, line.sku, line.quantity, line.unit_price, line.total,
                                 tuple(LineDiscount(d.promotion, d.amount)
                                       for d in line.discounts))
                      for line in lines)
        assert lines == plain and plain == lines and hash(lines) == hash(plain)
        assert len(lines) == len(plain) and lines[:] == plain and repr(lines) == repr(plain)
        assert [line.to_dict() for line in lines] == [line.to_dict() for line in plain]
        assert dataclasses.replace(result, lines=plain) == result
        assert dataclasses.replace(result, lines=plain).to_json() == result.to_json()


def test_results_pickle_copy_and_convert_with_their_lines() -> None:
    for result in RESULTS[:12]:
        for other in (pickle.loads(pickle.dumps(result)), copy.deepcopy(result)):
            assert other == result and other.to_json() == result.to_json()
        assert dataclasses.asdict(result)["lines"] == result.lines


def test_the_time_of_a_result_is_written_when_first_read() -> None:
    """``at`` is the moment on the ruleset's clock to the second, written when read: a
    result not read yet pickles, copies, compares and converts as one read."""
    workload = generate_workload(10, seed=4)
    program = compile_ruleset(dsl.load_ruleset_text(workload.text, name="r.yaml"))
    cart = parse_cart(workload.cart(3, seed=1))
    assert cart.at is not None
    written = cart.at.astimezone(program.zone).isoformat()
    for read in (lambda r: r.at, lambda r: pickle.loads(pickle.dumps(r)).at,
                 lambda r: copy.deepcopy(r).at, lambda r: dataclasses.asdict(r)["at"],
                 lambda r: dataclasses.replace(r).at, lambda r: json.loads(r.to_json())["at"]):
        result = program.evaluate(cart)
        assert "at" not in vars(result)
        assert read(result) == result.at == written
    result = program.evaluate(cart)
    assert result == program.evaluate(cart) and repr(result) == repr(program.evaluate(cart))
    with pytest.raises(AttributeError, match="no attribute 'when'"):
        result.when  # type: ignore[attr-defined]  # noqa: B018
    assert dataclasses.replace(result, at="2026-01-01T00:00:00+01:00").at == \
        "2026-01-01T00:00:00+01:00" and result.at == written
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.at = written  # type: ignore[misc]
    # only ``at`` is read through its descriptor: the class has no ``__getattr__``
    # (it would make every attribute of a result slower to read)
    assert not hasattr(Result, "__getattr__")
    moment = dt.datetime(2026, 3, 29, 2, 30, 15, 250, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert moment_text(moment) == "2026-03-29T02:30:15+02:00"
    assert moment_text(moment.replace(microsecond=0)) == "2026-03-29T02:30:15+02:00"


@pytest.mark.parametrize(("cls", "fields"), [
    (LineDiscount, {"promotion": "p", "amount": Decimal("1.50")}),
    (PricedLine, {"id": "l", "sku": "S", "quantity": 2, "unit_price": Decimal("1.00"),
                  "total": Decimal("2.00"), "discounts": ()}),
    (PricedShipping, {"method": "m", "price": Decimal("4.90"), "discounts": ()}),
    (Applied, {"promotion": "p", "name": None, "coupon": "C", "amount": Decimal("1"),
               "items": Decimal("1"), "shipping": Decimal("0"), "note": "n"}),
    (Rejected, {"promotion": None, "coupon": "X", "code": "c", "reason": "r"}),
])
def test_assembled_is_the_constructor(cls: Any, fields: dict[str, Any]) -> None:
    fast, slow = assembled(cls, dict(fields)), cls(**fields)
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert dataclasses.asdict(fast) == dataclasses.asdict(slow)
    assert pickle.loads(pickle.dumps(fast)) == slow
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.x = 1  # type: ignore[attr-defined]


def test_a_hand_made_result_with_every_kind_of_text_is_written_as_json_dumps_writes_it() -> None:
    odd = 'quote " backslash \\ tab \t newline \n nul \x00 é ✓ 😀 \u2028 \x7f'
    discount = LineDiscount(odd, Decimal("1.25"))
    result = Result(
        ruleset=odd, cart="c", currency="EUR", at="2026-06-15T12:00:00+00:00",
        lines=(PricedLine(odd, odd, 3, Decimal("10.00"), Decimal("30.00"), (discount,)),
               PricedLine("b", "B", 1, Decimal("0.50"), Decimal("0.50"), ())),
        shipping=PricedShipping(odd, Decimal("4.90"), (discount, discount)),
        applied=(Applied(odd, None, None, Decimal("2.50"), Decimal("1.25"), Decimal("1.25")),
                 Applied("p", odd, odd, Decimal("1"), Decimal("1"), Decimal("0"), odd)),
        rejected=(Rejected(None, odd, odd, odd), Rejected("q", None, "c", "r")),
        capped=(Cap(odd, "max_discount", Decimal("3.00"), Decimal("2.50")),),
        customer="u", zero=Decimal("0.00"))
    assert result.to_json() == dumped(result)
    empty = Result("r", "c", "JPY", "2026-06-15T12:00:00+09:00", (), None, (), (),
                   zero=Decimal("0"))
    assert empty.to_json() == dumped(empty)

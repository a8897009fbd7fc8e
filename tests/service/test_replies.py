"""A checkout's reply is written without the json module's indenting encoder: the same
bytes as dumping its dict (every bundled ruleset's sample carts as the nested result,
JPY included; reservations of any text, guests, no uses)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import dsl
from engine import compile_ruleset, parse_cart
from engine.service.checkouts import reservation_dict, reservation_json
from engine.service.context import encoded, nested
from engine.usage import Reservation, Use

RULESETS = Path(__file__).resolve().parents[2] / "rulesets"
CARTS = sorted(RULESETS.glob("*/carts/*.yaml"))
HELD = Reservation("o-1 «ü»", "shop", "c-1", "reserved",
                   dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC),
                   (Use("launch", "LAUNCH", Decimal("5.00")), Use("auto", None, Decimal("0"))))


@pytest.mark.parametrize("cart_path", CARTS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_a_start_reply_nests_the_result_as_dumping_it_does(cart_path: Path) -> None:
    program = compile_ruleset(dsl.load_ruleset(cart_path.parent.parent / "ruleset.yaml"))
    result = program.evaluate(parse_cart(yaml.safe_load(cart_path.read_text(encoding="utf-8"))))
    written = reservation_json(HELD, [("ruleset_version", '"abc"'),
                                      ("result", nested(result.to_json()))])
    assert written == encoded({**reservation_dict(HELD), "ruleset_version": "abc",
                               "result": result.to_dict()})


def test_the_japan_carts_are_among_them() -> None:
    assert any(p.parent.parent.name == "japan" for p in CARTS)


texts = st.text(st.characters(codec="utf-8"), max_size=12)


@given(order_ref=texts, customer=st.one_of(st.none(), texts), state=texts,
       uses=st.lists(st.tuples(texts, st.one_of(st.none(), texts),
                               st.decimals(allow_nan=False, allow_infinity=False, places=2)),
                     max_size=3),
       seconds=st.integers(0, 10**8))
def test_a_reservation_reply_is_the_bytes_dumping_it_gives(
        order_ref: str, customer: str | None, state: str,
        uses: list[tuple[str, str | None, Decimal]], seconds: int) -> None:
    held = Reservation(order_ref, "shop\n\"x\"", customer, state,  # type: ignore[arg-type]
                       dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds),
                       tuple(Use(p, c, a) for p, c, a in uses))
    assert reservation_json(held) == encoded(reservation_dict(held))


def test_a_reply_the_store_kept_is_given_again_not_written_twice() -> None:
    from engine.service.idempotency import built_once

    calls: list[object] = []

    @built_once
    def respond(reservation: Reservation) -> tuple[int, bytes, str]:
        calls.append(reservation)
        return 200, reservation_json(reservation), "application/json"

    kept = respond(HELD)
    assert respond(HELD) is kept and calls == [HELD]  # inside the transaction, then the answer
    again = Reservation(*(getattr(HELD, name) for name in HELD.__dataclass_fields__))
    assert again == HELD and again is not HELD
    assert respond(again) == kept and calls == [HELD, again]  # a transaction run again: anew

"""``promo usage migrate``: a store moved between backends, exactly, and verified.

SQLite → PostgreSQL → SQLite gives the same status, events, counters (slots
included), reservations and idempotency records; a target that holds anything
is refused; the ids of new events follow the copied ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pgcluster import Server
from storekit import (
    NOW,
    make_cart,
    make_ruleset,
    ok,
    price,
    promo,
    ruleset_yaml,
    sql,
    usage_error,
)

from dsl import Ruleset
from engine import evaluate
from engine.usage import (
    IdempotentResponse,
    MigrationMismatch,
    MigrationRefused,
    StoreView,
    open_store,
)
from engine.usage import migrate as moving
from engine.usage.tally import SplitPolicy

FLASH_PROMOTIONS = """\
    - id: flash
      coupon: FLASH
      effect: { amount_off: "5.00" }
      limits: { uses: 20, per_coupon: 20 }
    - id: auto5
      effect: { percent_off: 5 }
      limits: { uses: 100, budget: "30.00" }
    - id: gift
      coupon_batch: GIFT
      coupon_pattern: "GIFT-########"
      effect: { amount_off: "1.00" }
      metadata: { funded_by: "seller:acme" }
    """
FLASH = make_ruleset(FLASH_PROMOTIONS)


def lived_in(location: str) -> None:
    """A store with every kind of row: each state, split counters, idempotency, relays."""
    with open_store(location, split=SplitPolicy(slots=4, promotions=frozenset({"flash"}))
                    ) as store:
        for n in range(6):
            store.reserve(f"o{n}", FLASH, price(FLASH, customer=f"c{n}", coupons=["FLASH"]),
                          now=NOW)
        store.confirm("o0", now=NOW)
        store.release("o1", now=NOW)
        store.claim_idempotency("k-done", "h", now=NOW)
        store.confirm("o2", now=NOW, idempotency=IdempotentResponse(
            "k-done", lambda r: (200, b'{"state": "confirmed"}\x00\xff', "application/json")))
        store.claim_idempotency("k-running", "h2", now=NOW)
        store.set_relay_cursor("kafka", 5)
        pattern = FLASH.promotions[2].batch_pattern
        assert pattern is not None
        store.generate_codes("GIFT", pattern, 4, now=NOW)
        gift: list[tuple[str, str]] = []
        store.export_codes("GIFT", gift.extend)
        store.expire(NOW.replace(hour=13))
        store.reserve("o6", FLASH, evaluate(FLASH, make_cart(customer="c6", coupons=[
            gift[0][0]]), usage=StoreView(store, FLASH)), now=NOW)  # a code held, metadata


def picture(location: str, rules: Ruleset) -> dict[str, Any]:
    """Everything a reader can see of a store, the same way on both backends."""
    with open_store(location, readonly=True) as store:
        return {
            "status": store.status(rules), "events": store.events(),
            "counters": store.counters(), "counts": store.reservation_counts(),
            "reservations": {ref: store.reservation(ref) for ref in
                             (f"o{n}" for n in range(6))},
            "relay": store.relay_cursor("kafka"), "drift": store.reconcile(),
            "gift": store.batch_status("GIFT"),
            "rows": moving.dump(store),  # idempotency records and relay cursors too
        }


def test_sqlite_to_postgresql_to_sqlite_is_exact(tmp_path: Path, pg_server: Server) -> None:
    first, url, last = str(tmp_path / "a.sqlite"), pg_server.new_schema(), str(
        tmp_path / "b.sqlite")
    lived_in(first)
    before = picture(first, FLASH)
    assert before["counts"] == {"reserved": 1, "confirmed": 2, "released": 1, "expired": 3}
    assert before["gift"] == {"unused": 3, "reserved": 1, "used": 0}
    assert any(e.get("metadata") == {"funded_by": "seller:acme"} for e in before["events"])

    there = moving.migrate(first, url)
    assert there.copied["batch_codes"] == 4
    assert there.copied["reservations"] == 7 and there.copied["events"] == len(before["events"])
    assert there.copied["counters"] > len(before["counters"])  # the split ones in 4 slots
    assert picture(url, FLASH) == before
    moving.migrate(url, last)
    assert picture(last, FLASH) == before

    for location in (url, last):  # each goes on where the other left off
        with open_store(location) as store:
            claim = store.claim_idempotency("k-done", "h", now=NOW)
            assert claim.body == b'{"state": "confirmed"}\x00\xff'
            store.reserve("o9", FLASH, price(FLASH, customer="c9", coupons=["FLASH"]), now=NOW)
            assert store.events()[-1]["id"] == before["events"][-1]["id"] + 4
            assert store.reconcile() == []


def test_a_target_that_holds_anything_is_refused(location: str, tmp_path: Path,
                                                 rules: Ruleset) -> None:
    source = str(tmp_path / "source.sqlite")
    lived_in(source)
    with open_store(location) as target:
        target.set_relay_cursor("someone", 1)
        was = moving.dump(target)
    with pytest.raises(MigrationRefused) as caught:
        moving.migrate(source, location)
    assert caught.value.code == "PR440" and "relay_cursors" in str(caught.value)
    with open_store(location) as target:
        assert moving.dump(target) == was


def test_a_store_is_not_copied_onto_itself(location: str) -> None:
    with pytest.raises(MigrationRefused):
        moving.migrate(location, location)


def test_a_copy_that_does_not_verify_is_reported(location: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    source = str(tmp_path / "source.sqlite")
    lived_in(source)
    real = moving.load

    def lossy(store: Any, rows: moving.Rows) -> None:
        real(store, {**rows, "events": rows["events"][:-1]})

    monkeypatch.setattr(moving, "load", lossy)
    with pytest.raises(MigrationMismatch) as caught:
        moving.migrate(source, location)
    assert caught.value.code == "PR441" and "events" in str(caught.value)


def test_drift_in_the_source_is_copied_and_said(location: str, tmp_path: Path) -> None:
    source = str(tmp_path / "source.sqlite")
    lived_in(source)
    with open_store(source) as store:
        sql(store, "UPDATE counters SET used = used + 1 WHERE scope = 'uses' AND "
                   "key = 'auto5'")
    done = moving.migrate(source, location)
    assert [(d.scope, d.key) for d in done.drift] == [("uses", "auto5")]


def test_migrate_from_the_shell(location: str, tmp_path: Path) -> None:
    source = str(tmp_path / "source.sqlite")
    lived_in(source)
    out = ok(promo("usage", "migrate", "--from", source, "--to", location)).stdout
    assert "7 reservations" in out and "4 batch codes" in out and "verified" in out
    again = promo("usage", "migrate", "--from", source, "--to", location)
    assert "not empty" in usage_error(again, "PR440")
    data = json.loads(ok(promo("usage", "migrate", "--from", location, "--to",
                               str(tmp_path / "back.sqlite"), "--format", "json")).stdout)
    assert data["verified"] is True and data["copied"]["reservations"] == 7
    missing = promo("usage", "migrate", "--from", str(tmp_path / "nope.sqlite"), "--to",
                    str(tmp_path / "other.sqlite"))
    usage_error(missing, "PR402")
    assert not (tmp_path / "other.sqlite").exists()


def test_status_from_the_shell_matches_after_the_move(tmp_path: Path,
                                                      pg_server: Server) -> None:
    rules = tmp_path / "flash.yaml"
    rules.write_text(ruleset_yaml(FLASH_PROMOTIONS), encoding="utf-8")
    source, url = str(tmp_path / "source.sqlite"), pg_server.new_schema()
    lived_in(source)
    ok(promo("usage", "migrate", "--from", source, "--to", url))
    for args in (["usage", "status", str(rules), "--at", "2026-03-01T12:00:00Z"],
                 ["usage", "events"]):
        assert ok(promo(*args, "--db", source)).stdout == ok(promo(*args, "--db", url)).stdout

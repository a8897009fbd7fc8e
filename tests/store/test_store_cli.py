"""``promo usage …`` and ``promo eval --db``: happy paths, and exit 2 with a rendered error."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from storekit import assert_events_valid, cart_data, ruleset_yaml, sql

from engine.cli import cli
from engine.usage import StoreMissing, open_store
from engine.usage.sqlite import SCHEMA_VERSION

AT = "2026-03-01T12:00:00+00:00"


@pytest.fixture
def files(tmp_path: Path, location: str) -> dict[str, str]:
    """A ruleset, a few carts and where the store goes (either backend), as arguments."""
    return make_files(tmp_path, location)


@pytest.fixture
def sqlite_files(tmp_path: Path) -> dict[str, str]:
    """``files`` with the store in a SQLite file: for the faults of files."""
    return make_files(tmp_path, str(tmp_path / "usage.sqlite"))


def make_files(tmp_path: Path, db: str) -> dict[str, str]:
    (tmp_path / "ruleset.yaml").write_text(ruleset_yaml(), encoding="utf-8")
    carts = {
        "alice": cart_data(customer="alice", coupons=["SAVE10"], cart_id="c-alice"),
        "bob": cart_data(customer="bob", coupons=["spring10"], cart_id="c-bob"),
        "carol": cart_data(customer="carol", cart_id="c-carol"),
        "guest": cart_data(customer="", coupons=["SAVE10"], cart_id="c-guest"),
    }
    out = {"ruleset": str(tmp_path / "ruleset.yaml"), "db": db, "dir": str(tmp_path)}
    for name, data in carts.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        out[name] = str(path)
    return out


def promo(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=True)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def usage_error(result: Result, code: str) -> str:
    """Exit 2, the error rendered on stderr with its code, no traceback."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert code in result.stderr, result.stderr
    assert "Traceback" not in result.output
    return result.stderr


def reserve(files: dict[str, str], cart: str, order: str, *extra: str) -> Result:
    return promo("usage", "reserve", files["ruleset"], files[cart], "--order", order,
                 "--db", files["db"], "--at", AT, *extra)


# ------------------------------------------------------------- happy paths


def test_the_lifecycle_from_the_shell(files: dict[str, str]) -> None:
    db = files["db"]
    out = ok(reserve(files, "alice", "o1")).stdout
    assert "total 85.00 (discount 15.00)" in out
    assert "o1: reserved (auto5, save10); hold until 2026-03-01T12:15:00+00:00" in out

    data = json.loads(ok(reserve(files, "bob", "o2", "--format", "json", "--ttl", "60"))
                      .stdout)
    assert data["state"] == "reserved"
    assert data["expires_at"] == "2026-03-01T12:01:00+00:00"
    assert {a["promotion"] for a in data["result"]["applied"]} == {"auto5", "save10"}

    # idempotent: the same order and cart again
    assert "o1: reserved" in ok(reserve(files, "alice", "o1")).stdout

    assert "o1: confirmed (auto5, save10)" in ok(promo("usage", "confirm", "o1", "--db", db)).stdout
    assert "o1: confirmed" in ok(promo("usage", "confirm", "o1", "--db", db)).stdout
    confirmed = json.loads(ok(promo("usage", "confirm", "o1", "--db", db, "--format",
                                    "json")).stdout)
    assert confirmed["state"] == "confirmed"
    assert confirmed["uses"] == [{"promotion": "auto5", "coupon": None},
                                 {"promotion": "save10", "coupon": "save10"}]

    ok(reserve(files, "carol", "o3"))
    assert "o3: released (auto5)" in ok(promo("usage", "release", "o3", "--db", db)).stdout
    assert "o3: released" in ok(promo("usage", "release", "o3", "--db", db)).stdout

    out = ok(promo("usage", "expire", "--db", db, "--now", "2026-03-01T12:00:30Z")).stdout
    assert out == "0 reservations expired\n0 idempotency records pruned\n"
    out = ok(promo("usage", "expire", "--db", db, "--now", "2026-03-01T12:01:00")).stdout
    assert out == "expired o2\n1 reservation expired\n0 idempotency records pruned\n"  # naive: UTC
    assert ok(promo("usage", "expire", "--db", db, "--now", "2026-03-02T00:00:00Z")).stdout \
        == "0 reservations expired\n0 idempotency records pruned\n"

    # o2's payment arrives after expiry: --ruleset re-takes the uses
    out = ok(promo("usage", "confirm", "o2", "--db", db, "--ruleset", files["ruleset"])).stdout
    assert "o2: confirmed" in out

    assert ok(promo("usage", "reconcile", "--db", db)).stdout == \
        "no drift: every counter matches the reservations\n"

    with open_store(db) as store:
        assert {r: store.reservation(r).state for r in ("o1", "o2", "o3")} == {
            "o1": "confirmed", "o2": "confirmed", "o3": "released"}
        assert store.reconcile() == []


def test_status(files: dict[str, str]) -> None:
    ok(reserve(files, "alice", "o1"))
    ok(reserve(files, "bob", "o2"))
    ok(promo("usage", "confirm", "o1", "--db", files["db"]))
    rows = json.loads(ok(promo("usage", "status", files["ruleset"], "--db", files["db"],
                               "--format", "json", "--at", AT)).stdout)
    by_key = {(r["promotion"], r["coupon"]): r for r in rows}
    assert by_key["save10", None] | {"active": True} == {
        "promotion": "save10", "coupon": None, "limit": 3, "reserved": 1, "confirmed": 1,
        "remaining": 1, "budget": "1000.00", "budget_left": "980.00", "active": True}
    assert by_key["save10", "spring10"]["reserved"] == 1
    assert by_key["auto5", None]["budget_left"] == "20.00"

    text = ok(promo("usage", "status", files["ruleset"], "--db", files["db"])).stdout
    header, _, *lines = text.splitlines()
    assert header.split() == ["promotion", "coupon", "active", "limit", "reserved",
                              "confirmed", "remaining", "budget", "left"]
    assert lines[0].split() == ["auto5", "yes", "100", "1", "1", "98", "20.00", "of", "30.00"]


def test_events_are_json_lines_that_validate(files: dict[str, str]) -> None:
    ok(reserve(files, "alice", "o1"))
    ok(promo("usage", "confirm", "o1", "--db", files["db"]))
    ok(reserve(files, "carol", "o2"))
    ok(promo("usage", "release", "o2", "--db", files["db"]))
    lines = ok(promo("usage", "events", "--db", files["db"])).stdout.splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["event"] for e in events] == [
        "promotion_reserved", "promotion_reserved", "coupon_reserved", "coupon_applied",
        "promotion_consumed", "promotion_consumed", "coupon_consumed",
        "promotion_reserved", "promotion_released"]
    assert_events_valid(events)
    page = ok(promo("usage", "events", "--db", files["db"], "--since", "4", "--limit",
                    "2")).stdout.splitlines()
    assert [json.loads(line)["id"] for line in page] == [5, 6]
    assert ok(promo("usage", "events", "--db", files["db"], "--since", "9")).stdout == ""


def test_reconcile_reports_then_repairs_drift(files: dict[str, str]) -> None:
    ok(reserve(files, "alice", "o1"))
    with open_store(files["db"]) as store:
        sql(store, "UPDATE counters SET used = 7 WHERE scope = 'per_coupon'")

    report = promo("usage", "reconcile", "--db", files["db"])
    assert report.exit_code == 1
    assert "per_coupon" in report.stdout and "save10/save10" in report.stdout
    assert "1 counter drifted (run with --fix to repair)" in report.stdout

    data = json.loads(promo("usage", "reconcile", "--db", files["db"], "--format",
                            "json").stdout)
    assert data == {"drift": [{"scope": "per_coupon", "key": "save10/save10", "actual": 7,
                               "expected": 1}], "fixed": False}

    fixed = ok(promo("usage", "reconcile", "--db", files["db"], "--fix"))
    assert "1 counter repaired" in fixed.stdout
    assert ok(promo("usage", "reconcile", "--db", files["db"])).stdout.startswith("no drift")


def test_the_db_option_reads_the_environment(files: dict[str, str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMO_USAGE_DB", files["db"])
    ok(promo("usage", "reserve", files["ruleset"], files["carol"], "--order", "o1"))
    assert "o1: confirmed" in ok(promo("usage", "confirm", "o1")).stdout
    with open_store(files["db"]) as store:
        assert store.reservation("o1").state == "confirmed"


def test_reserve_prices_against_the_limits(files: dict[str, str]) -> None:
    """A guest cannot use save10 (per-customer limit): the checkout prices it out."""
    data = json.loads(ok(reserve(files, "guest", "o1", "--format", "json")).stdout)
    assert [a["promotion"] for a in data["result"]["applied"]] == ["auto5"]
    rejected = {r["promotion"]: r["code"] for r in data["result"]["rejected"]}
    assert rejected["save10"] == "limit_reached"


# ---------------------------------------------------------- eval --db


def test_eval_with_db_reports_limit_reached_and_budget_exhausted(
        files: dict[str, str], tmp_path: Path) -> None:
    for n, code in enumerate(["SAVE10", "SPRING10", "SAVE10"]):  # save10 has 3 uses
        path = tmp_path / f"cart{n}.json"
        path.write_text(json.dumps(cart_data(customer=f"c{n}", coupons=[code])))
        ok(promo("usage", "reserve", files["ruleset"], str(path), "--order", f"o{n}",
                 "--db", files["db"], "--at", AT))

    result = json.loads(ok(promo("eval", files["ruleset"], files["alice"], "--db", files["db"],
                                 "--format", "json")).stdout)
    assert [a["promotion"] for a in result["applied"]] == ["auto5"]
    assert {r["promotion"]: r["code"] for r in result["rejected"]}["save10"] == "limit_reached"
    text = ok(promo("eval", files["ruleset"], files["alice"], "--db", files["db"])).stdout
    assert "limit_reached" in text and "uses limit of 3 reached" in text

    # 3 × 5.00 of auto5's 30.00 are held; three more spend the rest
    for n in range(3, 6):
        path = tmp_path / f"cart{n}.json"
        path.write_text(json.dumps(cart_data(customer=f"c{n}")))
        ok(promo("usage", "reserve", files["ruleset"], str(path), "--order", f"o{n}",
                 "--db", files["db"], "--at", AT))
    result = json.loads(ok(promo("eval", files["ruleset"], files["carol"], "--db",
                                 files["db"], "--format", "json")).stdout)
    assert result["applied"] == []
    assert {r["promotion"]: r["code"] for r in result["rejected"]}["auto5"] == \
        "budget_exhausted"
    with open_store(files["db"]) as store:
        assert store.counter("uses", "save10") == 3 and store.reconcile() == []


def test_eval_with_db_caps_to_the_budget_left(files: dict[str, str], tmp_path: Path) -> None:
    for n in range(5):  # 25.00 of auto5's 30.00
        path = tmp_path / f"cart{n}.json"
        path.write_text(json.dumps(cart_data(customer=f"c{n}")))
        ok(promo("usage", "reserve", files["ruleset"], str(path), "--order", f"o{n}",
                 "--db", files["db"], "--at", AT))
    expensive = tmp_path / "expensive.json"
    expensive.write_text(json.dumps(cart_data(customer="dan", price="300.00")))
    result = json.loads(ok(promo("eval", files["ruleset"], str(expensive), "--db",
                                 files["db"], "--format", "json")).stdout)
    assert result["applied"][0]["amount"] == "5.00"  # 15.00 capped to the 5.00 left
    assert result["capped"] == [{"promotion": "auto5", "cap": "budget", "before": "15.00",
                                 "after": "5.00"}]


def test_eval_with_db_never_writes(sqlite_files: dict[str, str]) -> None:
    files = sqlite_files
    ok(reserve(files, "alice", "o1"))
    with open_store(files["db"]) as store:  # checkpoint so the main file holds everything
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = {p: Path(p).read_bytes() for p in (files["db"],)}
    ok(promo("eval", files["ruleset"], files["alice"], "--db", files["db"]))
    assert {p: Path(p).read_bytes() for p in before} == before


def test_eval_with_a_missing_db_is_an_error(files: dict[str, str]) -> None:
    usage_error(promo("eval", files["ruleset"], files["alice"], "--db", files["db"]), "PR402")
    with pytest.raises(StoreMissing):  # and none was made
        open_store(files["db"], create=False)
    assert not os.path.exists(files["db"])


# ------------------------------------------------------------- errors


def test_errors_of_the_lifecycle(files: dict[str, str]) -> None:
    db = files["db"]
    ok(reserve(files, "alice", "o1"))
    stderr = usage_error(reserve(files, "carol", "o1"), "PR411")
    assert "o1" in stderr
    usage_error(promo("usage", "confirm", "nope", "--db", db), "PR413")
    usage_error(promo("usage", "release", "nope", "--db", db), "PR413")
    ok(promo("usage", "confirm", "o1", "--db", db))
    usage_error(promo("usage", "release", "o1", "--db", db), "PR412")
    ok(reserve(files, "carol", "o2", "--ttl", "1"))
    ok(promo("usage", "expire", "--db", db, "--now", "2026-03-01T13:00:00Z"))
    stderr = usage_error(promo("usage", "confirm", "o2", "--db", db), "PR412")
    assert "expired" in stderr
    usage_error(promo("usage", "expire", "--db", db, "--now", "yesterday"), "PR501")
    ok(reserve(files, "bob", "o3"))
    ok(promo("usage", "release", "o3", "--db", db))
    assert "new order reference" in usage_error(reserve(files, "bob", "o3"), "PR412")


def bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(os.urandom(4096))
    newer = tmp_path / "newer.sqlite"
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    directory = tmp_path / "a-directory"
    directory.mkdir()
    return {"garbage": (garbage, "PR401"), "newer": (newer, "PR404"),
            "directory": (directory, "")}


@pytest.mark.parametrize("kind", ["garbage", "newer", "directory"])
@pytest.mark.parametrize("command", ["reserve", "confirm", "release", "expire", "reconcile",
                                     "status", "events", "eval"])
def test_bad_store_files_exit_2_without_a_traceback(sqlite_files: dict[str, str],
                                                    tmp_path: Path, command: str,
                                                    kind: str) -> None:
    files = sqlite_files
    path, code = bad_files(tmp_path)[kind]
    before = path.read_bytes() if path.is_file() else None
    args = {
        "reserve": ["usage", "reserve", files["ruleset"], files["alice"], "--order", "o1"],
        "confirm": ["usage", "confirm", "o1"],
        "release": ["usage", "release", "o1"],
        "expire": ["usage", "expire"],
        "reconcile": ["usage", "reconcile", "--fix"],
        "status": ["usage", "status", files["ruleset"]],
        "events": ["usage", "events"],
        "eval": ["eval", files["ruleset"], files["alice"]],
    }[command]
    result = promo(*args, "--db", str(path))
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert code in result.stderr
    if before is not None:
        assert path.read_bytes() == before


def test_a_corrupt_store_exits_2_for_reads_too(sqlite_files: dict[str, str]) -> None:
    files = sqlite_files
    ok(reserve(files, "alice", "o1"))
    conn = sqlite3.connect(files["db"])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    roots = [r[0] for r in conn.execute("SELECT rootpage FROM sqlite_master WHERE name IN "
                                        "('uses', 'events', 'counters')")]
    conn.close()
    with open(files["db"], "r+b") as handle:
        for root in roots:
            handle.seek((root - 1) * page_size)
            handle.write(b"\xa5" * page_size)
    for args in (["usage", "status", files["ruleset"]], ["usage", "events"],
                 ["usage", "confirm", "o1"], ["usage", "reconcile"],
                 ["eval", files["ruleset"], files["alice"]]):
        usage_error(promo(*args, "--db", files["db"]), "PR401")


@pytest.mark.parametrize("which", ["ruleset", "cart"])
def test_bad_ruleset_or_cart_files(files: dict[str, str], tmp_path: Path, which: str) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("ruleset: [unclosed\n", encoding="utf-8")
    ruleset = str(broken) if which == "ruleset" else files["ruleset"]
    cart = str(broken) if which == "cart" else files["alice"]
    result = promo("usage", "reserve", ruleset, cart, "--order", "o1", "--db", files["db"])
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Traceback" not in result.output and "PR" in result.stderr
    missing = promo("usage", "reserve", ruleset, str(tmp_path / "missing.yaml"), "--order",
                    "o1", "--db", files["db"])
    assert missing.exit_code == 2 and "Traceback" not in missing.output
    with pytest.raises(StoreMissing):  # nothing was reserved, so no store was made
        open_store(files["db"], create=False)

"""Only starting a checkout creates a usage store.

Every other command on a path with no store is an error naming it (exit 2,
``PR402``) and creates nothing.  Regression: ``status``, ``events``,
``expire`` and ``reconcile`` with a mistyped ``--db`` created an empty store and
reported zeros.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from storekit import (
    NOW,
    cart_data,
    listing,
    ok,
    price,
    promo,
    ruleset_yaml,
    usage_error,
    write_json,
)

from dsl import Ruleset
from engine.usage import (
    SQLiteStore,
    StoreFileError,
    StoreLocationError,
    StoreMissing,
    open_store,
)

AT = "2026-03-01T12:00:00+00:00"


@pytest.fixture
def shell(tmp_path: Path) -> dict[str, str]:
    """The ruleset and the cart live apart from the directory the store would go in."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "ruleset.yaml").write_text(ruleset_yaml(), encoding="utf-8")
    (tmp_path / "stores").mkdir()
    return {"ruleset": str(inputs / "ruleset.yaml"),
            "cart": write_json(inputs / "alice.json",
                               cart_data(customer="alice", coupons=["SAVE10"])),
            "stores": str(tmp_path / "stores")}


def commands(shell: dict[str, str]) -> dict[str, list[str]]:
    """Every command that needs a store to be there (without --db)."""
    return {
        "confirm": ["usage", "confirm", "o1"],
        "confirm --ruleset": ["usage", "confirm", "o1", "--ruleset", shell["ruleset"]],
        "release": ["usage", "release", "o2"],
        "expire": ["usage", "expire"],
        "reconcile": ["usage", "reconcile"],
        "reconcile --fix": ["usage", "reconcile", "--fix"],
        "status": ["usage", "status", shell["ruleset"]],
        "events": ["usage", "events"],
        "eval": ["eval", shell["ruleset"], shell["cart"]],
    }


COMMANDS = ["confirm", "confirm --ruleset", "release", "expire", "reconcile",
            "reconcile --fix", "status", "events", "eval"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_mistyped_db_is_an_error_and_creates_nothing(shell: dict[str, str],
                                                       command: str) -> None:
    typo = str(Path(shell["stores"]) / "usgae.sqlite")
    result = promo(*commands(shell)[command], "--db", typo)
    stderr = usage_error(result, "PR402")
    assert typo in stderr and "no usage store" in stderr
    assert result.stdout == ""  # no zeros reported
    assert listing(Path(shell["stores"])) == {}


@pytest.mark.parametrize("command", COMMANDS)
def test_the_default_db_or_the_environment_names_the_path_too(
        shell: dict[str, str], command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(shell["stores"])
    args = commands(shell)[command]
    if command != "eval":  # eval reads a store only with --db
        assert "promo-usage.sqlite" in usage_error(promo(*args), "PR402")
    typo = str(Path(shell["stores"]) / "from-env.sqlite")
    usage_error(promo(*args, env={"PROMO_USAGE_DB": typo}) if command != "eval"
                else promo(*args, "--db", typo), "PR402")
    assert listing(Path(shell["stores"])) == {}


@pytest.mark.parametrize("command", COMMANDS)
def test_an_empty_file_is_no_store_and_stays_empty(shell: dict[str, str],
                                                   command: str) -> None:
    empty = Path(shell["stores"]) / "usage.sqlite"
    empty.write_bytes(b"")
    stderr = usage_error(promo(*commands(shell)[command], "--db", str(empty)), "PR402")
    assert str(empty) in stderr and "empty file" in stderr
    assert listing(Path(shell["stores"])) == {"usage.sqlite": b""}


def _another_database(path: Path, table: str) -> Path:
    """A SQLite database of another application: one table of its own."""
    conn = sqlite3.connect(path)
    conn.execute(f"CREATE TABLE {table} (x)")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("command", COMMANDS)
def test_a_sqlite_file_that_holds_no_store_is_left_alone(shell: dict[str, str],
                                                         command: str) -> None:
    other = _another_database(Path(shell["stores"]) / "other.sqlite", "notes")
    before = listing(Path(shell["stores"]))
    stderr = usage_error(promo(*commands(shell)[command], "--db", str(other)), "PR401")
    assert "not a usage store" in stderr
    assert listing(Path(shell["stores"])) == before


def test_reserve_creates_the_store_and_then_every_command_works(shell: dict[str, str]) -> None:
    db = str(Path(shell["stores"]) / "usage.sqlite")
    for order in ("o1", "o2"):
        ok(promo("usage", "reserve", shell["ruleset"], shell["cart"], "--order", order,
                 "--db", db, "--at", AT))
    for args in commands(shell).values():
        ok(promo(*args, "--db", db))
    with SQLiteStore(db) as store:
        assert store.reservation("o1").state == "confirmed"
        assert store.reservation("o2").state == "released"


def test_reserve_turns_an_empty_file_into_a_store(shell: dict[str, str]) -> None:
    empty = Path(shell["stores"]) / "usage.sqlite"
    empty.write_bytes(b"")
    ok(promo("usage", "reserve", shell["ruleset"], shell["cart"], "--order", "o1", "--db",
             str(empty), "--at", AT))
    rows = json.loads(ok(promo("usage", "status", shell["ruleset"], "--db", str(empty),
                               "--at", AT, "--format", "json")).stdout)
    assert {(r["promotion"], r["coupon"]): r["reserved"] for r in rows}[("save10", None)] == 1


def test_reserve_in_a_directory_that_does_not_exist(shell: dict[str, str]) -> None:
    db = Path(shell["stores"]) / "nowhere" / "usage.sqlite"
    stderr = usage_error(promo("usage", "reserve", shell["ruleset"], shell["cart"], "--order",
                               "o1", "--db", str(db), "--at", AT), "PR402")
    assert str(db.parent) in stderr and "does not exist" in stderr
    assert listing(Path(shell["stores"])) == {}


# ------------------------------------------------------------------ Python API


def test_open_store_without_create(tmp_path: Path, rules: Ruleset) -> None:
    path = tmp_path / "usage.sqlite"
    for readonly in (False, True):
        with pytest.raises(StoreMissing) as caught:
            open_store(path, readonly=readonly, create=False)
        assert caught.value.code == "PR402" and str(path) in str(caught.value)
        assert isinstance(caught.value, StoreFileError)
    assert listing(tmp_path) == {}
    with open_store(path) as store:  # creating is the default of the API
        store.reserve("o1", rules, price(rules, customer="alice"), now=NOW)
    with open_store(path, create=False) as store:
        assert store.reservation("o1").state == "reserved"


@pytest.mark.parametrize("command", ["reserve", "generate"])
def test_a_command_that_creates_a_store_leaves_another_database_alone(
        shell: dict[str, str], command: str) -> None:
    # Regression: reserve and coupons generate wrote the store's tables into it.
    other = _another_database(Path(shell["stores"]) / "crm.sqlite", "customers")
    before = listing(Path(shell["stores"]))
    marketplace = Path(__file__).parents[2] / "rulesets" / "marketplace" / "ruleset.yaml"
    args = ["usage", "reserve", shell["ruleset"], shell["cart"], "--order", "o1", "--at", AT] \
        if command == "reserve" else ["coupons", "generate", str(marketplace), "spring-vip-15",
                                      "--count", "1"]
    stderr = usage_error(promo(*args, "--db", str(other)), "PR401")
    assert f"{other}: not a usage store" in stderr
    assert listing(Path(shell["stores"])) == before


@pytest.mark.parametrize("location", [":memory:", ""])
def test_a_database_that_vanishes_at_exit_is_no_store_location(shell: dict[str, str],
                                                               location: str) -> None:
    # Regression: reserve answered "reserved" and coupons generate "3 codes generated"
    # into SQLite's in-memory database, gone when the command ended.
    stderr = usage_error(promo("usage", "reserve", shell["ruleset"], shell["cart"], "--order",
                               "o1", "--db", location), "PR420")
    assert "a store must outlive the command" in stderr
    with pytest.raises(StoreLocationError):
        open_store(location)


def test_a_store_being_created_by_another_process_is_not_another_database(
        tmp_path: Path) -> None:
    # Its version and its tables are read apart: the version can be read (0) before the
    # other process commits and the tables after.  Only what a store does not make
    # marks another application's database.
    from engine.usage.sqlite import SQLiteStore

    path = tmp_path / "usage.sqlite"
    SQLiteStore(path).close()
    store = SQLiteStore(path)
    try:
        assert not store._foreign()
        store.conn.execute("CREATE TABLE notes (x)")
        assert store._foreign()
    finally:
        store.close()

"""Moving a store between backends: every row copied exactly, then verified.

``migrate(source, target)`` reads the source in one snapshot (read-only), and
writes everything — reservations, uses, counters (their slots as they are),
outbox events with their ids, idempotency records, relay cursors, the codes
of coupon batches — into the target in one transaction: all of it, or nothing.  A target that holds
anything is refused (``MigrationRefused``).  Times travel as instants (ISO
text in SQLite, ``timestamptz`` in PostgreSQL), response bodies as bytes.

Then it verifies: the target must show what the source shows — the same
reservations by state, counters, events and drift (``reconcile`` of the target
equals the source's; none, for a sound source) — or ``MigrationMismatch``.
The target keeps what was copied, for a look.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from dsl.records import record

from .backend import open_store
from .sqlstore import SQLStore
from .sqltypes import Tx
from .store import Drift, MigrationMismatch, MigrationRefused

COLUMNS: dict[str, tuple[str, ...]] = {
    "reservations": ("order_ref", "ruleset", "currency", "minor_units", "customer", "state",
                     "fingerprint", "created_at", "expires_at", "settled_at"),
    "uses": ("order_ref", "promotion", "coupon", "customer", "amount_minor", "metadata"),
    "counters": ("scope", "key", "slot", "slots", "used", "share", "lim"),
    "events": ("id", "type", "version", "occurred_at", "order_ref", "payload"),
    "idempotency": ("key", "request_hash", "state", "status", "body", "content_type",
                    "lease_until", "expires_at", "created_at", "finished_at"),
    "relay_cursors": ("name", "event_id"),
    "batch_codes": ("code", "batch", "state", "order_ref", "created_at"),
}
"""Every table of the store, in the order a copy writes them (a use after its reservation)."""
ORDER = {"reservations": "order_ref", "uses": "order_ref, promotion",
         "counters": "scope, key, slot", "events": "id", "idempotency": "key",
         "relay_cursors": "name", "batch_codes": "code"}
TIMES = {"created_at", "expires_at", "settled_at", "occurred_at", "lease_until", "finished_at"}
BYTES = {"body"}

Rows = dict[str, list[tuple[Any, ...]]]


@record
class Migration:
    """What ``migrate`` copied (rows per table), and the drift both stores show."""

    source: str
    target: str
    copied: dict[str, int]
    drift: list[Drift] = field(default_factory=list)


def dump(store: SQLStore) -> Rows:
    """Every row of the store, in one snapshot; times as aware datetimes, bodies as bytes."""

    def work(tx: Tx) -> Rows:
        out: Rows = {}
        for table, columns in COLUMNS.items():
            rows = tx.execute(f"SELECT {', '.join(columns)} FROM {table} "
                              f"ORDER BY {ORDER[table]}").fetchall()
            out[table] = [tuple(_out(store, column, value)
                                for column, value in zip(columns, row, strict=True))
                          for row in rows]
        return out

    return store._atomic(work, write=False, snapshot=True)


def _out(store: SQLStore, column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in TIMES:
        return store._moment(value)
    if column in BYTES:
        return bytes(value)
    return value


def load(store: SQLStore, rows: Rows) -> None:
    """Write ``rows`` into an empty store, in one transaction."""

    def work(tx: Tx) -> None:
        held = {table: int(tx.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                for table in COLUMNS}
        if any(held.values()):
            listed = ", ".join(f"{n} {table}" for table, n in held.items() if n)
            raise MigrationRefused(f"{store_name(store)}: the target store is not empty "
                                   f"({listed}); migrate copies into an empty store only")
        for table, columns in COLUMNS.items():
            if not rows[table]:
                continue
            marks = ", ".join("?" * len(columns))
            tx.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                           [tuple(store._time(value) if column in TIMES and value is not None
                                  else value for column, value in zip(columns, row,
                                                                       strict=True))
                            for row in rows[table]])
        store._after_copy(tx)

    store._atomic(work)


def store_name(store: SQLStore) -> str:
    return str(getattr(store, "where", None) or getattr(store, "path", "the store"))


def migrate(source: str, target: str) -> Migration:
    """Copy the store at ``source`` into the empty store at ``target``; verify the copy."""
    if source == target:
        raise MigrationRefused(f"{source}: the source and the target are the same store")
    with open_store(source, readonly=True, create=False) as origin:
        rows = dump(origin)
        with open_store(target) as copy:
            load(copy, rows)
            drift = _verify(origin, copy, rows)
            name = store_name(copy)
        return Migration(store_name(origin), name,
                         {table: len(found) for table, found in rows.items()}, drift)


def _verify(origin: SQLStore, copy: SQLStore, rows: Rows) -> list[Drift]:
    """The target shows what the source shows; the drift both show (none, if sound)."""
    drift = copy.reconcile()
    checks = {
        "reservations by state": (origin.reservation_counts(), copy.reservation_counts()),
        "counters": (origin.counters(), copy.counters()),
        "events": (origin.events(), copy.events()),
        "drift": (origin.reconcile(), drift),
        "rows": (rows, dump(copy)),
    }
    differ = [what for what, (want, got) in checks.items() if want != got]
    if differ:
        raise MigrationMismatch(f"{store_name(copy)}: the copy differs from the source in "
                                f"{', '.join(differ)}; the target keeps what was copied")
    return drift

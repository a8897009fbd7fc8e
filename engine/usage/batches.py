"""Coupon batches in the usage store: single-use codes, generated, held, used.

One row per code in ``batch_codes`` (schema 4): the code (normalised: trimmed,
case-folded, as ``uses.coupon`` holds it), its batch, its state and the order
holding or using it.  A code moves

    unused → reserved   (a checkout's reserve, in its transaction, all or nothing)
    reserved → used     (payment captured: confirm)
    reserved → unused   (released or expired: the code is free again)

each a conditional ``UPDATE … WHERE state = …`` whose row count is checked, so
of two checkouts racing for one code exactly one holds it, on either backend.

The codes are kept as they are, not hashed: ``promo coupons export`` must print
them (a keyed hash would keep them secret at rest, but then nobody could hand
them out again after generation).  The store is therefore as secret as the
codes: docs/semantics.md#coupon-batches says so.

Codes come from ``secrets``: a number below the pattern's ``space`` drawn with
``secrets.randbelow`` and written in the pattern's alphabet (``CodePattern.fill``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from dsl.codes import BAD_COUPON_PATTERN
from dsl.couponbatch import CodePattern
from dsl.model import Promotion
from dsl.records import record

from .sqltypes import Tx
from .store import LimitReached, StoreError
from .tally import Held

BATCH_STATES = ("unused", "reserved", "used")
CHUNK = 20_000
"""Codes written per transaction while generating: a checkout waits at most for one chunk."""


class BatchTooSmall(StoreError):
    """A batch's pattern cannot hold the codes asked for and stay unguessable."""

    code = BAD_COUPON_PATTERN


@record
class BatchCode:
    """What the store knows of one entered code (never another code)."""

    batch: str
    state: str
    order_ref: str | None


def lookup(tx: Tx, code: str) -> BatchCode | None:
    row = tx.execute("SELECT batch, state, order_ref FROM batch_codes WHERE code = ?",
                     (code,)).fetchone()
    return None if row is None else BatchCode(row[0], row[1], row[2])


def count(tx: Tx, batch: str) -> dict[str, int]:
    """Codes of ``batch`` by state, every state listed."""
    counts = dict.fromkeys(BATCH_STATES, 0)
    counts.update({state: int(n) for state, n in tx.execute(
        "SELECT state, COUNT(*) FROM batch_codes WHERE batch = ? GROUP BY state",
        (batch,)).fetchall()})
    return counts


def draw(pattern: CodePattern, n: int) -> list[str]:
    """``n`` codes of ``pattern`` (normalised), each from ``secrets``; not yet unique."""
    space = pattern.space
    return pattern.fill([secrets.randbelow(space) for _ in range(n)])


def insert(tx: Tx, batch: str, codes: Iterable[str], created_at: Any) -> None:
    """Write new unused codes; a code already in the store (of any batch) is skipped."""
    tx.executemany("INSERT INTO batch_codes (code, batch, state, order_ref, created_at) "
                   "VALUES (?, ?, 'unused', NULL, ?) ON CONFLICT (code) DO NOTHING",
                   [(code, batch, created_at) for code in codes])


def refused_count(pattern: CodePattern, held: int, wanted: int) -> BatchTooSmall | None:
    problem = pattern.too_many(held + wanted)
    if problem is None:
        return None
    return BatchTooSmall(f"cannot generate {wanted:,} more codes: the batch holds {held:,}; "
                         + problem)


def claim(tx: Tx, order_ref: str, uses: Iterable[Held],
          promotions: dict[str, Promotion]) -> None:
    """Hold the code of every batch use for ``order_ref``; the first code that is not an
    unused code of its batch raises ``LimitReached`` (the transaction rolls back whole)."""
    for promotion_id, coupon, _ in uses:
        promotion = promotions.get(promotion_id)
        if promotion is None or promotion.coupon_batch is None or coupon is None:
            continue
        taken = tx.execute("UPDATE batch_codes SET state = 'reserved', order_ref = ? "
                           "WHERE code = ? AND batch = ? AND state = 'unused'",
                           (order_ref, coupon, promotion.coupon_batch)).rowcount
        if taken != 1:
            raise LimitReached(f"{promotion_id}: the code entered is not an unused code of "
                               f"the batch {promotion.coupon_batch}; nothing was reserved",
                               promotion_id, "coupon_batch")


def settle(tx: Tx, order_ref: str, used: bool) -> None:
    """The codes ``order_ref`` holds become used (confirmed) or unused again (released)."""
    if used:
        tx.execute("UPDATE batch_codes SET state = 'used' WHERE order_ref = ? "
                   "AND state = 'reserved'", (order_ref,))
    else:
        tx.execute("UPDATE batch_codes SET state = 'unused', order_ref = NULL "
                   "WHERE order_ref = ? AND state = 'reserved'", (order_ref,))


HOLDERS_SQL = """
    SELECT b.code, b.batch, b.state, b.order_ref, h.order_ref, h.state
    FROM batch_codes b
    LEFT JOIN (SELECT u.coupon, u.order_ref, r.state FROM uses u
               JOIN reservations r ON r.order_ref = u.order_ref
               WHERE r.state IN ('reserved', 'confirmed')) h ON h.coupon = b.code
    ORDER BY b.code, h.order_ref
    """
"""Every code beside each live order (reserved or confirmed) that uses it, if any."""

Holder = tuple[str, str | None]  # the state a code must be in, and the order holding it


def _holder(live: list[tuple[str, str]]) -> Holder:
    """Reserved while the order using it is reserved, used once that order is confirmed,
    unused (held by nobody) when no live order uses it."""
    for ref, state in sorted(live, key=lambda held: held[1] != "confirmed"):
        return ("used" if state == "confirmed" else "reserved"), ref
    return "unused", None


def drift(tx: Tx, fix: bool) -> list[tuple[str, str, int, int]]:
    """``(batch, scope, found, from the orders)`` wherever they differ: per state, how many
    codes are in it against how many the live orders put there, and ``misplaced``, how many
    codes are not in their holder's state or name another order (0 expected; it also
    catches two codes swapped, which leave the counts equal).  With ``fix``, every code
    takes its holder's state and order.  Counts, never codes: they are secrets."""
    codes: dict[str, tuple[str, str, str | None, list[tuple[str, str]]]] = {}
    rows = tx.execute(HOLDERS_SQL).fetchall()
    for code, batch, state, order_ref, holder_ref, holder_state in rows:
        entry = codes.setdefault(code, (batch, state, order_ref, []))
        if holder_ref is not None:
            entry[3].append((holder_ref, holder_state))
    found: dict[tuple[str, str], int] = {}
    expected: dict[tuple[str, str], int] = {}
    wrong: list[tuple[str, str | None, str, str]] = []
    for code, (batch, state, order_ref, live) in codes.items():
        want, holder = _holder(live)
        found[batch, state] = found.get((batch, state), 0) + 1
        expected[batch, want] = expected.get((batch, want), 0) + 1
        if (state, order_ref) != (want, holder):
            wrong.append((want, holder, code, state))
            found[batch, "misplaced"] = found.get((batch, "misplaced"), 0) + 1
    if fix:  # only a code still as read: a transition since then left it consistent
        tx.executemany("UPDATE batch_codes SET state = ?, order_ref = ? "
                       "WHERE code = ? AND state = ?", wrong)
    return [(batch, scope, found.get((batch, scope), 0), expected.get((batch, scope), 0))
            for batch, scope in sorted(found.keys() | expected.keys())
            if found.get((batch, scope), 0) != expected.get((batch, scope), 0)]


def export(tx: Tx, batch: str, state: str | None,
           write: Callable[[list[tuple[str, str]]], None]) -> int:
    """Hand the codes of ``batch`` (of one ``state``, or all) to ``write`` in chunks, in
    code order; returns how many."""
    sql = "SELECT code, state FROM batch_codes WHERE batch = ?"
    params: list[Any] = [batch]
    if state is not None:
        sql += " AND state = ?"
        params.append(state)
    cursor = tx.execute(sql + " ORDER BY code", params)
    written = 0
    while rows := cursor.fetchmany(CHUNK):
        write([(code, found) for code, found in rows])
        written += len(rows)
    return written


def generated_at(moment: dt.datetime | None) -> dt.datetime:
    return moment or dt.datetime.now(dt.UTC)

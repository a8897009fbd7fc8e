"""The counter rows: taking uses against the limits, giving them back, reading them.

A counter ``(scope, key)`` is kept in one row (``slot`` 0, ``slots`` 1), or —
for a hot promotion — split into ``slots`` rows that each hold a *share* of
the limit (the escrow counter): a take goes to one slot drawn at random, so
concurrent checkouts of one coupon lock different rows instead of queueing
on one.  The counter's value is the sum of its slots.

A take is one conditional statement whose row count is checked, so the check
and the increment are one step no other transaction can come between:

* one row:  ``used + n <= limit`` (an upsert: the first use makes the row);
* in slots: ``used + n <= share``, in the drawn slot, whose ``lim`` must be
  the limit the shares were cut from.

When it finds nothing — a limit reached, a new counter, a slot whose share is
spent, a limit changed since the shares were cut, a counter to split or to
join — the *reshape* decides under a lock on every row of the counter
(slot 0 first, so two reshapes queue): it sums the slots, refuses if the
limit cannot take ``n`` more, and otherwise cuts what is left of the limit
into fresh shares, taking ``n`` in the drawn slot.  The shares always add up
to the limit and no slot holds more than its share, so the sum never passes
the limit; and a take is refused only when the sum itself would (the split
is exact).  A give-back lowers one slot that holds enough, or, under the
lock, as many as it takes.

``lock`` is the backend's row lock clause (``FOR UPDATE``; empty on SQLite,
whose write lock covers the whole file).  Where rows are locked, a transaction
whose take in a slot finds nothing does not reshape at once: at READ COMMITTED
an ``UPDATE`` that waited for a row and then found it no longer qualifies
still holds the row's lock, and a reshape that began holding slot ``k`` and
then waited for slot 0 could deadlock with one holding slot 0 and waiting for
``k``.  It raises ``Reshape`` instead: the backend rolls the transaction back
and runs it again, reshaping that counter first, before it holds any of its
slots — so every reshape takes the rows of a counter in slot order only.  (A
give-back that finds too little in its slot rolls back to a savepoint instead,
which lets the row go: give-backs are rarer than takes, and do not pay the
savepoint otherwise.)
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

from dsl.model import Promotion
from dsl.records import record

from ..money import to_minor
from .counters import BUDGET, counted, counter_key, limited
from .sqltypes import Tx
from .store import CustomerRequired, LimitReached, StoreError

Held = tuple[str, str | None, int]
"""One use as the rows keep it: promotion, normalised code, amount in minor units."""

SPLIT_SLOTS = 16
SPLIT_FROM = 1_000
"""A promotion whose ``uses`` or ``per_coupon`` limit allows at least this many uses is split."""
SPLIT_SCOPES = ("uses", "per_coupon", BUDGET)
"""The promotion-wide counters, which every checkout of the promotion touches."""
_draw = random.randrange  # (the module's generator: seeded again in a forked worker)


@record
class SplitPolicy:
    """Which counters are kept in slots.

    A promotion's promotion-wide counters (``uses``, ``per_coupon``, ``budget``;
    never ``per_customer``, which one customer's checkouts touch) are split
    into ``slots`` rows when the promotion is named in ``promotions``, or when
    its ``uses`` or ``per_coupon`` limit is at least ``from_limit`` (``None``:
    never by size).  A counter can be split or joined again at any time: the
    next take reshapes it."""

    slots: int = SPLIT_SLOTS
    from_limit: int | None = SPLIT_FROM
    promotions: frozenset[str] = frozenset()

    def slots_of(self, promotion: Promotion, scope: str) -> int:
        if scope not in SPLIT_SCOPES or self.slots < 2:
            return 1
        if promotion.id in self.promotions:
            return self.slots
        limits = promotion.limits
        if self.from_limit is None or limits is None:
            return 1
        big = any(value is not None and value >= self.from_limit
                  for value in (limits.uses, limits.per_coupon))
        return self.slots if big else 1


UNSPLIT = SplitPolicy(from_limit=None)
"""Every counter in one row."""


class Reshape(Exception):  # noqa: N818 - a signal to the backend, not an error
    """Run the transaction again, cutting ``counter``'s shares before taking from it."""

    def __init__(self, counter: tuple[str, str]) -> None:
        super().__init__(f"reshape {counter}")
        self.counter = counter


def take(tx: Tx, lock: str, policy: SplitPolicy, uses: Iterable[Held],
         promotions: dict[str, Promotion], customer: str, units: int,
         first: set[tuple[str, str]]) -> None:
    """Raise every counter ``uses`` touch, in promotion order; the first refusal raises.

    ``first``: the counters to reshape before taking (kept by the caller across
    the runs of one transition; see ``Reshape``)."""
    for promotion_id, coupon, amount in uses:
        promotion = promotions.get(promotion_id)
        if promotion is None:
            raise StoreError(f"promotion {promotion_id} is not in the ruleset")
        limits = promotion.limits
        if limits and limits.per_customer is not None and not customer:
            raise CustomerRequired(f"{promotion_id} has a per-customer limit, and the "
                                   "cart has no customer id")
        budget = limits.budget if limits else None
        wanted = [(scope, key, 1, limit) for scope, key, limit in
                  limited(promotion, customer, coupon)]
        wanted.append((BUDGET, counter_key(promotion_id), amount,
                       None if budget is None else int(to_minor(budget, units))))
        for scope, key, n, limit in wanted:
            slots = policy.slots_of(promotion, scope)
            slot = _draw(slots)
            held = lock and slots > 1  # a failed take may hold the drawn slot
            if held and (scope, key) in first:
                taken = _reshape(tx, lock, scope, key, n, limit, slots, slot)
            elif _fast_take(tx, scope, key, n, limit, slots, slot):
                taken = True
            elif held:
                first.add((scope, key))
                raise Reshape((scope, key))
            else:
                taken = _reshape(tx, lock, scope, key, n, limit, slots, slot)
            if not taken:
                what = BUDGET if scope == BUDGET else f"{scope} limit ({limit})"
                raise LimitReached(f"{promotion_id}: {what} reached; nothing was reserved",
                                   promotion_id, scope)


def _guarded(tx: Tx, savepoint: bool, statement: Callable[..., bool], *args: Any) -> bool:
    """``statement(*args)``; under a savepoint rolled back if it found nothing (give-backs)."""
    if not savepoint:
        return statement(*args)
    tx.execute("SAVEPOINT slot")
    done = statement(*args)
    if not done:
        tx.execute("ROLLBACK TO SAVEPOINT slot")
    return done


def _fast_take(tx: Tx, scope: str, key: str, n: int, limit: int | None, slots: int,
               slot: int) -> bool:
    if slots == 1 and limit is None:
        sql = ("INSERT INTO counters (scope, key, slot, slots, used) VALUES (?, ?, 0, 1, ?) "
               "ON CONFLICT (scope, key, slot) DO UPDATE SET used = counters.used + "
               "excluded.used WHERE counters.slots = 1")
        return tx.execute(sql, (scope, key, n)).rowcount == 1
    if slots == 1:
        sql = ("INSERT INTO counters (scope, key, slot, slots, used) SELECT ?, ?, 0, 1, ? "
               "WHERE CAST(? AS BIGINT) <= ? ON CONFLICT (scope, key, slot) DO UPDATE SET "
               "used = counters.used + excluded.used WHERE counters.slots = 1 "
               "AND counters.used + excluded.used <= ?")
        return tx.execute(sql, (scope, key, n, n, limit, limit)).rowcount == 1
    if limit is None:
        sql = ("UPDATE counters SET used = used + ? WHERE scope = ? AND key = ? AND slot = ? "
               "AND slots = ? AND lim IS NULL")
        return tx.execute(sql, (n, scope, key, slot, slots)).rowcount == 1
    sql = ("UPDATE counters SET used = used + ? WHERE scope = ? AND key = ? AND slot = ? "
           "AND slots = ? AND lim = ? AND used + ? <= share")
    return tx.execute(sql, (n, scope, key, slot, slots, limit, n)).rowcount == 1


def _locked(tx: Tx, lock: str, scope: str, key: str) -> list[tuple[int, int]]:
    """Every slot ``(slot, used)`` of a counter, locked (slot 0 first); made if missing."""
    tx.execute("INSERT INTO counters (scope, key, slot, slots, used) VALUES (?, ?, 0, 1, 0) "
               "ON CONFLICT (scope, key, slot) DO NOTHING", (scope, key))
    tx.execute("SELECT used FROM counters WHERE scope = ? AND key = ? AND slot = 0" + lock,
               (scope, key)).fetchall()
    # a new statement: with slot 0 held, no reshape adds or drops slots meanwhile
    return [(int(s), int(u)) for s, u in tx.execute(
        "SELECT slot, used FROM counters WHERE scope = ? AND key = ? ORDER BY slot" + lock,
        (scope, key)).fetchall()]


def _reshape(tx: Tx, lock: str, scope: str, key: str, n: int, limit: int | None,
             slots: int, slot: int) -> bool:
    """Take ``n`` under the counter's lock, cutting it into ``slots`` fresh shares."""
    rows = _locked(tx, lock, scope, key)
    total = sum(used for _, used in rows)
    if limit is not None and total + n > limit:
        return False
    if [s for s, _ in rows] == list(range(slots)):
        used = [u for _, u in rows]
    else:  # joined, split or cut anew: everything used so far goes to slot 0
        used = [total] + [0] * (slots - 1)
    used[slot] += n
    spare = None if limit is None else limit - total - n
    tx.execute("DELETE FROM counters WHERE scope = ? AND key = ? AND slot >= ?",
               (scope, key, slots))
    tx.executemany(
        "INSERT INTO counters (scope, key, slot, slots, used, share, lim) VALUES "
        "(?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, key, slot) DO UPDATE SET "
        "slots = excluded.slots, used = excluded.used, share = excluded.share, "
        "lim = excluded.lim",
        [(scope, key, i, slots, used[i],
          None if spare is None or slots == 1 else used[i] + spare // slots +
          (1 if i < spare % slots else 0),
          None if slots == 1 else limit) for i in range(slots)])
    return True


def give_back(tx: Tx, lock: str, held: Iterable[tuple[str, Iterable[Held]]]) -> None:
    """Lower every counter the uses of ``held`` — ``(customer, uses)`` per reservation —
    raised, each counter once, in the order takes lock them (by promotion, then
    ``uses``, ``per_customer``, ``per_coupon``, budget): a give-back of many
    reservations (``expire``) and a reserve never wait for each other in a circle."""
    rank = {scope: n for n, scope in enumerate(("uses", "per_customer", "per_coupon", BUDGET))}
    lower: dict[tuple[str, int, str, str], int] = {}
    for customer, uses in held:
        for promotion, coupon, amount in uses:
            for scope, key in [*counted(promotion, customer, coupon),
                               (BUDGET, counter_key(promotion))]:
                n = amount if scope == BUDGET else 1
                order = (promotion, rank[scope], scope, key)
                lower[order] = lower.get(order, 0) + n
    for (_, _, scope, key), n in sorted(lower.items()):
        if n:
            _lower(tx, lock, scope, key, n)


def _lower(tx: Tx, lock: str, scope: str, key: str, n: int) -> None:
    if _guarded(tx, bool(lock), _lower_one, tx, scope, key, n):
        return
    # the drawn slot holds less than n: take it from as many slots as it needs
    left = n
    for slot, used in _locked(tx, lock, scope, key):
        part = min(max(used, 0), left)
        if part:
            tx.execute("UPDATE counters SET used = used - ? WHERE scope = ? AND key = ? "
                       "AND slot = ?", (part, scope, key, slot))
            left -= part
        if left == 0:
            return
    # more than the counter holds (it drifted): below zero, which reconcile shows
    tx.execute("UPDATE counters SET used = used - ? WHERE scope = ? AND key = ? AND slot = 0",
               (left, scope, key))


def _lower_one(tx: Tx, scope: str, key: str, n: int) -> bool:
    """Lower the drawn slot by ``n``, if it holds that much (one row: slot 0)."""
    return tx.execute("UPDATE counters SET used = used - ? WHERE scope = ? AND key = ? "
                      "AND slot = ? % slots AND used >= ?",
                      (n, scope, key, _draw(1 << 30), n)).rowcount == 1


def value(tx: Tx, scope: str, key: str) -> int:
    row = tx.execute("SELECT SUM(used) FROM counters WHERE scope = ? AND key = ?",
                     (scope, key)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def values(tx: Tx) -> dict[tuple[str, str], int]:
    """Every counter: the sum of its slots."""
    return {(scope, key): int(used) for scope, key, used in
            tx.execute("SELECT scope, key, SUM(used) FROM counters GROUP BY scope, key")
            .fetchall()}


def put(tx: Tx, scope: str, key: str, used: int) -> None:
    """Set a counter (reconcile's repair), in one row: the next take splits it again."""
    tx.execute("DELETE FROM counters WHERE scope = ? AND key = ? AND slot > 0", (scope, key))
    tx.execute("INSERT INTO counters (scope, key, slot, slots, used) VALUES (?, ?, 0, 1, ?) "
               "ON CONFLICT (scope, key, slot) DO UPDATE SET used = excluded.used, "
               "slots = 1, share = NULL, lim = NULL", (scope, key, used))

"""The usage store as the service reaches it: each request's store work is one unit.

A request's store calls (the idempotency key's claim, the limits read while
pricing, the transition and its stored reply) run as one ``unit``.  A store
call may wait on a lock (another worker's or process's transaction), and a
PostgreSQL call waits on the network: such work runs on the store's own
thread, off the event loop, and the loop keeps serving.  SQLite work that
would not wait runs on the loop's own thread at once (it gives up, having done
nothing, when the file's write lock or the connection is taken, and the work
then goes to the store's thread): no hand-off between threads, and no second
thread contending for the interpreter lock at every SQLite call.

On the loop, the units that write are committed in groups (group commit,
``SQLiteStore.open_group``): the first opens a transaction, the units of the
other requests at hand join it, each as a savepoint (undone alone when it
raises), and the loop's next callback commits them all.  One commit writes
the pages they share once, instead of once per request, and no request is
answered before the commit that holds its change.  A request served alone
(``alone``: the server holds no other request) is not held for the loop's next
turn: nobody could join its group, and its unit commits at once.  Reads run on
a connection of their own: it sees the last commit (WAL), never a group's
changes before they are committed, and a read is held by no group.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable
from typing import TypeVar

from dsl.codes import STORE_UNAVAILABLE

from ..usage import SQLiteStore, UsageStore, open_store
from ..usage.backend import URL
from ..usage.store import WouldWait
from .problems import Problem

T = TypeVar("T")
log = logging.getLogger("promorules.service")


class StoreGate:
    """Runs a request's work with the store as one unit: on the loop's thread when it
    need not wait (SQLite), otherwise on the store's own thread."""

    def __init__(self, location: str | None, *, on_loop: bool = True,
                 alone: Callable[[], bool] = lambda: False) -> None:
        self.location = location
        self.on_loop = on_loop
        # whether the request asking is the only one in flight: its unit is then committed
        # at once, not at the loop's next turn (nobody could join its group)
        self.alone = alone
        self._store: UsageStore | None = None
        # reads on the loop (SQLite): a connection of their own sees the last commit, never
        # the changes of an open group, and waits for nobody (WAL)
        self._reader: SQLiteStore | None = None
        # the open group's units (``_grouped``), each waiting for its commit
        self._group: list[asyncio.Future[None]] | None = None
        self._thread = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="promo-store")

    @property
    def configured(self) -> bool:
        return self.location is not None

    def open_soon(self) -> None:
        """Open a SQLite store on its thread now, before the first request, without waiting
        for it.  The first requests would otherwise open it, all on the store's thread: a
        burst of them keeps that thread busy, and each request after finds the connection
        in use and follows them there, until the burst has drained.  A store that cannot
        open now is left to the requests, which say why (``/readyz`` too).  A PostgreSQL
        store opens with the first request, as before: its work runs on the store's thread
        anyway, and a server that does not answer would hold the thread (and a shutdown
        waiting for it) until the connection times out."""
        if self.location is None or not self.on_loop or URL.match(self.location):
            return

        def open_or_log() -> None:
            try:
                self._open()
            except Exception as err:  # (a request opening it later reports the error)
                log.warning("the usage store did not open at start: %s", err)

        self._thread.submit(open_or_log)

    def _open(self) -> UsageStore:
        if self._store is None:
            if self.location is None:
                raise Problem(STORE_UNAVAILABLE, "this service runs without a usage store "
                              "(start it with --db)")
            store = open_store(self.location)
            if isinstance(store, SQLiteStore) and self.on_loop:
                # (before the store is seen from the loop, which then reads with this one)
                self._reader = SQLiteStore(store.path, create=False)
            self._store = store
        return self._store

    async def run(self, work: Callable[[UsageStore], T], *, write: bool = True) -> T:
        """``work(store)`` as one unit (``write=False``: it only reads); its result or its
        exception, once what it wrote is committed."""
        store = self._store
        if self.on_loop and isinstance(store, SQLiteStore):
            try:
                if not write:
                    assert self._reader is not None
                    return self._reader.unit(work, write=False, wait=False)
                if self._group is not None or not self.alone():
                    return await self._grouped(store, work)
                return store.unit(work, wait=False)
            except WouldWait:
                pass  # a lock is taken: wait for it on the store's thread
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._thread, lambda: self._open().unit(work, write=write))

    async def _grouped(self, store: SQLiteStore, work: Callable[[UsageStore], T]) -> T:
        """``work`` in the group of units open on the loop (``SQLiteStore.open_group``),
        opening one if none is: the group commits once the requests at hand have run
        their units (``_commit``, the loop's next callback), and each is answered after
        it, even one whose unit raised (its error may speak of the others' changes).
        ``WouldWait`` when no group can open, nothing done."""
        loop = asyncio.get_running_loop()
        if self._group is None:
            store.open_group()
            self._group = []
            loop.call_soon(self._commit, store)
        committed = loop.create_future()  # (one each: a request cancelled cancels its own)
        self._group.append(committed)
        try:
            result = store.in_group(work)
        except Exception as err:
            failure: Exception | None = err
        else:
            failure = None
        await committed  # raises the commit's error: then nothing of the group was written
        if failure is not None:
            raise failure
        return result

    def _commit(self, store: SQLiteStore) -> None:
        if self._group is None:  # (committed already, by ``close``)
            return
        waiting, self._group = self._group, None
        try:
            store.close_group()
        except Exception as err:
            for committed in waiting:
                if not committed.done():
                    committed.set_exception(err)
                    committed.exception()  # (read here too: its request may be gone)
        else:
            for committed in waiting:
                if not committed.done():
                    committed.set_result(None)

    def close(self) -> None:
        if self._group is not None and isinstance(self._store, SQLiteStore):
            self._commit(self._store)  # (its requests wait for it: they are answered)

        def shut() -> None:
            for store in (self._store, self._reader):
                if store is not None:
                    store.close()
            self._store = self._reader = None
        self._thread.submit(shut).result()
        self._thread.shutdown(wait=True)

"""The usage store as the service reaches it: one thread owns it, requests queue for it.

A store connection belongs to the thread that opened it (SQLite's rule) and a
store call may wait on a lock (another worker's transaction): so every call
runs on this one thread, off the event loop, and the loop keeps serving.
Work that reads the store while pricing (a dry run seeing the limits, a
checkout) runs there whole.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import TypeVar

from dsl.codes import STORE_UNAVAILABLE

from ..usage import UsageStore, open_store
from .problems import Problem

T = TypeVar("T")


class StoreGate:
    """Runs calls with the store on the store's own thread."""

    def __init__(self, location: str | None) -> None:
        self.location = location
        self._store: UsageStore | None = None
        self._thread = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="promo-store")

    @property
    def configured(self) -> bool:
        return self.location is not None

    def _open(self) -> UsageStore:
        if self._store is None:
            if self.location is None:
                raise Problem(STORE_UNAVAILABLE, "this service runs without a usage store "
                              "(start it with --db)")
            self._store = open_store(self.location)
        return self._store

    async def run(self, work: Callable[[UsageStore], T]) -> T:
        """``work(store)`` on the store's thread; its result or its exception."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, lambda: work(self._open()))

    def close(self) -> None:
        def shut() -> None:
            if self._store is not None:
                self._store.close()
                self._store = None
        self._thread.submit(shut).result()
        self._thread.shutdown(wait=True)

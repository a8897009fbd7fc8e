"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any


def times(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Seconds of ``repeat`` calls of ``fn``, each after a full garbage collection."""
    out = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out

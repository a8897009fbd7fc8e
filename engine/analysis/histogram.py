"""A histogram of amounts in minor units whose size stays bounded: bins widen as needed."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_BINS = 2000


@dataclass
class Histogram:
    """Counts of amounts by bin ``[k·width, (k+1)·width)``; ``width`` grows tenfold
    whenever more than ``MAX_BINS`` bins are in use."""

    width: int = 1
    counts: dict[int, int] = field(default_factory=dict)  # bin index → count
    largest: int = 0

    def add(self, amount: int) -> None:
        k = amount // self.width
        self.counts[k] = self.counts.get(k, 0) + 1
        self.largest = max(self.largest, amount)
        if len(self.counts) > MAX_BINS:
            self.widen(10)

    def widen(self, factor: int) -> None:
        merged: dict[int, int] = {}
        for k, n in self.counts.items():
            merged[k // factor] = merged.get(k // factor, 0) + n
        self.width *= factor
        self.counts = merged

    def bins(self, most: int) -> list[tuple[int, int, int]]:
        """At most ``most`` bins ``(low, high, count)`` from 0 to the largest amount."""
        top = self.largest // self.width + 1
        factor = max(1, -(-top // most))
        grouped: dict[int, int] = {}
        for k, n in self.counts.items():
            grouped[k // factor] = grouped.get(k // factor, 0) + n
        width = self.width * factor
        return [(i * width, (i + 1) * width, grouped.get(i, 0))
                for i in range(-(-top // factor))]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

"""Prometheus metrics: requests by route and status, latency, reservations, ruleset versions.

With several workers (``--workers N``) each process writes its request counts
to ``PROMETHEUS_MULTIPROC_DIR`` (set by ``promo serve`` before the workers
start) and ``/metrics`` sums them, whichever worker answers.  The reservation
counts and ruleset versions are read when scraped: from the shared store, and
from the answering worker's catalog (all workers watch the same files).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"

_REGISTRY = None if os.environ.get(MULTIPROCESS) else CollectorRegistry()
"""Without workers, the process's own registry; with them, the shared directory."""

REQUESTS = Counter("promo_http_requests", "HTTP requests answered, by route, method and "
                   "status.", ["route", "method", "status"], registry=_REGISTRY)
LATENCY = Histogram("promo_http_request_duration_seconds", "Time to answer an HTTP request, "
                    "by route and method.", ["route", "method"], registry=_REGISTRY,
                    buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))


_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
"""The labelled series per (route, method, status), looked up once (labels() is costly)."""


def observe(route: str, method: str, status: int, seconds: float) -> None:
    series = _children.get((route, method, status))
    if series is None:
        series = _children[(route, method, status)] = (
            REQUESTS.labels(route, method, str(status)), LATENCY.labels(route, method))
    series[0].inc()
    series[1].observe(seconds)


class _Snapshot(Collector):
    """Gauges read at scrape time (by the endpoint, which hands them over)."""

    def __init__(self, reservations: dict[str, int] | None,
                 versions: list[tuple[str, str]]) -> None:
        self.reservations = reservations
        self.versions = versions

    def collect(self) -> Iterator[Metric]:
        if self.reservations is not None:
            gauge = GaugeMetricFamily("promo_reservations", "Reservations in the usage "
                                      "store, by state.", labels=["state"])
            for state, count in sorted(self.reservations.items()):
                gauge.add_metric([state], count)
            yield gauge
        info = GaugeMetricFamily("promo_ruleset_version_info", "The version (content "
                                 "hash) of each served ruleset.", labels=["ruleset", "version"])
        for ruleset, version in self.versions:
            info.add_metric([ruleset, version], 1)
        yield info


def exposition(reservations: dict[str, int] | None, versions: list[tuple[str, str]]) -> bytes:
    """The text format of every metric, the snapshot gauges read now."""
    registry = CollectorRegistry()
    if _REGISTRY is None:
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(_Snapshot(reservations, versions))
        return generate_latest(registry)
    registry.register(_Snapshot(reservations, versions))
    return generate_latest(_REGISTRY) + generate_latest(registry)

"""The collector's pauses: a command's start-up (paused, then what it built frozen and
the collector on again) and a long loop's frozen heap."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from dsl.gc_pause import gc_paused, heap_frozen, start_up_begins, start_up_ends


@pytest.fixture(autouse=True)
def _collector_as_it_was() -> Iterator[None]:
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    gc.unfreeze()
    yield
    start_up_ends()  # (a test that failed half-way leaves nothing paused)
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


def test_start_up_pauses_the_collector_then_freezes_what_it_built() -> None:
    thresholds = gc.get_threshold()
    start_up_begins()
    assert not gc.isenabled()
    built = [[i] for i in range(1000)]  # what imports build: alive to the end
    start_up_ends()
    assert gc.isenabled() and gc.get_threshold() == thresholds
    assert gc.get_freeze_count() >= len(built)
    collected = {id(o) for generation in range(3) for o in gc.get_objects(generation)}
    assert not any(id(b) in collected for b in built)  # no pass walks them again
    frozen = gc.get_freeze_count()
    start_up_ends()  # once only
    assert gc.get_freeze_count() == frozen and gc.isenabled()


def test_garbage_made_after_start_up_is_collected() -> None:
    start_up_begins()
    start_up_ends()
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1


def test_without_start_up_begins_the_end_changes_nothing() -> None:
    start_up_ends()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_collector_disabled_already_stays_as_it_is() -> None:
    with gc_paused():
        start_up_begins()
        start_up_ends()
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    assert gc.isenabled()


def test_heap_frozen_freezes_after_a_start_up_and_nested_blocks_leave_it() -> None:
    start_up_begins()
    start_up_ends()
    after_start_up = gc.get_freeze_count()
    program = [[i] for i in range(1000)]
    with heap_frozen():
        frozen = gc.get_freeze_count()
        assert frozen >= after_start_up + len(program)
        with heap_frozen():
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen  # the inner block gave nothing back
    assert gc.get_freeze_count() == 0

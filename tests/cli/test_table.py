"""``engine.cli.table`` writes what ``tabulate`` writes for the tables ``promo eval``
prints, without importing it for plain cells."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from tabulate import tabulate

from engine.cli.table import table

ALIGNS = st.sampled_from(["left", "right", "center", "global"])
# Plain text, and now and then what tabulate measures its own way: line breaks, an
# escape code, wide and combining characters, spaces around the text.
TEXT = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
    st.text(max_size=6),
    st.sampled_from(["für", "  padded ", "two\nlines", "\x1b[31mred\x1b[0m", "日本",
                     "e\u0301", "", "True", "-4.95", "12"]),
)
CELL = st.one_of(TEXT, st.none(), st.integers(-10**6, 10**6), st.booleans(),
                 st.decimals(allow_nan=False, allow_infinity=False, places=2))


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[list[object]], list[str], list[str]]:
    columns = draw(st.integers(1, 5))
    rows = draw(st.lists(st.lists(CELL, min_size=columns, max_size=columns), max_size=6))
    headers = draw(st.one_of(st.just([]), st.lists(TEXT, min_size=columns,
                                                   max_size=columns)))
    colalign = draw(st.lists(ALIGNS, max_size=columns))
    return rows, headers, colalign


@settings(max_examples=400, deadline=None)
@given(tables())
def test_the_same_text_as_tabulate(drawn: tuple[list[list[object]], list[str], list[str]],
                                   ) -> None:
    rows, headers, colalign = drawn
    expected = tabulate(rows, headers=headers, tablefmt="simple" if headers else "plain",
                        disable_numparse=True, colalign=tuple(colalign) or None)
    assert table(rows, headers, colalign) == expected


def test_a_table_by_hand() -> None:
    rows = [["l1", "SW-BIK", 1, Decimal("49.90"), "-14.97"], ["shipping", "standard", None,
                                                               Decimal("4.95"), "-4.95"]]
    assert table(rows, ["line", "sku", "qty", "unit", "discount"],
                 ("left", "left", "right", "right", "right")) == (
        "line      sku         qty    unit    discount\n"
        "--------  --------  -----  ------  ----------\n"
        "l1        SW-BIK        1   49.90      -14.97\n"
        "shipping  standard           4.95       -4.95")
    assert table([["a", "", "x"], ["bcd", "e", ""]]) == "a       x\nbcd  e"


def test_plain_cells_do_not_import_tabulate() -> None:
    probe = ("import sys\nfrom engine.cli.table import table\n"
             "table([['a', 'b']], ['x', 'y'], ('left', 'right'))\n"
             "print('tabulate' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                          text=True)
    assert done.stdout.split() == ["False"]

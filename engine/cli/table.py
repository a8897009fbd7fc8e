"""Text tables as ``tabulate`` writes them, without importing it for plain cells.

``promo eval`` prints its tables on every run, and importing ``tabulate`` costs
more than pricing a cart (it looks up its own version in the installed
distributions).  The tables ``engine/cli/render.py`` prints are ``tabulate``'s
``simple`` format (with headers) and ``plain`` format (without), every cell
text (``disable_numparse``): columns two spaces apart, each as wide as its
widest cell (a header and two more), cells stripped and aligned left unless
``colalign`` says otherwise, trailing spaces dropped.  That is written here for
cells of printable characters one column wide each; any other cell (a line
break, an escape code, a wide or combining character: widths ``tabulate``
measures its own way) and an empty table go to ``tabulate`` itself, so the text
is the same either way (``tests/cli/test_table.py`` compares the two).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str] = (),
          colalign: Sequence[str] = ()) -> str:
    """``tabulate(rows, headers, tablefmt="simple" if headers else "plain",
    disable_numparse=True, colalign=colalign)``."""
    listed = [list(row) for row in rows]
    cells = [["" if value is None else f"{value}" for value in row] for row in listed]
    columns = len(headers) if headers else max((len(row) for row in cells), default=0)
    if not cells or any(len(row) != columns for row in cells) or \
            any(isinstance(value, bytes) for row in listed for value in row) or \
            not set(colalign) <= set(_ALIGN) or \
            not all(map(_one_column_each, [*headers, *(c for row in cells for c in row)])):
        return _tabulate(listed, headers, colalign)
    aligns = [(colalign[i] if i < len(colalign) else "left") for i in range(columns)]
    cells = [[cell.strip() for cell in row] for row in cells]
    widths = [max(len(row[i]) for row in cells) for i in range(columns)]
    if headers:
        widths = [max(width, len(header) + 2)
                  for width, header in zip(widths, headers, strict=True)]
    lines = [_row(row, widths, aligns) for row in cells]
    if headers:
        lines[:0] = [_row(headers, widths, aligns), _row(["-" * w for w in widths], widths,
                                                            ["left"] * columns)]
    return "\n".join(lines)


def _row(cells: Sequence[str], widths: Sequence[int], aligns: Sequence[str]) -> str:
    return "  ".join(_ALIGN[align](cell, width)
                     for cell, width, align in zip(cells, widths, aligns, strict=True)).rstrip()


def _centre(text: str, width: int) -> str:
    return f"{text:^{width}}"  # as tabulate centres (the odd space goes right)


_ALIGN: dict[str, Callable[[str, int], str]] = {
    "left": str.ljust, "right": str.rjust, "center": _centre, "global": str.ljust}


def _one_column_each(text: str) -> bool:
    """Every character printable and one column wide on a terminal (``len`` is its
    width, as ``tabulate`` measures it with or without ``wcwidth``)."""
    if text.isascii():
        return text.isprintable()
    return text.isprintable() and not any(
        unicodedata.east_asian_width(c) in "WF" or unicodedata.combining(c)
        or unicodedata.category(c) in ("Mn", "Me") for c in text)


def _tabulate(cells: list[list[Any]], headers: Sequence[str], colalign: Sequence[str]) -> str:
    from tabulate import tabulate

    return tabulate(cells, headers=list(headers), tablefmt="simple" if headers else "plain",
                    disable_numparse=True, colalign=tuple(colalign) or None)

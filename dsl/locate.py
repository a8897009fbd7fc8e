"""Where a character of a condition expression sits in its YAML file.

A condition is a YAML scalar: plain, quoted (with escapes) or a block (folded or
literal).  Errors inside it are found at a line and column of the expression, and
reported at the line and column of the file where that character was written.
"""

from __future__ import annotations

from typing import Any

from .errors import Span
from .loader import Document, Path_


def expression_location(doc: Document, path: Path_, line: int, col: int) -> Span:
    """Map a (line, col) inside the expression at ``path`` onto the YAML file.

    Folding and block indentation change only whitespace, so the k-th non-blank character
    of the expression is the k-th non-blank character of the scalar's source (after its
    quote or block indicator), an escape of a quoted scalar counting as what it writes."""
    pos = doc.position(path)
    value: Any = doc.data
    for part in path:
        value = value[part]
    text = str(value)
    lines = text.split("\n")
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + col - 1
    wanted = sum(1 for ch in text[:offset] if not ch.isspace())
    src = doc.source.lines
    row, column = pos.value.line - 1, pos.value.col - 1
    if pos.style in ("|", ">"):
        row, column = row + 1, 0
    elif pos.style in ('"', "'"):
        column += 1
    seen = 0
    while row < len(src):
        current = src[row]
        while column < len(current):
            char, width = _written(current, column, pos.style)
            if not char.isspace():
                if seen == wanted:
                    return Span(doc.source.name, row + 1, column + 1, expr_col=col)
                seen += 1
            column += width
        row, column = row + 1, 0
    return Span(doc.source.name, pos.value.line, pos.value.col, expr_col=col)


_DQ_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f",
               "r": "\r", "e": "\x1b", "N": "\x85", "_": "\xa0", "L": "\u2028",
               "P": "\u2029"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def _written(line: str, column: int, style: str | None) -> tuple[str, int]:
    """The value character written at ``line[column]`` and how many source characters it
    takes: an escape (a backslash sequence in double quotes, '' in single) writes one."""
    if style == "'" and line.startswith("''", column):
        return "'", 2
    if style != '"' or line[column] != "\\":
        return line[column], 1
    escaped = line[column + 1:column + 2]
    if not escaped:  # an escaped line break writes nothing
        return " ", 1
    digits = _HEX_ESCAPES.get(escaped)
    if digits:
        try:
            return chr(int(line[column + 2:column + 2 + digits], 16)), 2 + digits
        except ValueError:
            return escaped, 2
    return _DQ_ESCAPES.get(escaped, escaped), 2

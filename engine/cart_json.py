"""Cart text in JSON, read with ``json`` when YAML reads it the same way.

A cart file is YAML (JSON is YAML), composed with the position of every node for
the diagnostics: about 100 µs a line.  A valid cart in JSON that YAML reads the
same way is read with ``json`` (about 1 µs a line); anything else, invalid carts
included, is composed as YAML as before (``engine.cart``).  YAML (libyaml) reads
JSON otherwise with a key and its ':' on two lines or far apart, escaped
surrogates, characters it does not print (NEL breaks a quoted line), tabs and CRs
(by parser), numbers beyond its bounds, duplicate keys, and keys long or ``<<``
(``engine.cart._odd_keys``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from json.scanner import make_scanner
from typing import Any

from dsl.loader import bare_number

MAX_JSON_TEXT = 500_000  # characters: under YAML's caps on a file's lines

_KEY_ON_ITS_LINE = re.compile(r"\n *:")
ESCAPED_SURROGATE = r"\\u[dD][89a-fA-F]"
"""A ``\\u`` escape of half a surrogate pair (a lone one is valid JSON but no text)."""
_ESCAPED_SURROGATE = re.compile(ESCAPED_SURROGATE)
_NOT_PRINTED = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff\ud800-\udfff]")


def _yaml_number(text: str) -> Decimal:
    """A JSON fraction (or NaN, Infinity) as YAML reads it (``dsl.loader``): exact, and
    bounded (else ``ValueError``)."""
    if (number := bare_number(text)) is None:
        raise ValueError(text)
    return number


class DuplicateKey(ValueError):
    """A key given twice in one JSON object (``json`` keeps the last where YAML refuses
    them); its text is the key, quoted."""


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An ``object_pairs_hook`` that refuses a key given twice (``DuplicateKey``)."""
    if len(mapping := dict(pairs)) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(repr(key))
            seen.add(key)
    return mapping


# ``json`` keeps the last of duplicate keys where YAML refuses them.  A hook refusing
# them runs in Python for every object (a third of the decoding of a cart), so it
# decodes only text with a backslash: in text without one, every '"' opens or closes
# a string, and the reader of the data counts the strings it holds (keys and texts) to
# compare with the quotes of the text -- a duplicate key drops at least its own.
def _scanner(**hooks: Any) -> Callable[[str, int], tuple[Any, int]]:
    """What ``json`` reads a value at an index with (``JSONDecoder.decode`` without its
    regexes around it), YAML's numbers in it."""
    decoder = json.JSONDecoder(parse_float=_yaml_number, parse_constant=_yaml_number, **hooks)
    return make_scanner(decoder)  # type: ignore[arg-type]


_PLAIN, _CHECKED = _scanner(), _scanner(object_pairs_hook=unique_keys)


def json_data(text: str) -> tuple[Any, int | None] | None:
    """The data of ``text`` if it is JSON that YAML reads alike as far as the text
    shows, with the number of strings it holds if no key is duplicated (``None``
    when that is checked already); ``None`` when the YAML loader must read it."""
    start = len(text) - len(text.lstrip(" \n"))  # (JSON's spaces: tabs and CRs are refused)
    if not text.startswith("{", start) or len(text) > MAX_JSON_TEXT or "\t" in text or \
            "\r" in text or "\x7f" in text or not text.isascii() and _NOT_PRINTED.search(text) \
            or "\n" in text and _KEY_ON_ITS_LINE.search(text) or " " * 64 + ":" in text:
        return None
    try:
        if "\\" not in text:  # (a search for one character is a fast one)
            data, end = _PLAIN(text, start)
            strings: int | None = text.count('"') // 2
        elif _ESCAPED_SURROGATE.search(text):
            return None
        else:
            data, end = _CHECKED(text, start)
            strings = None
    except (ValueError, StopIteration, RecursionError):
        return None
    return (data, strings) if not text[end:].strip(" \n") else None

"""The stable JSON of a result, written out: the helpers every part of the result uses.

``Result.to_json`` writes the bytes ``json.dumps(result.to_dict(), indent=2,
ensure_ascii=False)`` gives, without building the dicts: with ``indent`` the json
module encodes in pure Python (its C encoder only writes compact JSON), four to
five times the cost of these templates; a service writes one per request.  Each
``_json`` method of the result's classes mirrors its class's ``to_dict``; a test
holds them equal.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

T = TypeVar("T")

_new = object.__new__
_set = object.__setattr__


def assembled(cls: type[T], fields: dict[str, Any]) -> T:
    """The instance of the frozen dataclass ``cls`` that ``cls(**fields)`` makes;
    ``fields`` names every field, in order.

    Without the ``__init__`` a frozen dataclass generates, which sets each field
    through ``object.__setattr__``: that costs about three times as much, and a
    result holds one object per line and per discount (tests/engine/test_result_json.py
    holds the two ways equal)."""
    instance = _new(cls)
    _set(instance, "__dict__", fields)
    return instance


def _money(value: Decimal) -> str:
    return format(value, "f")


_text = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False


def _or_null(value: str | None) -> str:
    return "null" if value is None else _text(value)


def _json_list(items: list[str], pad: str) -> str:
    """A JSON array of items already written at ``pad`` + two spaces (``[]`` if none)."""
    if not items:
        return "[]"
    inner = ",\n".join(items)
    return f"[\n{inner}\n{pad}]"


def _json_items(items: Sequence[Any]) -> str:
    """A list at the top of the result, of objects with a ``_json`` method."""
    return _json_list(["    " + item._json("    ") for item in items], "  ")


def _json_discounts(discounts: Sequence[tuple[str, Decimal]], pad: str) -> str:
    """The discounts ``(promotion, amount)`` of a line or the shipping."""
    inner = pad + "  "
    return _json_list([f'{inner}{{\n{inner}  "promotion": {_text(promotion)},\n'
                       f'{inner}  "amount": "{format(amount, "f")}"\n{inner}}}'
                       for promotion, amount in discounts], pad)

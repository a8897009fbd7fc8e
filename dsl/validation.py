"""Pydantic's validation errors → positioned diagnostics with the project's codes.

Shared by every document the loader reads (rulesets, carts, rule tests): a
``ValidationError`` on a document's data becomes one ``Diagnostic`` per error,
at the position the document recorded for its path.  Reading a cart needs this
and not the condition parser, so it lives apart from ``dsl.ruleset``.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from . import hints
from .codes import FLOAT_MONEY, INVALID_VALUE, MISSING_FIELD, UNKNOWN_FIELD
from .errors import Diagnostic
from .loader import Document
from .model import all_field_names
from .records import record

_FIELD_NAMES = sorted(all_field_names())

_HINTS = {
    "stacking": "every ruleset states how promotions combine: coupons_per_order, "
                "coupon_with_automatic, base (and optionally max_discount)",
    FLOAT_MONEY: "write it quoted, e.g. \"9.99\": a bare 9.99 is a float in YAML",
}


def _label(loc: tuple[Any, ...]) -> str:
    names = [str(p) for p in loc if isinstance(p, str)]
    return names[-1] if names else "value"


@record
class ValidationCodes:
    """The codes pydantic's own error kinds map to (custom errors carry their own)."""

    missing: str = MISSING_FIELD
    unknown: str = UNKNOWN_FIELD
    invalid: str = INVALID_VALUE
    json_paths: bool = False
    """Start every message with the value's JSON path (``lines[2].unit_price``)."""
    model: Callable[[], type[BaseModel]] | None = None
    """The document's model, for the fields a did-you-mean hint looks among (given as a
    function: a module declares its codes before its models)."""


def json_path(loc: tuple[Any, ...]) -> str:
    """``("lines", 2, "unit_price")`` → ``lines[2].unit_price``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "document"


def _unwrapped(annotation: Any) -> Any:
    """``X`` of ``Annotated[X, ...]`` and of ``X | None``."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
            annotation = args[0]
            continue
        return annotation


def _tagged(annotation: Any, tag: str) -> Any:
    """The member of a tagged union (the effects) whose tag is ``tag``, or ``None``."""
    for member in typing.get_args(annotation):
        if any(getattr(m, "tag", None) == tag for m in getattr(member, "__metadata__", ())):
            return member
    return None


def fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str] | None:
    """The fields of the mapping that holds ``loc``'s last part, when the model says."""
    current: Any = model
    for part in loc[:-1]:
        current = _unwrapped(current)
        if isinstance(part, int):
            current = (typing.get_args(current) or (None,))[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            found = [f for n, f in current.model_fields.items() if (f.alias or n) == part]
            if not found:
                return None
            current = found[0].annotation
        else:
            current = _tagged(current, part)
    current = _unwrapped(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(f.alias or n for n, f in current.model_fields.items())
    return None


_DEFAULT_CODES = ValidationCodes()


def validation_diagnostics(doc: Document, err: ValidationError,
                           codes: ValidationCodes = _DEFAULT_CODES,
                           model: type[BaseModel] | None = None) -> list[Diagnostic]:
    """Turn a pydantic ``ValidationError`` on ``doc.data`` into positioned diagnostics."""
    out = []
    for item in err.errors(include_url=False):
        loc = tuple(item["loc"])
        kind = item["type"]
        pointed = (item.get("ctx") or {}).get("field")
        if pointed:
            loc = loc + (pointed,)
        pos = doc.position(loc)
        span = pos.value
        hint = None
        if kind == "missing":
            code = codes.missing
            parent = doc.position(loc[:-1])
            span = parent.key or parent.value
            message = f"missing required field '{loc[-1]}'"
            hint = _HINTS.get(str(loc[-1]))
        elif kind == "extra_forbidden":
            code = codes.unknown
            span = doc.positions.get(loc, pos).key or span
            message = f"unknown field '{loc[-1]}'"
            model = model or (codes.model() if codes.model else None)
            hint = hints.unknown_field(str(loc[-1]), _FIELD_NAMES,
                                       fields_at(model, loc) if model else None)
        elif kind.startswith("PR"):
            code = kind
            message = item["msg"]
            hint = (item.get("ctx") or {}).get("hint") or _HINTS.get(kind)
        else:
            code = codes.invalid
            label = json_path(loc) if codes.json_paths else _label(loc)
            message, hint = hints.plain_message(kind, label, item["msg"], item.get("ctx"),
                                                item.get("input"))
            if isinstance(item.get("input"), (int, float)) and "string" in kind:
                hint = "quote it to make it text"
        if codes.json_paths and code != codes.invalid:
            message = f"{json_path(loc)}: {message}"
        out.append(Diagnostic(code, message, span, hint=hint))
    return out


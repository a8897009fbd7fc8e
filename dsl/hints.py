"""What to do about a mistake: the hints and plain wordings the loader adds to messages.

A message says what is wrong; a hint says what to write instead, with an example.
The wording of the libraries underneath (PyYAML, pydantic) never reaches a
merchandiser alone: each kind of their error gets a sentence about rulesets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CART_FIELDS = frozenset({"id", "currency", "at", "customer", "coupons", "lines", "shipping",
                         "attributes"})
RULE_TEST_FIELDS = frozenset({"name", "ruleset", "cart", "at", "expect"})

IDENTIFIER = ("an id is letters, digits, '.', '_' and '-', starts with a letter or a digit "
              "and has at most 100 characters, e.g. summer-sale-2026")
UNTIL = ("a window is { from: ..., until: ... }; until is exclusive, the first moment the "
         "promotion is over: Black Friday weekend is from: 2026-11-27, until: 2026-11-30 "
         "(Friday, Saturday and Sunday)")
_RENAMED = {  # field names people write, and the ones rulesets use
    "to": ("until", UNTIL), "end": ("until", UNTIL), "ends": ("until", UNTIL),
    "till": ("until", UNTIL), "start": ("from", UNTIL), "starts": ("from", UNTIL),
    "since": ("from", UNTIL),
    "qty": ("quantity", "a line's number of units"),
    "price": ("unit_price", "the price of one unit, quoted: \"9.99\""),
}


def not_a_ruleset(data: Any) -> tuple[str, str] | None:
    """The message and hint for a cart or a rule test file read as a ruleset, or ``None``."""
    if isinstance(data, dict) and "ruleset" not in data and "promotions" not in data and \
            "lines" in data and set(data) <= CART_FIELDS:
        return ("this file is a cart, not a ruleset",
                "price it against a ruleset with `promo eval RULESET CART`")
    if isinstance(data, list) and data and all(
            isinstance(t, dict) and "expect" in t and set(t) <= RULE_TEST_FIELDS for t in data):
        return ("this file holds rule tests, not a ruleset",
                "run them with `promo test FILE`; a ruleset is a mapping with ruleset:, dsl:, "
                "currency:, stacking:, promotions:")
    return None


def not_a_cart(data: Any) -> tuple[str, str] | None:
    """The message and hint for a ruleset or a rule test file read as a cart, or ``None``."""
    if isinstance(data, dict) and {"ruleset", "promotions"} & set(data) and "lines" not in data:
        return ("this file is a ruleset, not a cart",
                "the ruleset comes first: `promo eval RULESET CART`")
    if not_a_ruleset(data) is not None and isinstance(data, list):
        return ("this file holds rule tests, not a cart", "run them with `promo test FILE`")
    return None


def other_file(data: Any) -> str | None:
    """What to do with a ruleset or a cart given where rule tests are expected."""
    if isinstance(data, dict) and {"ruleset", "promotions"} & set(data):
        return "this file is a ruleset: check it with `promo lint FILE`; its tests go in " \
               "a tests/ folder beside it"
    if not_a_ruleset(data) is not None:
        return "this file is a cart: price it with `promo eval RULESET FILE`, or name it in " \
               "a test's cart:"
    return None


def unknown_field(name: str, known: list[str], allowed: list[str] | None) -> str | None:
    """A hint for an unknown field ``name``: the field meant (never ``name`` itself).

    ``allowed``: the fields of the mapping it was written in, when known; ``known``:
    every field of a ruleset."""
    if name in _RENAMED and (allowed is None or _RENAMED[name][0] in allowed):
        field, why = _RENAMED[name]
        return f"write '{field}': {why}"
    import difflib  # (here: a document without mistakes never needs it)

    close = difflib.get_close_matches(name, [k for k in (allowed or known) if k != name],
                                      n=1, cutoff=0.7)
    if close:
        return f"did you mean '{close[0]}'?"
    if allowed is not None and "attributes" in allowed:  # a cart's line, customer or cart
        return f"facts of your own go under attributes, e.g. attributes: {{ {name}: ... }}"
    if allowed is not None and name in known:
        return f"'{name}' is not a field here; the fields here are: {', '.join(allowed)}"
    return None


def yaml_syntax(problem: str, line: str | None, col: int) -> str | None:
    """What to do about a YAML syntax error, from PyYAML's ``problem`` and the line."""
    indent = line[:len(line) - len(line.lstrip())] if line is not None else ""
    if "\t" in indent or line is not None and line[col - 1:col] == "\t":
        return "indent with spaces, not tabs: YAML does not allow a tab character in " \
               "indentation (set your editor to insert spaces)"
    if "mapping values are not allowed" in problem:
        return "check the indentation: a field lines up with the fields beside it (the " \
               "line above may be indented more or less than it should), and a value " \
               "with ': ' in it needs quotes"
    if "expected <block end>" in problem or "did not find expected key" in problem:
        return "check the indentation: every field of a mapping, and every '- ' item of a " \
               "list, starts in the same column"
    return None


_PYDANTIC = {  # pydantic's error kinds → what a valid value looks like
    "int_type": "must be a whole number such as 3 (without quotes)",
    "int_parsing": "must be a whole number such as 3 (without quotes)",
    "int_from_float": "must be a whole number such as 3, not a fraction",
    "bool_type": "must be true or false (without quotes)",
    "bool_parsing": "must be true or false (without quotes)",
    "string_type": "must be text",
    "list_type": "must be a list, such as [a, b] or '- ' items on their own lines",
    "tuple_type": "must be a list, such as [a, b] or '- ' items on their own lines",
    "dict_type": "must be a mapping of fields, such as { from: 2026-06-01 }",
    "model_type": "must be a mapping of fields, such as { from: 2026-06-01 }",
    "model_attributes_type": "must be a mapping of fields, such as { from: 2026-06-01 }",
    "datetime_type": "must be a date such as 2026-06-01 or a date and time such as "
                     "2026-06-01T09:00",
}


def plain_message(kind: str, label: str, message: str, ctx: Mapping[str, Any] | None,
                  value: Any = None) -> tuple[str, str | None]:
    """``message`` (pydantic's, for the error ``kind``) in the words of rulesets, and a
    hint when what a valid value looks like takes a sentence."""
    ctx = ctx or {}
    if kind in _PYDANTIC:
        return f"{label}: {_PYDANTIC[kind]}", None
    if kind == "string_pattern_mismatch":
        return f"{label}: '{value}' is not a valid id", IDENTIFIER
    if kind.startswith(("datetime_", "date_")):
        return f"{label}: {_PYDANTIC['datetime_type']}", None
    if kind in _BOUNDS:
        return f"{label}: must be {_BOUNDS[kind]} {next(iter(ctx.values()), '')}", None
    if kind == "literal_error":
        return f"{label}: must be {ctx.get('expected', message)}", None
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return f"{label}: needs at least {least} item{'s' if least != 1 else ''}", None
    return f"{label}: {message[0].lower()}{message[1:]}", None


_BOUNDS = {"greater_than_equal": "at least", "greater_than": "more than",
           "less_than_equal": "at most", "less_than": "less than"}

"""``-k EXPR``: choose rule tests by name, as pytest's ``-k`` does, kept small.

A word matches a test whose name or file path contains it, ignoring case;
``and``, ``or``, ``not`` and parentheses combine words (``not`` binds
tightest, then ``and``, then ``or``).  A word with spaces is quoted::

    socks                      every test whose name or file mentions socks
    fashion and not "black friday"
    (welcome or newsletter) and coupon

An empty expression selects every test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NoReturn

from dsl.codes import BAD_OPTION
from dsl.errors import InputError

Selector = Callable[[str, str], bool]
"""``selector(name, file)``: whether the test called ``name`` in ``file`` is chosen."""

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|\'([^\']*)\'|([^\s()"\']+))')
_KEYWORDS = ("and", "or", "not")


def parse_selection(expression: str) -> Selector:
    """The selector that ``expression`` describes; a malformed one is a usage error
    (``PR501``) that says where it went wrong."""
    tokens = _tokens(expression)
    if not tokens:
        return lambda name, file: True
    parser = _Parser(expression, tokens)
    selector = parser.either()
    if parser.at < len(tokens):
        kind, text = tokens[parser.at]
        if kind == "word" and tokens[parser.at - 1][0] == "word":
            phrase = f"{tokens[parser.at - 1][1]} {text}"
            parser.fail(f"two words in a row: quote a phrase (\"{phrase}\") or join "
                        "words with and / or")
        parser.fail(f"unexpected '{text}'")
    return selector


def _tokens(expression: str) -> list[tuple[str, str]]:
    """``(kind, text)`` pairs; kind is ``(``, ``)``, a keyword, or ``word``."""
    out: list[tuple[str, str]] = []
    position = 0
    while expression[position:].strip():
        match = _TOKEN.match(expression, position)
        if match is None:  # only an unclosed quote gets here
            raise InputError(f"-k: unclosed quote in '{expression}'", code=BAD_OPTION)
        opened, closed, double, single, word = match.groups()
        if opened or closed:
            out.append((opened or closed, opened or closed))
        elif word is not None and word.lower() in _KEYWORDS:
            out.append((word.lower(), word))
        else:
            text = next(t for t in (double, single, word) if t is not None)
            out.append(("word", text))
        position = match.end()
    return out


class _Parser:
    """Recursive descent: either := both ('or' both)*; both := negated ('and' negated)*;
    negated := 'not' negated | '(' either ')' | word."""

    def __init__(self, expression: str, tokens: list[tuple[str, str]]) -> None:
        self.expression = expression
        self.tokens = tokens
        self.at = 0

    def fail(self, problem: str) -> NoReturn:
        raise InputError(f"-k: {problem} in '{self.expression}' (words combined with "
                         "and, or, not and parentheses)", code=BAD_OPTION)

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def either(self) -> Selector:
        parts = [self.both()]
        while self.peek() == "or":
            self.at += 1
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else \
            (lambda name, file: any(p(name, file) for p in parts))

    def both(self) -> Selector:
        parts = [self.negated()]
        while self.peek() == "and":
            self.at += 1
            parts.append(self.negated())
        return parts[0] if len(parts) == 1 else \
            (lambda name, file: all(p(name, file) for p in parts))

    def negated(self) -> Selector:
        kind = self.peek()
        if kind is None:
            self.fail("a word is missing at the end")
        self.at += 1
        if kind == "not":
            inner = self.negated()
            return lambda name, file: not inner(name, file)
        if kind == "(":
            inner = self.either()
            if self.peek() != ")":
                self.fail("a parenthesis is not closed")
            self.at += 1
            return inner
        if kind == "word":
            word = self.tokens[self.at - 1][1].lower()
            return lambda name, file: word in name.lower() or word in file.lower()
        self.fail(f"unexpected '{self.tokens[self.at - 1][1]}'")

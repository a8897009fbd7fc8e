"""A coupon code that mixes scripts or holds an invisible character.

What it finds: a code in `coupon:` or `coupons:`, or a string compared with
`cart.coupons` in a condition, whose letters come from more than one Unicode
script — Latin `SUMMER` beside `SUMMЕR`, whose `Е` is Cyrillic — or that holds
an invisible character: a zero-width space (U+200B), a joiner, a soft hyphen, a
bidi control, or any other format character or space that is not the plain
space. Scripts are compared once the code is normalised as the engine matches
it (NFKC: full-width `ＳＵＭＭＥＲ` is `summer`, so it is not reported), and a
letter's script is the first word of its Unicode name (LATIN, CYRILLIC, GREEK
…). Han with kana, Bopomofo or Hangul (and Latin), the way Japanese, Chinese
and Korean are written, is one script here.

Why it costs money: the code looks right on the flyer, the newsletter and in
the review, but nobody can type it. A customer who types `SUMMER` on a Latin
keyboard enters other letters than the Cyrillic `Е` in the rule, and an
invisible character pasted along with the code cannot be typed at all: the code
is refused at checkout, the shop pays out the promised discount by hand through
customer care, or loses the order. A code that nobody can type also looks like
a code nobody uses, so the mistake is found late.

Avoid:

    - id: summer-15
      coupon: SUMMЕR                 # the fifth letter is Cyrillic
    - id: partner-10
      coupon: "PARTNER\\u200B42"       # pasted with a zero-width space (YAML escape)

Prefer: codes typed on a plain keyboard, in one script
(`coupon: SUMMER`, `coupon: PARTNER42`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from ...errors import Diagnostic, Severity, Span
from ...expr.logic import coupon_literals
from ..context import LintRuleset, finding

CODE = "PR218"
NAME = "confusable-coupon-code"
SEVERITY = Severity.WARNING

_SCRIPT_OF_WORD = {"CJK": "HAN", "IDEOGRAPHIC": "HAN"}
"""Unicode name words that name a script under another word."""
_NO_SCRIPT = frozenset({"MODIFIER", "KATAKANA-HIRAGANA"})
"""Letters of several scripts (modifier letters, the kana prolonged sound mark)."""
_ONE_WRITING = (frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
                frozenset({"LATIN", "HAN", "BOPOMOFO"}),
                frozenset({"LATIN", "HAN", "HANGUL"}))
"""Scripts that are written together (Japanese, Chinese, Korean): not a mix."""
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zl", "Zp", "Zs"})
_INVISIBLE_MARKS = frozenset({0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, *range(0xFE00, 0xFE10),
                              *range(0x180B, 0x1810), *range(0xE0100, 0xE01F0)})
"""Invisible characters outside those categories: the combining grapheme joiner,
the Hangul fillers and the variation selectors."""


def _invisible(char: str) -> bool:
    if char == " ":
        return False
    return unicodedata.category(char) in _INVISIBLE_CATEGORIES or \
        ord(char) in _INVISIBLE_MARKS


def _described(char: str) -> str:
    """``U+200B ZERO WIDTH SPACE``."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'control character')}"


def _displayed(code: str) -> str:
    """The code with each invisible character written as ``<U+200B>``."""
    return "".join(f"<U+{ord(c):04X}>" if _invisible(c) else c for c in code)


def _script(char: str) -> str | None:
    word = unicodedata.name(char, "").split(" ", 1)[0]
    if not word or word in _NO_SCRIPT:
        return None
    return _SCRIPT_OF_WORD.get(word, word)


def _scripts(code: str) -> dict[str, list[str]]:
    """Script → its letters in ``code`` (NFKC, as the engine matches it), in order."""
    found: dict[str, list[str]] = {}
    for char in unicodedata.normalize("NFKC", code):
        if char.isalpha() and not _invisible(char):
            script = _script(char)
            if script is not None:
                found.setdefault(script, []).append(char)
    return found


def _named(words: list[str]) -> str:
    names = [w.title() for w in words]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def problems(code: str) -> Iterator[tuple[str, str]]:
    """``(message, hint)`` for each thing wrong with ``code``: invisible characters,
    letters of several scripts."""
    shown = _displayed(code)
    hidden = list(dict.fromkeys(c for c in code if _invisible(c)))
    if hidden:
        noun = "an invisible character" if len(hidden) == 1 else "invisible characters"
        yield (f"coupon code '{shown}' holds {noun}: "
               + ", ".join(_described(c) for c in hidden),
               "nobody can type an invisible character: delete it, or type the code again "
               "on a plain keyboard")
    scripts = _scripts(code)
    if len(scripts) > 1 and not any(set(scripts) <= together for together in _ONE_WRITING):
        main = max(scripts, key=lambda s: len(scripts[s]))  # ties: the first one written
        odd = next(c for s, letters in scripts.items() if s != main for c in letters)
        yield (f"coupon code '{shown}' mixes {_named(list(scripts))} letters: "
               f"'{odd}' is {_described(odd)}",
               "a customer types the letters of their keyboard and the code is refused: "
               "write the code in one script")


def _codes(ruleset: LintRuleset, index: int) -> Iterator[tuple[str, Span]]:
    """Every code of a promotion and every code its conditions ask for, with its place."""
    promo = ruleset.promotions[index]
    if promo.coupon is not None:
        yield promo.coupon, ruleset.span("promotions", index, "coupon")
    for k, code in enumerate(promo.coupons or ()):
        yield code, ruleset.span("promotions", index, "coupons", k)
    for path, node, _ in ruleset.conditions(index):
        for literal in coupon_literals(node):
            yield literal.value, ruleset.expr_span(path, literal)


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index in range(len(ruleset.promotions)):
        for code, span in _codes(ruleset, index):
            for message, hint in problems(code):
                yield finding(CODE, SEVERITY, message, span, hint)

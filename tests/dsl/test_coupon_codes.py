"""Coupon codes: how they are normalised (NFKC, case-folding, trimming) and which codes
lint calls confusable (PR218: letters of several scripts, invisible characters)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl.lint.rules.PR218_confusable_coupon_code import problems
from dsl.values import normalise_code

ASCII_CODE = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                     min_size=1, max_size=16)
LETTERS = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12)

# Cyrillic and Greek capitals that look like Latin ones
LOOK_ALIKES = {"A": "\u0410", "B": "\u0412", "C": "\u0421", "E": "\u0415", "H": "\u041d",
               "K": "\u041a", "M": "\u041c", "O": "\u041e", "P": "\u0420", "T": "\u0422",
               "X": "\u0425", "Y": "\u03a5", "Z": "\u0396", "I": "\u0399", "N": "\u039d"}
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\u202a", "\u202e", "\u2066",
             "\u2069", "\u200e", "\ufeff", "\u00a0", "\u3000", "\u2009", "\u034f", "\ufe0f"]


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# ------------------------------------------------------------------ normalise_code


@pytest.mark.parametrize("typed, normalised", [
    ("WELCOME10", "welcome10"),
    ("  Welcome10\t", "welcome10"),
    ("Straße", "strasse"),
    ("ＳＵＭＭＥＲ", "summer"),
    ("\u3000ＳＵＭＭＥＲ－１０\u3000", "summer-10"),
    ("ﬁnal-sale", "final-sale"),          # the ligature fi is two letters
    ("SUMMЕR", "summеr"),                  # a Cyrillic E stays Cyrillic
    ("SUMMER\u200b", "summer\u200b"),      # an invisible character stays
])
def test_normalise_code(typed: str, normalised: str) -> None:
    assert normalise_code(typed) == normalised


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_a_normalised_code_normalises_to_itself(code: str) -> None:
    once = normalise_code(code)
    assert normalise_code(once) == once
    assert once == once.strip()
    assert unicodedata.is_normalized("NFKC", once)


@settings(max_examples=300, deadline=None)
@given(ASCII_CODE, st.text(" \t", max_size=3), st.text(" \t", max_size=3))
def test_ascii_codes_match_as_before_and_in_full_width(code: str, before: str,
                                                       after: str) -> None:
    typed = before + code + after
    assert normalise_code(typed) == typed.strip().casefold()
    assert normalise_code(_full_width(code)) == normalise_code(code)
    assert normalise_code(code.swapcase()) == normalise_code(code)


# ------------------------------------------------------------------------- PR218


@pytest.mark.parametrize("code", ["WELCOME10", "SUMMER-2026", "ＳＵＭＭＥＲ", "Straße",
                                  "СЕЙЛ-10", "ΑΘΗΝΑ", "夏セール2026", "夏SALE", "한국SALE10",
                                  "SUMMER SALE", "ﬁnal-sale"])
def test_codes_in_one_script_and_visible_are_fine(code: str) -> None:
    assert list(problems(code)) == []


@settings(max_examples=300, deadline=None)
@given(ASCII_CODE)
def test_plain_keyboard_codes_are_never_reported(code: str) -> None:
    assert list(problems(code)) == []
    assert list(problems(_full_width(code))) == []


@settings(max_examples=200, deadline=None)
@given(LETTERS.filter(lambda c: len(c) >= 3), st.data())
def test_a_look_alike_letter_of_another_script_is_reported(code: str,
                                                           data: st.DataObject) -> None:
    positions = [i for i, c in enumerate(code) if c in LOOK_ALIKES]
    if not positions:
        return
    at = data.draw(st.sampled_from(positions))
    odd = LOOK_ALIKES[code[at]]
    found = list(problems(code[:at] + odd + code[at + 1:]))
    assert len(found) == 1
    message, hint = found[0]
    script = unicodedata.name(odd).split()[0].title()
    mix = f"Latin and {script}" if at > 0 else f"{script} and Latin"  # as first written
    assert f"mixes {mix} letters: '{odd}' is U+{ord(odd):04X} {unicodedata.name(odd)}" \
        in message
    assert "one script" in hint


@settings(max_examples=300, deadline=None)
@given(ASCII_CODE, st.sampled_from(INVISIBLE), st.data())
def test_an_invisible_character_is_reported_by_name(code: str, char: str,
                                                    data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(code)))
    found = list(problems(code[:at] + char + code[at:]))
    assert len(found) == 1
    message, _ = found[0]
    assert f"U+{ord(char):04X} {unicodedata.name(char)}" in message
    assert f"<U+{ord(char):04X}>" in message and char not in message

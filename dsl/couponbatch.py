"""Coupon batches: the shape of the single-use codes a batch promotion takes.

A promotion with ``coupon_batch: SPRING-VIP`` takes codes generated into the
usage store (``promo coupons generate``), not codes written in the ruleset.
Its ``coupon_pattern`` (default ``<BATCH>-####-####``) says how they are
written: each ``#`` one character drawn from ``ALPHABET``, every other
character literal.  An entered code that no promotion lists is matched against
the patterns (as codes match: trimmed, case-folded), which is how a code finds
its batch without the store; the store then says whether it was generated and
is still unused (docs/semantics.md#coupon-batches).
"""

from __future__ import annotations

import functools
import math
import re

from .records import record

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""The characters a ``#`` becomes: digits and capitals without the look-alikes."""
LOOK_ALIKES = "01ILO"
"""Left out of ``ALPHABET``: 0/O and 1/I/L are misread when a code is typed from paper."""
SLOT = "#"
MIN_SLOTS = 8
"""A pattern has at least this many ``#`` (31^8, about 8.5 × 10^11 codes)."""
GUESS_ODDS = 100_000
"""A batch holds at most one code per this many codes its pattern can write: a guessed
code of the pattern is a valid one at most once in 100,000 tries."""
MAX_PATTERN_LENGTH = 100
LITERALS = re.compile(r"^[A-Za-z0-9_.-]*$")
"""Characters a pattern may write as they are (besides ``#``)."""


@record
class CodePattern:
    """A batch's pattern, e.g. ``SPRING-####-####``."""

    text: str

    @property
    def slots(self) -> int:
        return self.text.count(SLOT)

    @property
    def space(self) -> int:
        """How many different codes the pattern can write."""
        return int(len(ALPHABET) ** self.slots)

    @property
    def capacity(self) -> int:
        """The most codes a batch of this pattern may hold (``GUESS_ODDS``)."""
        return self.space // GUESS_ODDS

    @functools.cached_property
    def _regex(self) -> re.Pattern[str]:
        slot = "[" + ALPHABET.lower() + "]"
        return re.compile("".join(slot if c == SLOT else re.escape(c.lower())
                                  for c in self.text))

    def matches(self, code: str) -> bool:
        """Whether a normalised (case-folded) code is written in this pattern."""
        return self._regex.fullmatch(code) is not None

    def fill(self, numbers: list[int]) -> list[str]:
        """The codes (normalised: lower case) the pattern writes for ``numbers``, each
        below ``space``: the number's digits in base ``len(ALPHABET)`` fill the slots."""
        alphabet = ALPHABET.lower()
        base = len(alphabet)
        parts = self.text.lower().split(SLOT)
        out = []
        for number in numbers:
            pieces = [parts[0]]
            for literal in parts[1:]:
                number, digit = divmod(number, base)
                pieces.append(alphabet[digit])
                pieces.append(literal)
            out.append("".join(pieces))
        return out

    def overlaps(self, other: CodePattern) -> bool:
        """Whether one code could be written in both patterns."""
        a, b = self.text.upper(), other.text.upper()
        if len(a) != len(b):
            return False
        return all(x == y or (x == SLOT and y in ALPHABET) or (y == SLOT and x in ALPHABET)
                   for x, y in zip(a, b, strict=True))

    def too_many(self, count: int) -> str | None:
        """Why a batch of this pattern cannot hold ``count`` codes, or ``None``."""
        if count <= self.capacity:
            return None
        needed = self.slots
        while len(ALPHABET) ** needed // GUESS_ODDS < count:
            needed += 1
        return (f"{count:,} codes need a pattern of at least {needed} '#' ({self.text} has "
                f"{self.slots}: at most {self.capacity:,} codes, one per {GUESS_ODDS:,} it "
                "can write, so that a guessed code is rarely a valid one)")


def default_pattern(batch: str) -> str:
    """The pattern of a batch that names none: ``<BATCH>-####-####``."""
    return f"{batch.upper()}-{SLOT * 4}-{SLOT * 4}"


def pattern_problem(text: str) -> str | None:
    """What is wrong with a pattern as written, or ``None``."""
    if len(text) > MAX_PATTERN_LENGTH:
        return f"a coupon pattern has at most {MAX_PATTERN_LENGTH} characters"
    if not LITERALS.match(text.replace(SLOT, "")):
        return ("a coupon pattern holds '#' (one generated character each) and letters, "
                "digits, '-', '_' or '.' as they are")
    if text.count(SLOT) < MIN_SLOTS:
        bits = math.log2(len(ALPHABET)) * text.count(SLOT)
        return (f"a coupon pattern needs at least {MIN_SLOTS} '#' to be unguessable (got "
                f"{text.count(SLOT)}: about {bits:.0f} bits)")
    return None

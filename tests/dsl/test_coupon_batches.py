"""Coupon batches and metadata in the language: the keys, their load errors, the patterns."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsl import load_ruleset_text
from dsl.couponbatch import ALPHABET, GUESS_ODDS, LOOK_ALIKES, CodePattern, default_pattern
from dsl.errors import RulesetError

HEADER = """\
ruleset: batches
dsl: 1
currency: EUR
timezone: Europe/Berlin
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: original }
promotions:
"""


def load(promotions: str):  # type: ignore[no-untyped-def]
    return load_ruleset_text(HEADER + promotions)


def errors(promotions: str) -> list[tuple[str, int, int]]:
    with pytest.raises(RulesetError) as caught:
        load(promotions)
    return [(d.code, d.span.line, d.span.col) for d in caught.value.diagnostics]


def test_a_batch_promotion_takes_a_code_and_has_a_default_pattern() -> None:
    rules = load("""\
  - id: spring
    coupon_batch: SPRING-VIP
    effect: { percent_off: 15 }
  - id: autumn
    coupon_batch: autumn
    coupon_pattern: "AUT-#####-#####"
    effect: { percent_off: 15 }
""")
    spring, autumn = rules.promotions
    assert spring.is_coupon and spring.codes == ()
    assert spring.batch_pattern == CodePattern("SPRING-VIP-####-####")
    assert autumn.batch_pattern is not None and autumn.batch_pattern.slots == 10


def test_coupon_batch_with_written_codes_is_pr145() -> None:
    assert errors("""\
  - id: spring
    coupon: SPRING
    coupon_batch: SPRING-VIP
    effect: { percent_off: 15 }
""") == [("PR145", 9, 19)]


def test_coupon_pattern_without_a_batch_is_pr145() -> None:
    assert errors("""\
  - id: spring
    coupon: SPRING
    coupon_pattern: "SPRING-########"
    effect: { percent_off: 15 }
""") == [("PR145", 9, 21)]


def test_two_promotions_of_one_batch_or_overlapping_patterns_are_pr145() -> None:
    found = errors("""\
  - id: a
    coupon_batch: SPRING-VIP
    effect: { percent_off: 15 }
  - id: b
    coupon_batch: spring-vip
    effect: { percent_off: 10 }
  - id: c
    coupon_batch: OTHER
    coupon_pattern: "SPRIN#-VIP-####-####"
    effect: { percent_off: 5 }
""")
    assert found == [("PR145", 11, 19), ("PR145", 15, 21)]


def test_patterns_that_cannot_share_a_code_load() -> None:
    rules = load("""\
  - id: a
    coupon_batch: A
    coupon_pattern: "SPRING-#####-####"
    effect: { percent_off: 15 }
  - id: b
    coupon_batch: B
    coupon_pattern: "SPRING-####-####-#"
    effect: { percent_off: 10 }
  - id: c
    coupon_batch: C
    coupon_pattern: "SPRING-O####-####"
    effect: { percent_off: 5 }
""")  # (a's # never writes O)
    assert [p.id for p in rules.promotions] == ["a", "b", "c"]


@pytest.mark.parametrize("pattern", ["SPRING-####", "SPRING ########", "SPRÌNG-########",
                                     "#" * 8 + "x" * 93])
def test_a_pattern_that_cannot_make_unguessable_codes_is_pr146(pattern: str) -> None:
    assert errors(f"""\
  - id: spring
    coupon_batch: SPRING
    coupon_pattern: "{pattern}"
    effect: {{ percent_off: 15 }}
""") == [("PR146", 9, 21)]


def test_metadata_is_a_small_mapping_of_texts() -> None:
    rules = load("""\
  - id: acme
    effect: { percent_off: 10 }
    metadata: { funded_by: "seller:acme", cost_centre: "4711" }
""")
    assert rules.promotions[0].metadata == {"funded_by": "seller:acme", "cost_centre": "4711"}
    assert errors("""\
  - id: acme
    effect: { percent_off: 10 }
    metadata: { share: 50 }
""")[0][0] == "PR122"
    assert errors("""\
  - id: acme
    effect: { percent_off: 10 }
    metadata: { "funded by": acme }
""")[0][0] == "PR122"
    many = ", ".join(f"k{n}: v" for n in range(21))
    assert errors(f"""\
  - id: acme
    effect: {{ percent_off: 10 }}
    metadata: {{ {many} }}
""")[0][0] == "PR122"
    assert errors(f"""\
  - id: acme
    effect: {{ percent_off: 10 }}
    metadata: {{ note: "{'x' * 201}" }}
""")[0][0] == "PR135"


def test_the_alphabet_has_no_look_alikes() -> None:
    assert not set(ALPHABET) & set(LOOK_ALIKES)
    assert len(ALPHABET) == len(set(ALPHABET)) == 31


def test_capacity_keeps_guesses_rare() -> None:
    pattern = CodePattern("SPRING-####-####")
    assert pattern.space == 31 ** 8 == 852_891_037_441
    assert pattern.capacity == 852_891_037_441 // GUESS_ODDS == 8_528_910
    assert pattern.too_many(8_528_910) is None
    problem = pattern.too_many(8_528_911)
    assert problem is not None and "at least 9 '#'" in problem
    assert default_pattern("spring-vip") == "SPRING-VIP-####-####"


PATTERNS = st.builds(
    lambda parts: "".join(parts),
    st.lists(st.sampled_from(["#", "#", "#", "A", "Z", "0", "O", "1", "-", "_", "."]),
             min_size=0, max_size=12).map(lambda extra: ["#"] * 8 + extra).flatmap(st.permutations))


@given(PATTERNS, st.lists(st.integers(min_value=0), min_size=1, max_size=50))
def test_generated_codes_match_their_pattern_and_avoid_look_alikes(
        text: str, numbers: list[int]) -> None:
    pattern = CodePattern(text)
    numbers = [n % pattern.space for n in numbers]
    codes = pattern.fill(numbers)
    for code in codes:
        assert pattern.matches(code) and len(code) == len(text)
        drawn = [c for c, p in zip(code.upper(), text, strict=True) if p == "#"]
        assert all(c in ALPHABET for c in drawn) and not set(drawn) & set(LOOK_ALIKES)
    # different numbers, different codes: a batch's codes are as many as its numbers
    assert len(set(codes)) == len(set(numbers))

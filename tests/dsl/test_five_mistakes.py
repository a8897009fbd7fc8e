"""The issue's acceptance case: five different mistakes in one file, all reported."""

from pathlib import Path

import pytest

from dsl import RulesetError, load_ruleset

FIVE_MISTAKES = Path(__file__).parent / "data" / "five_mistakes.yaml"


def test_five_mistakes_reported_with_positions() -> None:
    with pytest.raises(RulesetError) as caught:
        load_ruleset(FIVE_MISTAKES)
    found = [(d.code, d.span.line, d.span.col) for d in caught.value.diagnostics]
    assert found == [
        ("PR126", 14, 40),  # until before from
        ("PR170", 16, 42),  # unknown field item.seler
        ("PR171", 22, 36),  # money compared with a string
        ("PR105", 23, 27),  # bare float money (in the first 'effect', which is kept)
        ("PR103", 24, 5),   # duplicate key 'effect'
    ]
    rendered = caught.value.render()
    assert "five_mistakes.yaml:16:42: PR170 unknown field 'seler' of item" in rendered
    assert "^^^^^^^^^^" in rendered

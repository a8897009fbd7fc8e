"""A checkout's reply nests the result's ``to_json()`` text: the same bytes as dumping
``to_dict()`` inside the reply (every bundled ruleset's sample carts, JPY included)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import dsl
from engine import compile_ruleset, parse_cart
from engine.service.context import encoded, encoded_with

RULESETS = Path(__file__).resolve().parents[2] / "rulesets"
CARTS = sorted(RULESETS.glob("*/carts/*.yaml"))


@pytest.mark.parametrize("cart_path", CARTS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_a_nested_result_is_the_bytes_dumping_it_gives(cart_path: Path) -> None:
    program = compile_ruleset(dsl.load_ruleset(cart_path.parent.parent / "ruleset.yaml"))
    result = program.evaluate(parse_cart(yaml.safe_load(cart_path.read_text(encoding="utf-8"))))
    head = {"order_ref": "o-1 «ü»", "uses": [], "ruleset_version": "abc"}
    assert encoded_with(head, "result", result.to_json()) == \
        encoded({**head, "result": result.to_dict()})


def test_the_japan_carts_are_among_them() -> None:
    assert any(p.parent.parent.name == "japan" for p in CARTS)

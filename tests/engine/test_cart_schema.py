"""The cart's JSON Schema states the caps the engine checks: carts it accepts, the engine
accepts; what it refuses here, the engine refuses too."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from dsl.errors import PromoError
from engine.cart import parse_cart
from engine.schemas import cart_schema

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "rulesets").glob("*/carts/*.yaml"))
VALIDATOR = jsonschema.Draft202012Validator(cart_schema())


def _sample(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(path.read_text()),
                                                 default=str))
    return data


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_every_sample_cart_fits_the_schema(path: Path) -> None:
    data = _sample(path)
    parse_cart(data)
    assert not list(VALIDATOR.iter_errors(data))


def _price(data: dict[str, Any], value: Any) -> None:
    data["lines"][0]["unit_price"] = value


REFUSED = {
    "three decimals in EUR": lambda d: _price(d, "9.999"),
    "a price over 10^15": lambda d: _price(d, "1000000000000001"),
    "a bare float price": lambda d: _price(d, 9.99),
    "a sku of 101 characters": lambda d: d["lines"][0].__setitem__("sku", "S" * 101),
    "21 coupons": lambda d: d.__setitem__("coupons", [f"C{n}" for n in range(21)]),
    "51 tags": lambda d: d["lines"][0].__setitem__("tags", [f"t{n}" for n in range(51)]),
    "a quantity over 10^9": lambda d: d["lines"][0].__setitem__("quantity", 10**9 + 1),
    "a year before 1900": lambda d: d.__setitem__("at", "1899-12-31T12:00:00+01:00"),
    "the 30th of February": lambda d: d.__setitem__("at", "2026-02-30T12:00:00"),
}


@pytest.mark.parametrize("change", REFUSED.values(), ids=REFUSED.keys())
def test_what_the_schema_refuses_the_engine_refuses(change: Any) -> None:
    data = copy.deepcopy(_sample(ROOT / "rulesets/fashion/carts/example.yaml"))
    change(data)
    assert list(VALIDATOR.iter_errors(data))
    with pytest.raises(PromoError):
        parse_cart(data)

"""A loaded ruleset is immutable and shared: same content, same compiled program;
one program prices carts from many threads at once."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import shutil
import threading
from pathlib import Path

import pydantic
import pytest

from dsl import load_ruleset, load_ruleset_text
from engine import compile_ruleset
from engine.cart import load_cart

RULESETS = Path(__file__).resolve().parents[2] / "rulesets"


def test_loading_the_same_content_again_reuses_the_compiled_program(tmp_path: Path) -> None:
    path = tmp_path / "ruleset.yaml"
    shutil.copy(RULESETS / "fashion" / "ruleset.yaml", path)
    first = load_ruleset(path)
    program = compile_ruleset(first)
    assert load_ruleset(path) is first
    assert load_ruleset(str(path)) is first
    assert compile_ruleset(load_ruleset(path)) is program

    path.write_text(path.read_text().replace("Summer sale", "Summer sale!"))
    changed = load_ruleset(path)
    assert changed is not first
    assert compile_ruleset(changed) is not program


def test_the_same_text_under_another_name_is_another_ruleset() -> None:
    text = (RULESETS / "fashion" / "ruleset.yaml").read_text()
    assert load_ruleset_text(text, name="a.yaml") is load_ruleset_text(text, name="a.yaml")
    assert load_ruleset_text(text, name="a.yaml") is not load_ruleset_text(text, name="b.yaml")


def test_a_loaded_ruleset_cannot_be_changed() -> None:
    ruleset = load_ruleset(RULESETS / "fashion" / "ruleset.yaml")
    with pytest.raises(pydantic.ValidationError):
        ruleset.currency = "USD"
    with pytest.raises(pydantic.ValidationError):
        ruleset.promotions[0].priority = 99
    assert isinstance(ruleset.promotions, tuple)
    with pytest.raises(AttributeError):
        ruleset.promotions.append(ruleset.promotions[0])  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["fashion", "grocery", "marketplace", "japan"])
def test_one_program_prices_carts_from_many_threads(name: str) -> None:
    program = compile_ruleset(load_ruleset(RULESETS / name / "ruleset.yaml"))
    carts = [load_cart(path) for path in sorted((RULESETS / name / "carts").glob("*.yaml"))]
    expected = [program.evaluate(cart).to_json() for cart in carts]
    shared = [program.evaluate(cart) for cart in carts]  # reasons not read yet
    failures: list[str] = []
    start = threading.Barrier(8)

    def work(seed: int) -> None:
        start.wait()
        for round_ in range(30):
            index = (seed + round_) % len(carts)
            if program.evaluate(carts[index]).to_json() != expected[index]:
                failures.append(f"cart {index} differs in thread {seed}")
            if shared[index].to_json() != expected[index]:  # reasons worked out by a thread
                failures.append(f"shared result {index} differs in thread {seed}")

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_a_result_pickles_and_copies_with_its_reasons() -> None:
    program = compile_ruleset(load_ruleset(RULESETS / "fashion" / "ruleset.yaml"))
    result = program.evaluate(load_cart(RULESETS / "fashion" / "carts" / "example.yaml"))
    assert pickle.loads(pickle.dumps(result)) == result
    copied = copy.deepcopy(result)
    assert copied == result and copied.to_json() == result.to_json()
    assert dataclasses.asdict(result)["rejected"] == result.rejected


def test_reasons_read_later_see_the_cart_as_it_was_priced() -> None:
    # marketplace rules read cart, customer and line attributes
    program = compile_ruleset(load_ruleset(RULESETS / "marketplace" / "ruleset.yaml"))
    for path in sorted((RULESETS / "marketplace" / "carts").glob("*.yaml")):
        cart = load_cart(path)
        expected = program.evaluate(cart).to_json()
        result = program.evaluate(cart)
        for attributes in [cart.attributes, cart.customer.attributes,
                           *(line.attributes for line in cart.lines)]:
            for key in list(attributes):
                attributes[key] = "changed"
        assert result.to_json() == expected, path.name

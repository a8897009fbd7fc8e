"""``promo test --examples N``: the declared invariants on N generated carts per ruleset.

The carts are drawn by hypothesis from the ruleset's vocabulary (``vocabulary.py``:
the literals its conditions compare with, its codes, moments in its windows,
prices from a cent up) and, when one breaks an invariant, shrunk to a small
cart that still does — the cart the report shows.  Hypothesis is the
``analysis`` extra (``pip install promorules[analysis]``): it is needed only
here, at run time, for its generation and shrinking.

    report = check_examples(["rulesets"], examples=200)
    print(format_examples(report)); report.failed
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from dsl.codes import BAD_OPTION
from dsl.errors import InputError
from dsl.lint import NOT_RULESET_DIRS, discover
from dsl.model import Ruleset
from dsl.records import record
from dsl.ruleset import analyze_file

from .. import Program, compile_ruleset
from .invariants import breaks, declared, witness_text
from .search import CartData, evaluate_data, roundings
from .vocabulary import SHIPPING_PRICES, Vocabulary, vocabulary


@record
class Checked:
    """One ruleset's invariants over its generated carts."""

    path: str
    invariants: tuple[str, ...]
    broken: tuple[str, ...] = ()
    cart: CartData | None = None  # the shrunk cart that breaks them


@dataclass
class ExamplesReport:
    examples: int
    checked: list[Checked] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(c.broken for c in self.checked)


def _hypothesis() -> Any:
    try:
        import hypothesis
    except ImportError:  # pragma: no cover - the extra is installed wherever tests run
        raise InputError("--examples generates carts with hypothesis: pip install "
                         "'promorules[analysis]'", code=BAD_OPTION) from None
    return hypothesis


def carts(ruleset: Ruleset, vocab: Vocabulary) -> Any:
    """A hypothesis strategy of cart data from ``vocab``."""
    st = _hypothesis().strategies
    unit = Decimal(1).scaleb(-ruleset.minor_units)

    def pick(values: Iterable[Any], *more: Any) -> Any:
        options = list(dict.fromkeys([*values, *more]))
        return st.sampled_from(options)

    price = st.one_of(pick(vocab.prices),
                      st.integers(1, 10**7).map(lambda k: Decimal(k) * unit))
    texts = {name: pick(vocab.values(f"item.{name}"), "") for name in
             ("category", "brand", "seller", "product")}
    tags = vocab.values("item.tags")
    line = st.fixed_dictionaries({
        **texts,
        "tags": st.lists(pick(tags), unique=True, max_size=len(tags)) if tags else st.just([]),
        "unit_price": price.map(str),
        "quantity": st.one_of(pick(vocab.quantities), st.integers(1, 1000)),
    })
    segments = vocab.values("customer.segments")
    shipping = st.none() | st.fixed_dictionaries({
        "method": pick(vocab.shipping_methods),
        "price": st.one_of(pick(SHIPPING_PRICES), price).map(lambda p: str(p.quantize(unit)))})

    @st.composite  # type: ignore[untyped-decorator]
    def cart(draw: Any) -> CartData:
        lines = draw(st.lists(line, min_size=1, max_size=8))
        data: CartData = {
            "id": "generated", "currency": ruleset.currency,
            "at": draw(pick(vocab.moments)).isoformat(),
            "customer": {"id": "c-1", "segments": draw(
                st.lists(pick(segments), unique=True) if segments else st.just([])),
                "orders": draw(pick([int(v) for v in vocab.numbers.get("customer.orders", [])],
                                    0, 1, 5))},
            "coupons": draw(st.lists(pick(vocab.codes), unique=True, max_size=20))
            if vocab.codes else [],
            "lines": [{"id": f"l{k + 1}", "sku": f"SKU-{k + 1}",
                       **{key: value for key, value in drawn.items() if value != ""}}
                      for k, drawn in enumerate(lines)],
        }
        chosen = draw(shipping)
        if chosen is not None:
            data["shipping"] = chosen
        return data

    return cart()


def check_ruleset(ruleset: Ruleset, path: str, examples: int) -> Checked:
    """Look for a cart that breaks one of ``ruleset``'s invariants among ``examples``."""
    invariants = ruleset.invariants
    assert invariants is not None
    hypothesis = _hypothesis()
    program: Program = compile_ruleset(ruleset)
    units = ruleset.minor_units
    names = tuple(declared(invariants, units))
    rounded = roundings(ruleset)

    def broken(data: CartData) -> bool:
        result = evaluate_data(program, data)
        return result is not None and bool(breaks(invariants, result, units, rounded))

    settings = hypothesis.settings(max_examples=examples, database=None, deadline=None,
                                   derandomize=True, report_multiple_bugs=False,
                                   suppress_health_check=list(hypothesis.HealthCheck))
    try:
        cart = hypothesis.find(carts(ruleset, vocabulary(ruleset)), broken, settings=settings)
    except hypothesis.errors.NoSuchExample:
        return Checked(path, names)
    result = evaluate_data(program, cart)
    assert result is not None
    return Checked(path, names, tuple(breaks(invariants, result, units, rounded)), cart)


def check_examples(paths: Iterable[str | Path], examples: int) -> ExamplesReport:
    """Every ruleset under ``paths`` that declares invariants, on ``examples`` carts each
    (files that do not load are left to the rule tests and lint)."""
    report = ExamplesReport(examples)
    for path in discover(paths):
        if path.parent.name in NOT_RULESET_DIRS:  # a rule test or a cart named on its own
            continue
        ruleset = analyze_file(path).ruleset
        if ruleset is not None and ruleset.invariants is not None:
            report.checked.append(check_ruleset(ruleset, str(path), examples))
    return report


def format_examples(report: ExamplesReport) -> str:
    out = []
    for checked in report.checked:
        if checked.broken:
            assert checked.cart is not None
            out.append(f"FAIL invariants of {checked.path}: a generated cart breaks "
                       f"{', '.join(checked.broken)}\n    cart: {witness_text(checked.cart)}")
        else:
            out.append(f"PASS invariants of {checked.path}: {report.examples:,} generated carts "
                       f"keep {', '.join(checked.invariants)}")
    failed = sum(1 for c in report.checked if c.broken)
    if not report.checked:
        out.append("no ruleset under the paths declares invariants")
    else:
        out.append(f"invariants: {len(report.checked) - failed} rulesets kept, {failed} broken")
    return "\n".join(out) + "\n"

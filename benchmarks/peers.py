"""The same eligibility conditions in other rule engines, and as hand-written lambdas.

The conditions are the ``when`` of the reference workload (``reference.py``),
which are built from shape objects (``SubtotalAtLeast(100)``, ...).  Each shape
is written here by hand in every language:

=================  ===========================================================
ours               ``engine.compile.compile_condition`` over ``Program.facts``
lambda             a hand-written Python lambda per shape over the same facts
zen-engine         GoRules ZEN expression language (Rust core); all conditions
                   of a cart batched into one compiled list expression
cel-python         CEL (on Lark); one compiled program per condition; money in
                   integer cents; ``qsum`` / ``qmax`` extension functions
rule-engine        rule-engine's language; one ``Rule`` per condition; Decimals
=================  ===========================================================

Every peer is checked against ours on every cart and condition.  A peer that
is not installed is skipped with one line saying so.  Install them with
``pip install -e '.[bench]'`` (or ``pip install zen-engine cel-python rule-engine``).

Representation choices (each peer gets its natural, fastest form):

* zen: numbers as floats in the context (zen reads them as decimals), dates as
  ``date("2026-07-01")``; ``max`` over no value is an error in zen, so
  ``max(...) >= x`` is guarded by ``some(...)`` (the same truth value: x > 0);
* CEL has no sum or max: ``qsum`` / ``qmax`` are registered as extension
  functions; CEL does not mix int and double, so money is in integer cents;
  dates are ISO strings (compared as strings, which orders them);
* rule-engine: ``$sum`` / ``$max`` built-ins; ``$max`` of nothing fails, so it is
  guarded with ``? :``; dates are ISO strings.
"""

from __future__ import annotations

import gc
import importlib.metadata
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from . import reference as r

ZERO = Decimal(0)


def _s(text: str) -> str:
    return '"' + text + '"'


def _items(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_s(v) for v in values) + "]"


# ====================================================== hand-written lambdas (baseline)


def lambda_when(atom: r.Atom) -> Callable[[Any], bool]:
    """A hand-written lambda over the engine's ``Facts`` for one ``when`` atom."""
    if isinstance(atom, r.SubtotalAtLeast):
        x = Decimal(atom.amount)
        return lambda f: f.cart["subtotal"] >= x
    if isinstance(atom, r.QuantityAtLeast):
        n = Decimal(atom.units)
        return lambda f: f.cart["quantity"] >= n
    if isinstance(atom, r.CategoryUnitsAtLeast):
        cat, n = atom.category, Decimal(atom.units)
        return lambda f: sum(ln["quantity"] for ln in f.lines if ln["category"] == cat) >= n
    if isinstance(atom, r.SellerTotalAtLeast):
        seller, x = atom.seller, Decimal(atom.amount)
        return lambda f: sum((ln["total"] for ln in f.lines if ln["seller"] == seller),
                             ZERO) >= x
    if isinstance(atom, r.BrandLinesAtLeast):
        brand, least = atom.brand, atom.lines
        return lambda f: sum(1 for ln in f.lines if ln["brand"] == brand) >= least
    if isinstance(atom, r.AnyTag):
        tag = atom.tag
        return lambda f: any(tag in ln["tags"] for ln in f.lines)
    if isinstance(atom, r.NoneFromSeller):
        seller = atom.seller
        return lambda f: all(ln["seller"] != seller for ln in f.lines)
    if isinstance(atom, r.MaxPriceAtLeast):
        cat, x = atom.category, Decimal(atom.amount)
        return lambda f: max((ln["unit_price"] for ln in f.lines if ln["category"] == cat),
                             default=ZERO) >= x
    if isinstance(atom, r.HasSegment):
        seg = atom.segment
        return lambda f: seg in f.customer["segments"]
    if isinstance(atom, r.LacksSegment):
        seg = atom.segment
        return lambda f: seg not in f.customer["segments"]
    if isinstance(atom, r.Orders):
        n = Decimal(atom.count)
        if atom.op == "==":
            return lambda f: f.customer["orders"] == n
        return lambda f: f.customer["orders"] >= n
    if isinstance(atom, r.WeekdayIn):
        days = frozenset(atom.days)
        return lambda f: f.cart["weekday"] in days
    if isinstance(atom, r.HourAtLeast):
        h = Decimal(atom.hour)
        return lambda f: f.cart["hour"] >= h
    if isinstance(atom, r.DateFrom):
        d = atom.date
        return lambda f: f.cart["date"] >= d
    if isinstance(atom, r.CountryIn):
        countries = frozenset(atom.countries)
        return lambda f: f.customer_attributes.get("country") in countries
    if isinstance(atom, r.ShippingMethodIs):
        m = atom.method
        return lambda f: f.cart["shipping_method"] == m
    if isinstance(atom, r.AnyOf):
        a, b = lambda_when(atom.left), lambda_when(atom.right)
        return lambda f: a(f) or b(f)
    raise TypeError(atom)


def lambda_and(atoms: tuple[r.Atom, ...]) -> Callable[[Any], bool]:
    fns = [lambda_when(a) for a in atoms]
    if len(fns) == 1:
        return fns[0]
    if len(fns) == 2:
        a, b = fns
        return lambda f: a(f) and b(f)
    if len(fns) == 3:
        a, b, c = fns
        return lambda f: a(f) and b(f) and c(f)
    return lambda f: all(fn(f) for fn in fns)


def lambda_target(target: r.Target) -> Callable[[dict[str, Any]], bool]:
    """A hand-written lambda over one of the engine's fact lines for one target shape."""
    t = target
    if isinstance(t, r.CategoryIs):
        cat = t.category
        return lambda ln: ln["category"] == cat
    if isinstance(t, r.CategoryIn):
        cats = frozenset(t.categories)
        return lambda ln: ln["category"] in cats
    if isinstance(t, r.SellerIs):
        s = t.seller
        return lambda ln: ln["seller"] == s
    if isinstance(t, r.SellerIn):
        ss = frozenset(t.sellers)
        return lambda ln: ln["seller"] in ss
    if isinstance(t, r.HasTag):
        tag = t.tag
        return lambda ln: tag in ln["tags"]
    if isinstance(t, r.BrandIs):
        b = t.brand
        return lambda ln: ln["brand"] == b
    if isinstance(t, r.SkuIn):
        if len(t.skus) == 1:
            sku = t.skus[0]
            return lambda ln: ln["sku"] == sku
        skus = frozenset(t.skus)
        return lambda ln: ln["sku"] in skus
    if isinstance(t, r.ProductIs):
        p = t.product
        return lambda ln: ln["product"] == p
    if isinstance(t, r.CategoryAndSeller):
        cat, s = t.category, t.seller
        return lambda ln: ln["category"] == cat and ln["seller"] == s
    if isinstance(t, r.CategoryNotSeller):
        cat, s = t.category, t.seller
        return lambda ln: ln["category"] == cat and ln["seller"] != s
    if isinstance(t, r.TagInCategories):
        tag, cats = t.tag, frozenset(t.categories)
        return lambda ln: tag in ln["tags"] and ln["category"] in cats
    if isinstance(t, r.CategoryPriceAtLeast):
        cat, x = t.category, Decimal(t.floor)
        return lambda ln: ln["category"] == cat and ln["unit_price"] >= x
    if isinstance(t, r.BrandNotTag):
        b, tag = t.brand, t.tag
        return lambda ln: ln["brand"] == b and tag not in ln["tags"]
    raise TypeError(t)


# ====================================================================== zen-engine


def zen_when(atom: r.Atom) -> str:
    a = atom
    if isinstance(a, r.SubtotalAtLeast):
        return f"cart.subtotal >= {a.amount}"
    if isinstance(a, r.QuantityAtLeast):
        return f"cart.quantity >= {a.units}"
    if isinstance(a, r.CategoryUnitsAtLeast):
        return f"sum(map(filter(lines, #.category == {_s(a.category)}), #.quantity)) >= {a.units}"
    if isinstance(a, r.SellerTotalAtLeast):
        return f"sum(map(filter(lines, #.seller == {_s(a.seller)}), #.total)) >= {a.amount}"
    if isinstance(a, r.BrandLinesAtLeast):
        return f"len(filter(lines, #.brand == {_s(a.brand)})) >= {a.lines}"
    if isinstance(a, r.AnyTag):
        return f"some(lines, {_s(a.tag)} in #.tags)"
    if isinstance(a, r.NoneFromSeller):
        return f"all(lines, #.seller != {_s(a.seller)})"
    if isinstance(a, r.MaxPriceAtLeast):
        cat = _s(a.category)
        return (f"(some(lines, #.category == {cat}) and "
                f"max(map(filter(lines, #.category == {cat}), #.unit_price)) >= {a.amount})")
    if isinstance(a, r.HasSegment):
        return f"{_s(a.segment)} in customer.segments"
    if isinstance(a, r.LacksSegment):
        return f"not ({_s(a.segment)} in customer.segments)"
    if isinstance(a, r.Orders):
        return f"customer.orders {a.op} {a.count}"
    if isinstance(a, r.WeekdayIn):
        return f"cart.weekday in {_items(a.days)}"
    if isinstance(a, r.HourAtLeast):
        return f"cart.hour >= {a.hour}"
    if isinstance(a, r.DateFrom):
        return f'date(cart.date) >= date("{a.date.isoformat()}")'
    if isinstance(a, r.CountryIn):
        return f"customer.attributes.country in {_items(a.countries)}"
    if isinstance(a, r.ShippingMethodIs):
        return f"cart.shipping_method == {_s(a.method)}"
    if isinstance(a, r.AnyOf):
        return f"({zen_when(a.left)} or {zen_when(a.right)})"
    raise TypeError(a)


def zen_context(f: Any) -> dict[str, Any]:
    return {
        "cart": {"subtotal": float(f.cart["subtotal"]), "quantity": int(f.cart["quantity"]),
                 "weekday": f.cart["weekday"], "hour": int(f.cart["hour"]),
                 "date": f.cart["date"].isoformat(),
                 "shipping_method": f.cart["shipping_method"]},
        "customer": {"segments": list(f.customer["segments"]),
                     "orders": int(f.customer["orders"]),
                     "attributes": dict(f.customer_attributes)},
        "lines": [{"category": ln["category"], "seller": ln["seller"], "brand": ln["brand"],
                   "tags": list(ln["tags"]), "unit_price": float(ln["unit_price"]),
                   "quantity": int(ln["quantity"]), "total": float(ln["total"])}
                  for ln in f.lines],
    }


# ====================================================================== CEL


def _cents(amount: int) -> int:
    return amount * 100


def cel_when(atom: r.Atom) -> str:
    a = atom
    if isinstance(a, r.SubtotalAtLeast):
        return f"cart.subtotal >= {_cents(a.amount)}"
    if isinstance(a, r.QuantityAtLeast):
        return f"cart.quantity >= {a.units}"
    if isinstance(a, r.CategoryUnitsAtLeast):
        return (f"qsum(lines.filter(l, l.category == {_s(a.category)}).map(l, l.quantity)) "
                f">= {a.units}")
    if isinstance(a, r.SellerTotalAtLeast):
        return (f"qsum(lines.filter(l, l.seller == {_s(a.seller)}).map(l, l.total)) "
                f">= {_cents(a.amount)}")
    if isinstance(a, r.BrandLinesAtLeast):
        return f"size(lines.filter(l, l.brand == {_s(a.brand)})) >= {a.lines}"
    if isinstance(a, r.AnyTag):
        return f"lines.exists(l, {_s(a.tag)} in l.tags)"
    if isinstance(a, r.NoneFromSeller):
        return f"lines.all(l, l.seller != {_s(a.seller)})"
    if isinstance(a, r.MaxPriceAtLeast):
        return (f"qmax(lines.filter(l, l.category == {_s(a.category)}).map(l, l.unit_price)) "
                f">= {_cents(a.amount)}")
    if isinstance(a, r.HasSegment):
        return f"{_s(a.segment)} in customer.segments"
    if isinstance(a, r.LacksSegment):
        return f"!({_s(a.segment)} in customer.segments)"
    if isinstance(a, r.Orders):
        return f"customer.orders {a.op} {a.count}"
    if isinstance(a, r.WeekdayIn):
        return f"cart.weekday in {_items(a.days)}"
    if isinstance(a, r.HourAtLeast):
        return f"cart.hour >= {a.hour}"
    if isinstance(a, r.DateFrom):
        return f'cart.date >= "{a.date.isoformat()}"'
    if isinstance(a, r.CountryIn):
        return (f"(has(customer.attributes.country) && "
                f"customer.attributes.country in {_items(a.countries)})")
    if isinstance(a, r.ShippingMethodIs):
        return f"cart.shipping_method == {_s(a.method)}"
    if isinstance(a, r.AnyOf):
        return f"({cel_when(a.left)} || {cel_when(a.right)})"
    raise TypeError(a)


def _minor(amount: Decimal) -> int:
    return int(amount * 100)


def cel_data(f: Any) -> dict[str, Any]:
    return {
        "cart": {"subtotal": _minor(f.cart["subtotal"]), "quantity": int(f.cart["quantity"]),
                 "weekday": f.cart["weekday"], "hour": int(f.cart["hour"]),
                 "date": f.cart["date"].isoformat(),
                 "shipping_method": f.cart["shipping_method"]},
        "customer": {"segments": list(f.customer["segments"]),
                     "orders": int(f.customer["orders"]),
                     "attributes": dict(f.customer_attributes)},
        "lines": [{"category": ln["category"], "seller": ln["seller"], "brand": ln["brand"],
                   "tags": list(ln["tags"]), "unit_price": _minor(ln["unit_price"]),
                   "quantity": int(ln["quantity"]), "total": _minor(ln["total"])}
                  for ln in f.lines],
    }


# ====================================================================== rule-engine


def re_when(atom: r.Atom) -> str:
    a = atom
    if isinstance(a, r.SubtotalAtLeast):
        return f"cart.subtotal >= {a.amount}"
    if isinstance(a, r.QuantityAtLeast):
        return f"cart.quantity >= {a.units}"
    if isinstance(a, r.CategoryUnitsAtLeast):
        return (f"$sum([l.quantity for l in lines if l.category == {_s(a.category)}]) "
                f">= {a.units}")
    if isinstance(a, r.SellerTotalAtLeast):
        return f"$sum([l.total for l in lines if l.seller == {_s(a.seller)}]) >= {a.amount}"
    if isinstance(a, r.BrandLinesAtLeast):
        return f"[l for l in lines if l.brand == {_s(a.brand)}].length >= {a.lines}"
    if isinstance(a, r.AnyTag):
        return f"$any([{_s(a.tag)} in l.tags for l in lines])"
    if isinstance(a, r.NoneFromSeller):
        return f"$all([l.seller != {_s(a.seller)} for l in lines])"
    if isinstance(a, r.MaxPriceAtLeast):
        prices = f"[l.unit_price for l in lines if l.category == {_s(a.category)}]"
        return f"({prices} ? $max({prices}) : 0) >= {a.amount}"
    if isinstance(a, r.HasSegment):
        return f"{_s(a.segment)} in customer.segments"
    if isinstance(a, r.LacksSegment):
        return f"not {_s(a.segment)} in customer.segments"
    if isinstance(a, r.Orders):
        return f"customer.orders {a.op} {a.count}"
    if isinstance(a, r.WeekdayIn):
        return f"cart.weekday in {_items(a.days)}"
    if isinstance(a, r.HourAtLeast):
        return f"cart.hour >= {a.hour}"
    if isinstance(a, r.DateFrom):
        return f'cart.date >= "{a.date.isoformat()}"'
    if isinstance(a, r.CountryIn):
        return f"customer.attributes.country in {_items(a.countries)}"
    if isinstance(a, r.ShippingMethodIs):
        return f"cart.shipping_method == {_s(a.method)}"
    if isinstance(a, r.AnyOf):
        return f"({re_when(a.left)} or {re_when(a.right)})"
    raise TypeError(a)


def re_context(f: Any) -> dict[str, Any]:
    return {
        "cart": {"subtotal": f.cart["subtotal"], "quantity": f.cart["quantity"],
                 "weekday": f.cart["weekday"], "hour": f.cart["hour"],
                 "date": f.cart["date"].isoformat(),
                 "shipping_method": f.cart["shipping_method"]},
        "customer": {"segments": tuple(f.customer["segments"]),
                     "orders": f.customer["orders"],
                     "attributes": dict(f.customer_attributes)},
        "lines": [{"category": ln["category"], "seller": ln["seller"], "brand": ln["brand"],
                   "tags": tuple(ln["tags"]), "unit_price": ln["unit_price"],
                   "quantity": ln["quantity"], "total": ln["total"]} for ln in f.lines],
    }


# ====================================================================== the peers


class Impl:
    """One way of evaluating every condition of a cart: ``run(ctx) -> [bool, ...]``."""

    name = ""
    package: str | None = None
    mode = ""

    def version(self) -> str | None:
        if self.package is None:
            return "-"
        try:
            return importlib.metadata.version(self.package)
        except importlib.metadata.PackageNotFoundError:
            return None

    def prepare(self, atoms: list[tuple[r.Atom, ...]], ours: list[Any]) -> None:
        raise NotImplementedError

    def context(self, facts: Any) -> Any:
        return facts

    def run(self, ctx: Any) -> list[bool]:
        raise NotImplementedError


class Ours(Impl):
    name = "ours (compile_condition)"
    mode = "one generated Python function per condition, over Program.facts"

    def prepare(self, atoms: list[tuple[r.Atom, ...]], ours: list[Any]) -> None:
        self.fns = ours

    def run(self, ctx: Any) -> list[bool]:
        return [bool(fn(ctx, None)) for fn in self.fns]


class Lambdas(Impl):
    name = "hand-written lambdas"
    mode = "one lambda per condition, over Program.facts"

    def prepare(self, atoms: list[tuple[r.Atom, ...]], ours: list[Any]) -> None:
        self.fns = [lambda_and(a) for a in atoms]

    def run(self, ctx: Any) -> list[bool]:
        return [bool(fn(ctx)) for fn in self.fns]


class Zen(Impl):
    name = "zen-engine"
    package = "zen-engine"
    mode = "all conditions of a cart in one compiled list expression"

    def prepare(self, atoms: list[tuple[r.Atom, ...]], ours: list[Any]) -> None:
        import zen

        texts = [" and ".join(zen_when(a) for a in group) for group in atoms]
        self.expression = zen.compile_expression("[" + ", ".join(texts) + "]")

    def context(self, facts: Any) -> Any:
        return zen_context(facts)

    def run(self, ctx: Any) -> list[bool]:
        return [bool(x) for x in self.expression.evaluate(ctx)]


class Cel(Impl):
    name = "cel-python"
    package = "cel-python"
    mode = "one program per condition (compiled runner where it works, else interpreted)"

    def prepare(self, atoms: list[tuple[r.Atom, ...]], ours: list[Any]) -> None:
        import celpy
        from celpy import celtypes

        def qsum(values: Any) -> Any:
            return sum(values, celtypes.IntType(0))

        def qmax(values: Any) -> Any:
            return max(values, default=celtypes.IntType(0))

        functions = {"qsum": qsum, "qmax": qmax}
        compiled_env = celpy.Environment(runner_class=celpy.CompiledRunner)
        interpreted_env = celpy.Environment()
        self.programs = []
        self.compiled = 0
        for group in atoms:
            text = " && ".join(cel_when(a) for a in group)
            try:
                program = compiled_env.program(compiled_env.compile(text), functions=functions)
                self.compiled += 1
            except Exception:  # cel-python 0.5's transpiler fails on macros and functions
                program = interpreted_env.program(interpreted_env.compile(text),
                                                  functions=functions)
            self.programs.append(program)
        self.mode = (f"one program per condition ({self.compiled} compiled, "
                     f"{len(self.programs) - self.compiled} interpreted)")

    def context(self, facts: Any) -> Any:
        from celpy.adapter import json_to_cel
        from celpy.celtypes import MapType, StringType

        data = json_to_cel(cel_data(facts))
        assert isinstance(data, MapType)  # cel_data is a JSON object
        return {"cart": data[StringType("cart")], "customer": data[StringType("customer")],
                "lines": data[StringType("lines")]}

    def run(self, ctx: Any) -> list[bool]:
        return [bool(p.evaluate(ctx)) for p in self.programs]


class RuleEngine(Impl):
    name = "rule-engine"
    package = "rule-engine"
    mode = "one Rule per condition"

    def prepare(self, atoms: list[tuple[r.Atom, ...]], ours: list[Any]) -> None:
        import rule_engine

        context = rule_engine.Context(resolver=rule_engine.resolve_item)
        self.rules = [rule_engine.Rule(" and ".join(re_when(a) for a in group),
                                       context=context) for group in atoms]

    def context(self, facts: Any) -> Any:
        return re_context(facts)

    def run(self, ctx: Any) -> list[bool]:
        return [bool(rule.matches(ctx)) for rule in self.rules]


PEERS: tuple[type[Impl], ...] = (Zen, Cel, RuleEngine)


def _timed(impl: Impl, contexts: list[Any], budget: float, min_carts: int,
           ) -> tuple[float, int]:
    """Median seconds per cart (all its conditions), and how many carts were timed.

    Cycles through the carts until ``budget`` seconds are spent and at least
    ``min_carts`` carts were evaluated (a slow peer gets few, a fast one many).
    """
    gc.collect()
    samples: list[float] = []
    spent = 0.0
    clock = time.perf_counter
    while len(samples) < max(1, min_carts) or spent < budget:
        ctx = contexts[len(samples) % len(contexts)]
        start = clock()
        impl.run(ctx)
        took = clock() - start
        samples.append(took)
        spent += took
        if len(samples) >= 20000:
            break
    return statistics.median(samples), len(samples)


def run_conditions(atoms: list[tuple[r.Atom, ...]], ours: list[Any], facts: list[Any],
                   budget: float, min_rounds: int, say: Callable[[str], None],
                   facts_us: float = 0.0) -> dict[str, Any]:
    """Evaluate every condition on every cart with ours, the lambdas and each peer.

    ``facts_us``: what building ``Program.facts`` costs per cart (the input of ours
    and of the lambdas; the peers' inputs are built from the facts).
    """
    rows: list[dict[str, object]] = []  # one per implementation, written out as JSON
    expected: list[list[bool]] | None = None
    base_time: float | None = None
    implementations: tuple[type[Impl], ...] = (Ours, Lambdas, *PEERS)
    for cls in implementations:
        impl = cls()
        version = impl.version()
        if version is None:
            rows.append({"name": impl.name, "skipped": f"not installed (pip install "
                                                      f"{impl.package})"})
            say(f"  {impl.name}: not installed, skipped (pip install {impl.package})")
            continue
        try:
            start = time.perf_counter()
            impl.prepare(atoms, ours)
            prepare_s = time.perf_counter() - start
            start = time.perf_counter()
            contexts = [impl.context(f) for f in facts]
            context_s = (time.perf_counter() - start) / len(facts)
            if isinstance(impl, (Ours, Lambdas)):
                context_s = facts_us / 1e6
            results = [impl.run(ctx) for ctx in contexts]
        except Exception as err:  # a peer that cannot run this workload: say why, go on
            rows.append({"name": impl.name, "skipped": f"failed: {type(err).__name__}: "
                                                       f"{str(err).splitlines()[0][:120]}"})
            say(f"  {impl.name}: FAILED to run ({type(err).__name__}: "
                f"{str(err).splitlines()[0][:120]}), skipped")
            continue
        mismatches = []
        if expected is None:
            expected = results
        else:
            for ci, (want, got) in enumerate(zip(expected, results, strict=True)):
                for k, (w, g) in enumerate(zip(want, got, strict=True)):
                    if w != g:
                        mismatches.append((ci, k, w, g))
        per_cart, carts = _timed(impl, contexts, budget, min_rounds)
        if base_time is None:
            base_time = per_cart
        rows.append({
            "name": impl.name, "version": version, "mode": impl.mode,
            "conditions": len(atoms), "carts": carts,
            "per_condition_us": per_cart / len(atoms) * 1e6,
            "conditions_per_s": len(atoms) / per_cart,
            "vs_ours": per_cart / base_time,
            "prepare_s": prepare_s, "context_us": context_s * 1e6,
            "mismatches": len(mismatches), "mismatch_examples": mismatches[:5],
        })
    return {"rows": rows}


def run_targets(targets: list[r.Target], ours: list[Any], facts: list[Any], budget: float,
                min_rounds: int) -> dict[str, Any]:
    """Item conditions (``target``): ours vs hand-written lambdas, over every line."""
    lambdas = [lambda_target(t) for t in targets]

    class _Ours(Impl):
        def run(self, f: Any) -> list[bool]:
            return [bool(fn(f, ln)) for fn in ours for ln in f.lines]

    class _Lambdas(Impl):
        def run(self, f: Any) -> list[bool]:
            return [bool(fn(ln)) for fn in lambdas for ln in f.lines]

    a, b = _Ours(), _Lambdas()
    mismatches = sum(x != y for f in facts for x, y in zip(a.run(f), b.run(f), strict=True))
    t_ours, carts = _timed(a, facts, budget, min_rounds)
    t_lambda, _ = _timed(b, facts, budget, min_rounds)
    lines = sum(len(f.lines) for f in facts) / len(facts)
    per = len(targets) * lines
    return {"targets": len(targets), "lines": lines, "carts": carts,
            "ours_us": t_ours / per * 1e6, "lambda_us": t_lambda / per * 1e6,
            "ratio": t_ours / t_lambda, "mismatches": mismatches}

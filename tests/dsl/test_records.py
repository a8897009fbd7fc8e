"""``@record`` behaves as ``@dataclass(frozen=True)``: the same class, made cheaper.

Each case declares one class twice from the same description, once with each
decorator, and holds everything a caller can see of them equal: the signature,
the instances' fields, repr, equality, hashes, order, ``replace``, ``asdict``,
pickling, copying, ``__match_args__``, the docstring and the refusal to change.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from dataclasses import KW_ONLY, FrozenInstanceError, dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl.errors import Diagnostic, Span
from dsl.expr.nodes import Compare, Number, Path
from dsl.records import record

# ---------------------------------------------------------------- generated classes

NAMES = ("a", "b", "c", "d", "e")


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    """A class: its fields (kind of default, kw_only, compare, hash, repr, init), order."""
    count = draw(st.integers(0, len(NAMES)))
    fields, defaulted = [], False
    for name in NAMES[:count]:
        kw_only = draw(st.booleans())
        init = draw(st.booleans()) if count else True
        default = draw(st.sampled_from(["none", "value", "factory"]))
        if not kw_only and init and defaulted and default == "none":
            default = "value"  # a positional parameter without a default after one with
        if not init and default == "none":
            default = "value"
        if not kw_only and init and default != "none":
            defaulted = True
        fields.append({"name": name, "kw_only": kw_only, "init": init, "default": default,
                       "compare": draw(st.booleans()), "repr": draw(st.booleans()),
                       "hash": draw(st.sampled_from([None, True, False]))})
    return {"fields": fields, "order": draw(st.booleans()), "doc": draw(st.booleans()),
            "post_init": draw(st.booleans())}


def declare(spec: dict[str, Any], decorate: Any) -> type:
    namespace: dict[str, Any] = {"__annotations__": {}, "__module__": __name__,
                                 "__qualname__": "Declared"}
    for f in spec["fields"]:
        namespace["__annotations__"][f["name"]] = "int | list[int]"
        options: dict[str, Any] = {"kw_only": f["kw_only"], "init": f["init"],
                                   "compare": f["compare"], "repr": f["repr"],
                                   "hash": f["hash"]}
        if f["default"] == "value":
            options["default"] = len(f["name"]) * 7
        elif f["default"] == "factory":
            options["default_factory"] = lambda: [1, 2]
        namespace[f["name"]] = field(**options)
    if spec["doc"]:
        namespace["__doc__"] = "A class."
    if spec["post_init"]:
        def __post_init__(self: Any) -> None:
            object.__setattr__(self, "seen", tuple(dataclasses.asdict(self)))
        namespace["__post_init__"] = __post_init__
    return decorate(type("Declared", (), namespace))  # type: ignore[no-any-return]


def arguments(spec: dict[str, Any], values: list[int]) -> tuple[list[Any], dict[str, Any]]:
    """Every init field given (as the dataclass orders them), from ``values``."""
    args, kwargs = [], {}
    for f, value in zip(spec["fields"], values, strict=False):
        if not f["init"]:
            continue
        if f["kw_only"]:
            kwargs[f["name"]] = value
        else:
            args.append(value)
    return args, kwargs


def seen(obj: Any) -> dict[str, Any]:
    """What a caller sees of one instance."""
    return {"fields": [(f.name, getattr(obj, f.name, "<unset>"))
                       for f in dataclasses.fields(obj)],
            "repr": repr(obj).replace("Declared", "X", 1), "dict": dict(vars(obj))}


@settings(max_examples=150, deadline=None)
@given(specs(), st.lists(st.integers(-3, 3), min_size=5, max_size=5),
       st.lists(st.integers(-3, 3), min_size=5, max_size=5))
def test_a_record_is_a_frozen_dataclass(spec: dict[str, Any], first: list[int],
                                        second: list[int]) -> None:
    order = spec["order"]
    theirs = declare(spec, dataclass(frozen=True, order=order))
    ours = declare(spec, record(order=order))
    assert str(inspect.signature(ours)) == str(inspect.signature(theirs))
    assert ours.__doc__ == theirs.__doc__
    assert ours.__match_args__ == theirs.__match_args__  # type: ignore[attr-defined]
    assert [f.name for f in dataclasses.fields(ours)] == \
        [f.name for f in dataclasses.fields(theirs)]
    pairs = []
    for values in (first, second):
        args, kwargs = arguments(spec, values)
        pairs.append((theirs(*args, **kwargs), ours(*args, **kwargs)))
    (t1, o1), (t2, o2) = pairs
    globals()["Declared"] = ours  # (pickle finds a class by its module and name)
    for t, o in pairs:
        assert seen(o) == seen(t)
        assert (o == copy.copy(o)) == (t == copy.copy(t))
        assert seen(pickle.loads(pickle.dumps(o))) == seen(o)
        assert seen(copy.deepcopy(o)) == seen(o)
        assert dataclasses.asdict(o) == dataclasses.asdict(t)
        try:
            expected_hash: Any = hash(t)
        except TypeError:
            expected_hash = TypeError
        try:
            our_hash: Any = hash(o)
        except TypeError:
            our_hash = TypeError
        assert our_hash == expected_hash
        for name in [f["name"] for f in spec["fields"]] + ["other"]:
            with pytest.raises(FrozenInstanceError):
                setattr(o, name, 1)
    assert (o1 == o2) == (t1 == t2)
    assert (o1 != o2) == (t1 != t2)
    assert (o1 == 1) is (t1 == 1) is False
    if order:
        for compare in ("__lt__", "__le__", "__gt__", "__ge__"):
            assert getattr(o1, compare)(o2) == getattr(t1, compare)(t2)
            assert getattr(o1, compare)(1) is NotImplemented
    changes = {f["name"]: 9 for f in spec["fields"] if f["init"]}
    assert seen(dataclasses.replace(o1, **changes)) == seen(dataclasses.replace(t1, **changes))


# ---------------------------------------------------------------- what dataclasses refuses


def test_a_method_of_the_class_own_is_kept_or_refused_as_dataclasses_does() -> None:
    @record
    class Shown:
        value: int

        def __repr__(self) -> str:
            return f"<{self.value}>"

    assert repr(Shown(3)) == "<3>"
    assert hash(Shown(3)) == hash((3,))  # __hash__ still from the fields
    for name in ("__setattr__", "__delattr__"):
        with pytest.raises(TypeError, match=f"cannot overwrite attribute {name}"):
            record(type("Bad", (), {"__annotations__": {"x": int}, name: lambda *a: None}))
    with pytest.raises(TypeError, match="cannot overwrite attribute __lt__"):
        record(order=True)(type("Bad", (), {"__annotations__": {"x": int},
                                             "__lt__": lambda *a: True}))


def test_a_record_derives_only_from_records() -> None:
    @dataclass
    class Plain:
        x: int

    with pytest.raises(TypeError, match="derives from a dataclass that is no record"):
        record(type("Sub", (Plain,), {"__annotations__": {"y": int}}))

    @record
    class Base:
        x: int
        _: KW_ONLY
        tag: str = "t"

    @record
    class Sub(Base):
        y: int = 0

    assert str(inspect.signature(Sub)) == "(x: 'int', y: 'int' = 0, *, tag: 'str' = 't') -> None"
    assert Sub(1, 2) == Sub(1, 2, tag="t") != Base(1)


# ---------------------------------------------------------------- the project's records


def test_the_condition_ast_and_diagnostics_keep_their_meaning() -> None:
    at, elsewhere = Span("a.yaml", 1, 1), Span("b.yaml", 9, 4)
    one = Compare(">=", Path(("cart", "subtotal"), span=at), Number(1, span=at), span=at)
    same = Compare(">=", Path(("cart", "subtotal"), span=elsewhere), Number(1),
                   span=elsewhere)
    assert one == same and hash(one) == hash(same)  # spans are left out of equality
    assert repr(one) == "Compare(op='>=', left=Path(parts=('cart', 'subtotal')), " \
                        "right=Number(value=1))"
    assert sorted([elsewhere, at]) == [at, elsewhere]  # Span is ordered
    first = Diagnostic("PR101", "bad", at, source_line="x")
    assert first == Diagnostic("PR101", "bad", at, source_line="y")  # (compare=False)
    assert dataclasses.replace(first, span=elsewhere).span is elsewhere
    with pytest.raises(FrozenInstanceError):
        first.code = "PR102"  # type: ignore[misc]


# ---------------------------------------------------------------- subclasses and the rest


def frozen(kind: str, order: bool = False) -> Any:
    """``@dataclass(frozen=True)`` or ``@record``: the decorator ``kind`` names."""
    return dataclass(frozen=True, order=order) if kind == "dataclass" else record(order=order)


def declared(kind: str, name: str, annotations: dict[str, Any], bases: tuple[type, ...] = (),
             order: bool = False, **body: Any) -> Any:
    return frozen(kind, order)(type(name, bases, {"__annotations__": annotations,
                                                  "__module__": __name__, **body}))


def seen_of_subclasses(kind: str) -> tuple[Any, ...]:
    """An ordered parent, a subclass that is not ordered and calls its parent's methods,
    and a plain subclass that sets an attribute of its own."""
    parent = declared(kind, "Parent", {"x": "int"}, order=True)

    def __repr__(self: Any) -> str:
        return "sub:" + super(Sub, self).__repr__()

    def __eq__(self: Any, other: Any) -> Any:
        return super(Sub, self).__eq__(other)

    Sub = declared(kind, "Sub", {"y": "int"}, (parent,), __repr__=__repr__, __eq__=__eq__)

    class Plain(parent):  # type: ignore[valid-type,misc]
        def __init__(self, x: int) -> None:
            super().__init__(x)
            self.note = "set"

    plain = Plain(4)
    del plain.note
    return (repr(Sub(1, 2)), Sub(1, 2) < Sub(1, 3), Sub(1, 2) == Sub(1, 3),
            hash(Sub(1, 2)) == hash((1, 2)), vars(Plain(4)), vars(plain),
            str(inspect.signature(Sub)))


def test_subclasses_of_a_record_behave_as_those_of_a_frozen_dataclass() -> None:
    assert seen_of_subclasses("record") == seen_of_subclasses("dataclass")


def test_init_is_made_in_the_class_module_and_checked_as_dataclasses_checks_it() -> None:
    theirs = declared("dataclass", "Point", {"x": "Decimal", "self": "int"})
    ours = declared("record", "Point", {"x": "Decimal", "self": "int"})
    import typing
    from decimal import Decimal  # noqa: F401 - what the annotations name

    globals()["Decimal"] = Decimal
    assert typing.get_type_hints(ours.__init__) == typing.get_type_hints(theirs.__init__)
    assert ours.__init__.__module__ == theirs.__init__.__module__ == __name__
    assert ours(1, self=2) == ours(1, 2) and vars(ours(1, 2)) == vars(theirs(1, 2))
    for kind in ("dataclass", "record"):
        with pytest.raises(TypeError, match="non-default argument 'b' follows default"):
            declared(kind, "Bad", {"a": int, "b": int}, a=1)


def test_what_records_do_not_support_is_refused() -> None:
    with pytest.raises(TypeError, match="InitVar 'seed' is not supported"):
        declared("record", "Seeded", {"x": int, "seed": dataclasses.InitVar[int]})


def test_abstract_methods_a_record_writes_are_no_longer_abstract() -> None:
    import abc

    class Shown(abc.ABC):
        @abc.abstractmethod
        def __repr__(self) -> str: ...

    for kind in ("dataclass", "record"):
        assert repr(declared(kind, "Concrete", {"x": int}, (Shown,))(1)) == "Concrete(x=1)"


def test_deeply_nested_records_print_as_deep_as_dataclasses() -> None:
    for kind in ("dataclass", "record"):
        box = declared(kind, "Box", {"inner": Any})
        value: Any = None
        for _ in range(240):
            value = box(value)
        assert repr(value).count("Box(") == 240


def test_init_is_compiled_when_first_read() -> None:
    from dsl import records

    lazy = declared("record", "Lazy", {"x": int, "y": int}, y=2, __doc__="Documented.")
    assert isinstance(lazy.__dict__["__init__"], records._LazyInit)  # declared, not compiled
    # (a class without a docstring is compiled at once: dataclasses writes its signature
    # as the docstring)

    class Plain(lazy):  # type: ignore[valid-type,misc]
        pass

    assert vars(Plain(1)) == {"x": 1, "y": 2}  # first made through a plain subclass
    assert lazy.__dict__["__init__"].__qualname__ == "Lazy.__init__"  # compiled, in place
    assert "__init__" not in Plain.__dict__
    other = declared("record", "Other", {"x": int}, __doc__="Documented.")
    assert isinstance(other.__dict__["__init__"], records._LazyInit)
    assert str(inspect.signature(other)) == "(x: int) -> None"  # read: compiled too
    assert not isinstance(other.__dict__["__init__"], records._LazyInit)


def test_a_lazy_init_is_decided_when_declared_and_called_as_it_is() -> None:
    from concurrent.futures import ThreadPoolExecutor

    for kind in ("dataclass", "record"):
        point = declared(kind, "Point", {"x": int, "y": int}, y=2, __doc__="Documented.")
        original = point.__dict__["__init__"]
        later = declared(kind, "Later", {"x": int}, __doc__="Documented.")
        later.__post_init__ = lambda self: object.__setattr__(self, "x", 100)
        assert later(1).x == 1  # (dataclasses decides on __post_init__ when declared)

        def wrapped(self: Any, *args: Any, original: Any = original) -> None:
            original(self, *args)  # the __init__ from the class's __dict__, called as it is

        point.__init__ = wrapped
        assert vars(point(1)) == {"x": 1, "y": 2}
        assert point.__dict__["__init__"] is wrapped  # (not put back when compiled)
    many = declared("record", "Many", {"x": int}, __doc__="Documented.")
    lazy = many.__dict__["__init__"]
    with ThreadPoolExecutor(8) as pool:  # the first instances made at once
        assert list(pool.map(lambda x: many(x).x, range(64))) == list(range(64))
    assert many.__dict__["__init__"] is lazy.compiled  # compiled once, and that one put in

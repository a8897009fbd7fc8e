"""``@record``: a frozen dataclass, made at a quarter of the cost.

``dataclasses.dataclass(frozen=True)`` writes six methods of each class as
source text and compiles them (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__``, ``__delattr__``; four more with ``order``): on
Python 3.11 about 0.3 ms a class, so the frozen classes a ``promo`` command
imports cost it more start-up time than any module of its own.  A record is
the same class, made another way:

* ``dataclasses.dataclass`` collects its fields (``fields()``, ``replace()``,
  ``asdict()``, pickling, ``__match_args__`` work as for any dataclass), with
  none of its methods written;
* ``__init__`` is written and compiled as dataclasses writes a frozen class's,
  in the class's module: the same parameters (defaults, ``default_factory``,
  ``kw_only``, fields with ``init=False``), each value set with
  ``object.__setattr__``, then ``__post_init__`` (the one method run per
  instance, as fast as theirs); it is compiled when first read (``_LazyInit``):
  most records a command imports are never made by a call (unpickling calls no
  ``__init__``);
* the others are closures made for the class, compiled once for all records:
  equality, hashing and order over the same tuples of fields dataclasses
  compares and hashes (read by one ``operator.attrgetter`` per class: equal
  records hash alike, and as before), ``repr`` as dataclasses writes it, and
  ``__setattr__`` / ``__delattr__`` raising ``FrozenInstanceError`` as theirs do
  (on the class's fields, and on any attribute of an instance of the class
  itself).

A method the class defines itself is kept, or refused, as dataclasses keeps or
refuses it.  Not supported: ``InitVar`` pseudo-fields (refused; none is used),
and a record that derives from a dataclass that is no record (refused).  One
difference is left: ``__dataclass_params__`` says ``frozen=False`` (records are
made with dataclasses' machinery minus its methods), so a stdlib dataclass
deriving from a record is checked as if the record were mutable (a frozen one is
refused, a mutable one accepted); none derives from one.  ``tests/dsl/test_records.py`` holds
records and frozen dataclasses equal in all a caller sees of them.
"""

from __future__ import annotations

import abc
import dataclasses
import operator
import reprlib
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")

_REFUSED = ("__setattr__", "__delattr__")  # as dataclasses refuses them on a frozen class
_ORDER = ("__lt__", "__le__", "__gt__", "__ge__")


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, order: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,
                                                             dataclasses.Field))
def record(cls: type[T] | None = None, /, *, order: bool = False) -> Any:
    """``@record`` or ``@record(order=True)``: as ``@dataclass(frozen=True[, order=True])``."""

    def make(cls: type[T]) -> type[T]:
        return _make(cls, order)

    return make if cls is None else make(cls)


def _make(cls: type[T], order: bool) -> type[T]:
    own = cls.__dict__
    for name in _REFUSED + (_ORDER if order else ()):
        if name in own:
            raise TypeError(f"cannot overwrite attribute {name} in class {cls.__name__}")
    # as dataclasses decides: a __hash__ of the class's own is kept, not the None that
    # Python sets beside an __eq__ of its own
    keep_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    undocumented = not cls.__doc__
    if undocumented:  # (else dataclasses reads a signature without the __init__ below)
        cls.__doc__ = "-"
    cls = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    if not getattr(cls, "__record__", False) and any(
            dataclasses.is_dataclass(base) for base in cls.__mro__[1:]):
        raise TypeError(f"record {cls.__qualname__} derives from a dataclass that is no record")
    initvar = getattr(dataclasses, "_FIELD_INITVAR", None)
    for name, spec in cls.__dataclass_fields__.items():  # type: ignore[attr-defined]
        if getattr(spec, "_field_type", None) is initvar:
            raise TypeError(f"record {cls.__qualname__}: InitVar {name!r} is not supported")
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    compared = _getter([f.name for f in fields if f.compare])
    # each method is made for its class (a subclass's own, or inherited as dataclasses'
    # are), over that class's fields; none is compiled but __init__
    methods: dict[str, Any] = {}  # (a method of the class's own is kept, as dataclasses keeps it)
    if "__init__" not in own:
        _check_parameters(fields)
        methods["__init__"] = _LazyInit(cls, fields)
    if "__repr__" not in own:
        methods["__repr__"] = _repr_of(tuple(f.name for f in fields if f.repr))
    if "__eq__" not in own:
        methods["__eq__"] = _eq_of(compared)
    if not keep_hash:
        methods["__hash__"] = _hash_of(_getter(
            [f.name for f in fields if (f.compare if f.hash is None else f.hash)]))
    if order:
        methods.update({name: _compare_of(name, compare, compared)
                        for name, compare in zip(_ORDER, _COMPARISONS, strict=True)})
    methods["__setattr__"], methods["__delattr__"] = _frozen_of(cls, {f.name for f in fields})
    for name, method in methods.items():
        if name != "__init__":
            method.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, method)
    cls.__record__ = True  # type: ignore[attr-defined]
    abc.update_abstractmethods(cls)
    if undocumented:  # the text dataclasses gives a class without a docstring
        import inspect

        try:
            signature = str(inspect.signature(cls)).replace(" -> None", "")
        except (TypeError, ValueError):
            signature = ""
        cls.__doc__ = cls.__name__ + signature
    return cls


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of ``names`` as a tuple (``attrgetter`` of one name gives the value)."""
    if not names:
        return lambda _: ()
    if len(names) == 1:
        one = operator.attrgetter(names[0])
        return lambda obj: (one(obj),)
    return operator.attrgetter(*names)


_MISSING = dataclasses.MISSING


class _Factory:
    """The default of a parameter whose field has a ``default_factory``."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _check_parameters(fields: tuple[dataclasses.Field[Any], ...]) -> None:
    """Refuse, when the class is declared, what ``__init__`` could not be written with."""
    defaulted = None
    for f in fields:
        if f.init and not f.kw_only:
            if defaulted and f.default is _MISSING and f.default_factory is _MISSING:
                raise TypeError(f"non-default argument {f.name!r} follows default "
                                f"argument {defaulted!r}")
            if not defaulted and (f.default is not _MISSING or
                                  f.default_factory is not _MISSING):
                defaulted = f.name


class _LazyInit:
    """A record's ``__init__`` until it is first read: then it is compiled (``_init``) and
    put in its place on the class.  Most records a command imports are never made by
    calling the class (a cached ruleset is unpickled, which calls no ``__init__``), and
    compiling is most of what declaring a record costs.  Reading it (``inspect``,
    ``help``, a first call) compiles it; called as it is (read from the class's
    ``__dict__``) it compiles and runs.  What it is compiled from is taken when the
    class is declared: the fields, whether it has ``__post_init__``, its module's
    globals.  (``inspect.getattr_static`` shows this object until then.)"""

    def __init__(self, owner: type, fields: tuple[dataclasses.Field[Any], ...]) -> None:
        self.owner, self.fields = owner, fields
        self.post_init = hasattr(owner, "__post_init__")
        module = sys.modules.get(owner.__module__)
        self.scope: dict[str, Any] = module.__dict__ if module is not None else {}
        self.compiled: Callable[..., None] | None = None

    def __get__(self, instance: Any, kind: type | None = None) -> Any:
        init = self.compiled
        if init is None:
            with _COMPILING:  # (two threads making the first instance compile it once)
                init = self.compiled
                if init is None:
                    init = _init(self.fields, self.post_init, self.scope)
                    init.__qualname__ = f"{self.owner.__qualname__}.__init__"
                    self.compiled = init
                    if self.owner.__dict__.get("__init__") is self:  # (not replaced since)
                        type.__setattr__(self.owner, "__init__", init)
        return init if instance is None else init.__get__(instance, kind)

    def __call__(self, instance: Any, *args: Any, **kwargs: Any) -> None:
        self.__get__(instance, type(instance))(*args, **kwargs)


_COMPILING = threading.Lock()


def _init(fields: tuple[dataclasses.Field[Any], ...], post_init: bool,
          scope: dict[str, Any]) -> Callable[..., None]:
    """``__init__`` as dataclasses writes a frozen class's, compiled in ``scope`` (the
    class's module's globals: its annotations resolve there)."""
    me = "__dataclass_self__" if any(f.name == "self" for f in fields) else "self"
    helpers: dict[str, Any] = {"__set": object.__setattr__, "__factory": _FACTORY}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for f in fields:
        if f.init:
            if f.default is not _MISSING:
                helpers[f"__default_{f.name}"] = f.default
                param = f"{f.name}=__default_{f.name}"
            elif f.default_factory is not _MISSING:
                helpers[f"__factory_{f.name}"] = f.default_factory
                param = f"{f.name}=__factory"
                body.append(f"if {f.name} is __factory: {f.name} = __factory_{f.name}()")
            else:
                param = f.name
            (keyword if f.kw_only else positional).append(param)
            body.append(f"__set({me}, {f.name!r}, {f.name})")
        elif f.default_factory is not _MISSING:  # (a default is read off the class)
            helpers[f"__factory_{f.name}"] = f.default_factory
            body.append(f"__set({me}, {f.name!r}, __factory_{f.name}())")
    if post_init:
        body.append(f"{me}.__post_init__()")
    params = ", ".join([me, *positional, *(["*", *keyword] if keyword else [])])
    source = (f"def __create_fn__({', '.join(helpers)}):\n"
              f" def __init__({params}):\n" + "".join(f"  {line}\n" for line in body or ["pass"])
              + " return __init__\n")
    made: dict[str, Any] = {}
    exec(source, scope, made)  # noqa: S102 - our own text
    init: Callable[..., None] = made["__create_fn__"](**helpers)
    init.__annotations__ = {**{f.name: f.type for f in fields if f.init}, "return": None}
    return init


def _repr_of(names: tuple[str, ...]) -> Callable[[Any], str]:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        shown = []
        for name in names:  # (a loop, not a generator: one frame less per nested record)
            shown.append(f"{name}={getattr(self, name)!r}")
        return f"{self.__class__.__qualname__}({', '.join(shown)})"
    return __repr__


def _eq_of(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented
    return __eq__


def _hash_of(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(key(self))
    return __hash__


_COMPARISONS = (operator.lt, operator.le, operator.gt, operator.ge)


def _compare_of(name: str, compare: Callable[[Any, Any], Any],
                key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return compare(key(self), key(other))
        return NotImplemented
    method.__name__ = name
    return method


def _frozen_of(owner: type, names: set[str]) -> tuple[Callable[..., None], Callable[..., None]]:
    """``__setattr__`` and ``__delattr__`` as dataclasses writes them for a frozen class."""
    fields = frozenset(names)
    cls: Any = owner

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in fields:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in fields:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__

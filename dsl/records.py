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
* ``__init__`` is written and compiled as dataclasses writes a frozen class's:
  the same parameters (defaults, ``default_factory``, ``kw_only``, fields with
  ``init=False``), each value set with ``object.__setattr__``, then
  ``__post_init__`` (the one method run per instance, as fast as theirs);
* the others are shared by every record: equality and hashing over the fields
  with ``compare`` (``hash``) read by one ``operator.attrgetter`` per class, the
  same tuples dataclasses compares and hashes, so equal records hash alike and
  as before; ``repr`` as dataclasses writes it; setting or deleting an attribute
  raises ``dataclasses.FrozenInstanceError``.

``InitVar`` pseudo-fields are not supported (none is used); a class that
defines one of the methods itself is refused, as dataclasses refuses it.
``tests/dsl/test_records.py`` holds records and dataclasses equal in behaviour.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from operator import attrgetter
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
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    methods: dict[str, Any] = {}  # (a method of the class's own is kept, as dataclasses keeps it)
    if "__init__" not in own:
        methods["__init__"] = _init(cls, fields)
        methods["__init__"].__qualname__ = f"{cls.__qualname__}.__init__"
    if "__repr__" not in own:
        methods["__repr__"] = _repr
    if "__eq__" not in own:
        methods["__eq__"] = _eq
    if not keep_hash:
        methods["__hash__"] = _hash
    if order:
        methods.update(__lt__=_lt, __le__=_le, __gt__=_gt, __ge__=_ge)
    compared = [f.name for f in fields if f.compare]
    hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
    for name, value in {**methods, "__setattr__": _setattr, "__delattr__": _delattr,
                        "__record__": True,
                        "__record_compared__": staticmethod(_getter(compared)),
                        "__record_hashed__": staticmethod(_getter(hashed)),
                        "__record_shown__": tuple(f.name for f in fields if f.repr)}.items():
        setattr(cls, name, value)
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
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names)


_MISSING = dataclasses.MISSING


class _Factory:
    """The default of a parameter whose field has a ``default_factory``."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _init(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
    """``__init__`` as dataclasses writes a frozen class's, compiled once for the class."""
    scope: dict[str, Any] = {"__set": object.__setattr__, "__factory": _FACTORY}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for f in fields:
        if f.init:
            if f.default is not _MISSING:
                scope[f"__default_{f.name}"] = f.default
                param = f"{f.name}=__default_{f.name}"
            elif f.default_factory is not _MISSING:
                scope[f"__factory_{f.name}"] = f.default_factory
                param = f"{f.name}=__factory"
                body.append(f"  if {f.name} is __factory: {f.name} = __factory_{f.name}()")
            else:
                param = f.name
            (keyword if f.kw_only else positional).append(param)
            body.append(f"  __set(self, {f.name!r}, {f.name})")
        elif f.default_factory is not _MISSING:  # (a default is read off the class)
            scope[f"__factory_{f.name}"] = f.default_factory
            body.append(f"  __set(self, {f.name!r}, __factory_{f.name}())")
    if hasattr(cls, "__post_init__"):
        body.append("  self.__post_init__()")
    params = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({params}):\n" + ("\n".join(body) or "  pass") + "\n"
    exec(source, scope)  # noqa: S102 - our own text, made of field names only
    init: Callable[..., None] = scope["__init__"]
    init.__annotations__ = {**{f.name: f.type for f in fields if f.init}, "return": None}
    return init


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_shown__)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return self.__record_compared__(self) == other.__record_compared__(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self.__record_hashed__(self))


def _lt(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return self.__record_compared__(self) < other.__record_compared__(other)
    return NotImplemented


def _le(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return self.__record_compared__(self) <= other.__record_compared__(other)
    return NotImplemented


def _gt(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return self.__record_compared__(self) > other.__record_compared__(other)
    return NotImplemented


def _ge(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return self.__record_compared__(self) >= other.__record_compared__(other)
    return NotImplemented


def _setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

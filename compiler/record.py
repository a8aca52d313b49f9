"""Value classes: the part of attrs that domc uses, cheap enough to create at start-up.

``@frozen`` (immutable), ``@define`` (mutable), ``field(...)``, ``evolve``,
``fields``, ``has`` and ``asdict`` mean what they mean in attrs (``docs/api.md`` there): fields come from
the class annotations in order (``ClassVar`` ones excepted), a base class's fields
first; ``kw_only``; ``eq=False`` keeps a field out of equality and hashing,
``repr=False`` out of ``repr``; ``order=True`` compares the fields as a tuple (a
field's ``order`` may be a key function); instances have ``__slots__``; frozen
ones are hashable and refuse assignment; ``evolve`` copies with changes and runs
``__post_init__`` as a new instance would.

attrs builds every class by generating and compiling several methods when the
class statement runs, which made importing domc's ~100 model classes cost more
than a compile.  Here a class costs one ``type()`` call.  Equality, hashing,
``repr``, ordering and ``evolve`` are shared functions reading the class's field
list (through ``operator.attrgetter``, in C).  ``__init__`` is made the first time
an instance is: from one compiled template per number of fields, its parameters
renamed and re-divided into positional and keyword-only ones (``code.replace``) and
its defaults attached, so a class costs no compile of its own either.
"""

from __future__ import annotations

import operator
import types

TYPE_CHECKING = False

if TYPE_CHECKING:  # typing costs a few milliseconds to import; annotations only
    from typing import Any, Callable


class _Nothing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOTHING"


NOTHING: Any = _Nothing()


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen instance."""


class Field:
    """One field of a record class (``fields(cls)`` lists them)."""

    __slots__ = ("name", "default", "factory", "eq", "repr", "kw_only", "order")

    def __init__(self, default=NOTHING, factory=None, eq=True, repr=True, kw_only=False,
                 order=True, name=""):
        if default is not NOTHING and factory is not None:
            raise TypeError("a field takes a default or a factory, not both")
        self.name = name
        self.default = default
        self.factory = factory
        self.eq = eq
        self.repr = repr
        self.kw_only = kw_only
        self.order = order

    def named(self, name: str, kw_only: bool) -> "Field":
        return Field(self.default, self.factory, self.eq, self.repr, self.kw_only or kw_only,
                     self.order, name)

    @property
    def has_default(self) -> bool:
        return self.default is not NOTHING or self.factory is not None

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def field(*, default=NOTHING, factory: Callable[[], Any] | None = None, eq: bool = True,
          repr: bool = True, kw_only: bool = False, order: bool | Callable = True) -> Any:
    return Field(default, factory, eq, repr, kw_only, order)


def frozen(cls=None, *, kw_only: bool = False, order: bool = False):
    """An immutable, hashable value class."""
    return _decorate(cls, True, kw_only, order)


def define(cls=None, *, kw_only: bool = False, order: bool = False):
    """A mutable class with the same generated ``__init__``, ``__eq__`` and ``__repr__``
    (not hashable: its value may change)."""
    return _decorate(cls, False, kw_only, order)


def fields(cls) -> tuple[Field, ...]:
    return cls.__record_fields__


def has(cls) -> bool:
    """Whether ``cls`` is a record class."""
    return isinstance(cls, type) and "__record_fields__" in cls.__dict__


def asdict(inst) -> dict:
    """The fields of ``inst`` as a dict, as ``attrs.asdict`` gives them: records inside
    become dicts, also inside tuples, lists, sets and dicts, which keep their types."""
    return {f.name: _plain_value(getattr(inst, f.name)) for f in inst.__record_fields__}


def _plain_value(v):
    if has(v.__class__):
        return asdict(v)
    if isinstance(v, (tuple, list, set, frozenset)):
        return v.__class__([_plain_value(x) for x in v])
    if isinstance(v, dict):
        return {_plain_value(k): _plain_value(x) for k, x in v.items()}
    return v


def evolve(inst, **changes):
    """A copy of ``inst`` with ``changes`` applied (``__post_init__`` runs on it)."""
    cls = inst.__class__
    try:
        new = cls.__record_copy__(inst, changes)
    except KeyError:
        index = cls.__record_index__
        unknown = sorted(set(changes) - set(index))
        if not unknown:
            raise
        raise TypeError(f"{cls.__qualname__} has no field {', '.join(unknown)}") from None
    if cls.__record_post_init__:
        new.__post_init__()
    return new


_new = object.__new__


def fill(inst, **values):
    """``inst`` with ``values`` set in place, for an instance no one else holds yet
    (made a moment ago by the caller's callee, not yet returned or stored anywhere):
    what ``evolve`` would give, without copying every field.  Only for classes without
    ``__post_init__`` (it would not run again)."""
    cls = inst.__class__
    assert not cls.__record_post_init__, f"{cls.__qualname__} has __post_init__"
    index, setters = cls.__record_index__, cls.__record_setters__
    try:
        for name, value in values.items():
            setters[index[name]](inst, value)
    except KeyError:
        raise TypeError(f"{cls.__qualname__} has no field {name}") from None
    return inst


# ------------------------------------------------------------------ class building


def _decorate(cls, is_frozen: bool, kw_only: bool, order: bool):
    if cls is None:
        return lambda c: _build(c, is_frozen, kw_only, order)
    return _build(cls, is_frozen, kw_only, order)


def _is_classvar(annotation) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar", "t.ClassVar"))
    return getattr(annotation, "__origin__", None) is not None and \
        "ClassVar" in repr(annotation)


def _build(cls, is_frozen: bool, kw_only: bool, order: bool):
    ns = dict(cls.__dict__)
    inherited: tuple[Field, ...] = ()
    for base in cls.__mro__[1:]:
        if "__record_fields__" in base.__dict__:
            inherited = base.__record_fields__
            break
    taken = {f.name for f in inherited}
    own = []
    for name, annotation in ns.get("__annotations__", {}).items():
        if _is_classvar(annotation):
            continue
        if name in taken:
            raise TypeError(f"{cls.__qualname__}.{name} redefines an inherited field")
        value = ns.pop(name, NOTHING)
        f = value if isinstance(value, Field) else Field(default=value)
        own.append(f.named(name, kw_only))
    all_fields = (*inherited, *own)
    seen_default = False
    for f in all_fields:
        if f.kw_only:
            continue
        if f.has_default:
            seen_default = True
        elif seen_default:
            raise TypeError(f"{cls.__qualname__}.{f.name}: a field without a default follows "
                            "one with a default (make it kw_only or give it a default)")
    for key in ("__dict__", "__weakref__"):
        ns.pop(key, None)
    ns["__slots__"] = tuple(f.name for f in own)
    ns["__record_fields__"] = all_fields
    # what the shared methods below read; a method the class writes itself is left
    # alone, as attrs does
    mine = {name for name in _METHODS if name in cls.__dict__}
    ns["__record_options__"] = (is_frozen, order)
    ns["__record_salt__"] = hash((cls.__module__, cls.__qualname__))
    ns["__record_eq__"] = staticmethod(_getter([f.name for f in all_fields if f.eq]))
    ns["__record_get__"] = staticmethod(_getter([f.name for f in all_fields], always_tuple=True))
    ns["__record_repr__"] = tuple(f.name for f in all_fields if f.repr)
    ns["__record_post_init__"] = hasattr(cls, "__post_init__")
    for name, fn in _METHODS.items():
        if name not in mine and (order or name not in _ORDER):
            ns[name] = fn
    if "__init__" not in mine:
        ns["__init__"] = _init_stub
    if not is_frozen:
        if "__hash__" not in mine:
            ns["__hash__"] = None  # mutable: its value, and so its hash, may change
    else:
        ns["__setattr__"] = _frozen_setattr
        ns["__delattr__"] = _frozen_delattr
    if order:
        keys = [(f.name, f.order) for f in all_fields if f.eq and f.order]
        if all(k is True for _, k in keys):
            ns["__record_order__"] = staticmethod(_getter([n for n, _ in keys], always_tuple=True))
        else:
            getters = [(operator.attrgetter(n), None if k is True else k) for n, k in keys]
            ns["__record_order__"] = staticmethod(
                lambda o: tuple(g(o) if k is None else k(g(o)) for g, k in getters))
    ns["__getstate__"] = _getstate
    ns["__setstate__"] = _setstate
    new = type(cls)(cls.__name__, cls.__bases__, ns)
    new.__record_put__ = tuple((f.name, getattr(new, f.name).__set__) for f in all_fields)
    new.__record_setters__ = tuple(put for _, put in new.__record_put__)
    new.__record_index__ = {f.name: i for i, f in enumerate(all_fields)}
    new.__record_copy__ = _copy_stub
    _fix_class_cells(cls, new)
    return new


def _getter(names: list[str], always_tuple: bool = False):
    """The values of ``names`` of an instance: a tuple (a lone value when there is one
    name, unless ``always_tuple``), read in C."""
    if not names:
        return lambda o: ()
    if len(names) == 1 and always_tuple:
        get = operator.attrgetter(names[0])
        return lambda o: (get(o),)
    return operator.attrgetter(*names)


def _fix_class_cells(old, new) -> None:
    """Methods using ``super()`` or ``__class__`` hold the class being replaced."""
    for value in old.__dict__.values():
        if isinstance(value, (classmethod, staticmethod)):
            value = value.__func__
        elif isinstance(value, property):
            value = value.fget
        code = getattr(value, "__code__", None)
        if code is None or "__class__" not in code.co_freevars:
            continue
        cell = value.__closure__[code.co_freevars.index("__class__")]
        if cell.cell_contents is old:
            cell.cell_contents = new


def _frozen_setattr(self, name, value):
    raise FrozenInstanceError(f"cannot assign to field {name!r} of a frozen "
                              f"{self.__class__.__qualname__}")


def _frozen_delattr(self, name):
    raise FrozenInstanceError(f"cannot delete field {name!r} of a frozen "
                              f"{self.__class__.__qualname__}")


def _getstate(self):
    return self.__record_get__(self)


def _setstate(self, state):
    for (_, put), value in zip(self.__record_put__, state):
        put(self, value)


# ------------------------------------------------------------------ shared methods


def _eq(self, other):
    if other.__class__ is not self.__class__:
        return NotImplemented
    key = self.__record_eq__
    return key(self) == key(other)


def _hash(self):
    return hash((self.__record_salt__, self.__record_eq__(self)))


def _repr(self):
    fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_repr__)
    return f"{self.__class__.__qualname__}({fields})"


def _compare(op):
    def method(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        key = self.__record_order__
        return op(key(self), key(other))
    return method


_ORDER = ("__lt__", "__le__", "__gt__", "__ge__")
_METHODS = {"__eq__": _eq, "__hash__": _hash, "__repr__": _repr,
            **{name: _compare(op) for name, op in zip(_ORDER, (operator.lt, operator.le,
                                                                operator.gt, operator.ge))}}


# ------------------------------------------------------------------ __init__


def _init_stub(self, *args, **kwargs):
    cls = self.__class__
    owner = next(k for k in cls.__mro__ if k.__dict__.get("__init__") is _init_stub)
    type.__setattr__(owner, "__init__", _make_init(owner))
    return owner.__init__(self, *args, **kwargs)


def init_source(n: int, factories: tuple[int, ...], post_init: bool) -> str:
    """``def __init__(self, p0, ..., pN-1)`` setting slot i from pi through ``_si``
    (``_fi()`` when pi is NOTHING, for a field with a factory)."""
    params = "".join(f", p{i}" for i in range(n))
    lines = [f"def __init__(self{params}):"]
    for i in range(n):
        value = f"_f{i}() if p{i} is NOTHING else p{i}" if i in factories else f"p{i}"
        lines.append(f"    _s{i}(self, {value})")
    if post_init:
        lines.append("    self.__post_init__()")
    if n == 0 and not post_init:
        lines.append("    pass")
    return "\n".join(lines) + "\n"


def copy_source(n: int) -> str:
    """``def copy(inst, changes)`` for a class of ``n`` fields: its field values read
    in C, ``changes`` put in (a KeyError for a name that is no field), each slot of a
    new instance set in straight-line code."""
    return "\n".join(["def copy(inst, changes):",
                      "    values = _get(inst)",
                      "    if changes:",
                      "        values = list(values)",
                      "        for name, value in changes.items():",
                      "            values[_index[name]] = value",
                      "    new = _new(inst.__class__)",
                      *(f"    _s{i}(new, values[{i}])" for i in range(n)),
                      "    return new"]) + "\n"


def shapes(cls) -> tuple[tuple, int]:
    """The template keys of record class ``cls``: (its ``__init__``'s, its copy's)."""
    fs = cls.__record_fields__
    params = [f for f in fs if not f.kw_only] + [f for f in fs if f.kw_only]
    factories = tuple(i for i, f in enumerate(params) if f.factory is not None)
    return (len(params), factories, bool(cls.__record_post_init__)), len(fs)


# the templates compiled so far, by key; those of domc's own classes come compiled
# ahead of time (compiler/_record_code.py, written by tools/record_code.py: loading
# bytecode costs a fraction of compiling the source at run time)
_TEMPLATES: dict[tuple, types.CodeType] = {}
_COPY_TEMPLATES: dict[int, types.CodeType] = {}
_AHEAD: list = []


def _ahead() -> tuple[dict, dict]:
    if not _AHEAD:
        from . import _record_code as ahead

        _AHEAD.append((ahead.INITS, ahead.COPIES))
    return _AHEAD[0]


def _template(n: int, factories: tuple[int, ...], post_init: bool) -> types.CodeType:
    """The code of :func:`init_source` for this shape: made once per shape."""
    key = (n, factories, post_init)
    code = _TEMPLATES.get(key)
    if code is None:
        made = _ahead()[0].get(key)
        if made is None:
            ns: dict = {}
            exec(compile(init_source(n, factories, post_init), "<record __init__>", "exec"), ns)
            made = ns["__init__"]
        code = _TEMPLATES[key] = made.__code__.replace(co_name="__init__")
    return code


def _copy_stub(inst, changes):
    """``cls.__record_copy__(inst, changes)``, what :func:`evolve` copies with: made for
    the class on first use (see :func:`_make_copy`)."""
    cls = inst.__class__
    owner = next(k for k in cls.__mro__ if k.__dict__.get("__record_copy__") is _copy_stub)
    type.__setattr__(owner, "__record_copy__", staticmethod(_make_copy(owner)))
    return owner.__record_copy__(inst, changes)


def _make_copy(cls):
    """The copy function of ``cls`` (:func:`copy_source`, one template per number of
    fields): evolve is called about forty times per compiled domain, and a loop over
    the setters cost a quarter more."""
    n = len(cls.__record_fields__)
    code = _COPY_TEMPLATES.get(n)
    if code is None:
        made = _ahead()[1].get(n)
        if made is None:
            ns: dict = {}
            exec(compile(copy_source(n), "<record copy>", "exec"), ns)
            made = ns["copy"]
        code = _COPY_TEMPLATES[n] = made.__code__.replace(co_name="copy")
    env: dict[str, Any] = {"_get": cls.__record_get__, "_index": cls.__record_index__,
                           "_new": _new}
    for i, put in enumerate(cls.__record_setters__):
        env[f"_s{i}"] = put
    return types.FunctionType(code.replace(co_qualname=f"{cls.__qualname__}.__record_copy__"),
                              env, "copy")


def _make_init(cls):
    """``cls.__init__``: its positional fields, then its keyword-only ones, in order."""
    fs = cls.__record_fields__
    params = [f for f in fs if not f.kw_only] + [f for f in fs if f.kw_only]
    put = dict(cls.__record_put__)
    env: dict[str, Any] = {"NOTHING": NOTHING}
    factories = []
    for i, f in enumerate(params):
        env[f"_s{i}"] = put[f.name]
        if f.factory is not None:
            env[f"_f{i}"] = f.factory
            factories.append(i)
    n_pos = sum(not f.kw_only for f in fs)
    code = _template(len(params), tuple(factories), cls.__record_post_init__).replace(
        co_varnames=("self", *(f.name for f in params)), co_argcount=1 + n_pos,
        co_kwonlyargcount=len(params) - n_pos, co_qualname=f"{cls.__qualname__}.__init__")

    def default(f: Field):
        return NOTHING if f.factory is not None else f.default

    positional_defaults = tuple(default(f) for f in params[:n_pos] if f.has_default)
    fn = types.FunctionType(code, env, "__init__", positional_defaults or None)
    fn.__kwdefaults__ = {f.name: default(f) for f in params[n_pos:] if f.has_default} or None
    return fn

"""Value classes: the part of attrs that domc uses, cheap enough to create at start-up.

``@frozen`` (immutable), ``@define`` (mutable), ``field(...)``, ``evolve`` and
``fields`` mean what they mean in attrs (``docs/api.md`` there): fields come from
the class annotations in order (``ClassVar`` ones excepted), a base class's fields
first; ``kw_only``; ``eq=False`` keeps a field out of equality and hashing,
``repr=False`` out of ``repr``; ``order=True`` compares the fields as a tuple (a
field's ``order`` may be a key function); instances have ``__slots__``; frozen
ones are hashable and refuse assignment; ``evolve`` copies with changes and runs
``__post_init__`` as a new instance would.

attrs builds every class by generating and compiling several methods when the
class statement runs, which made importing domc's ~100 model classes cost more
than a compile.  Here a class costs one ``type()`` call; its methods are compiled
(all together, once) the first time an instance is made, so a run pays only for
the classes it uses.
"""

from __future__ import annotations

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


def evolve(inst, **changes):
    """A copy of ``inst`` with ``changes`` applied."""
    cls = inst.__class__
    try:
        evolve_ = cls.__dict__["__record_evolve__"]
    except KeyError:
        _materialize(cls)
        evolve_ = cls.__dict__["__record_evolve__"]
    if changes and not changes.keys() <= cls.__record_names__:
        unknown = ", ".join(sorted(changes.keys() - cls.__record_names__))
        raise TypeError(f"{cls.__qualname__} has no field {unknown}")
    return evolve_(inst, changes)


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
    ns["__record_names__"] = frozenset(f.name for f in all_fields)
    ns["__record_options__"] = (is_frozen, order)
    # the methods compile on first use: these stand in for them until then (a method
    # the class writes itself is left alone, as attrs does)
    mine = {name for name in _GENERATED if name in cls.__dict__}
    generated = [n for n in _GENERATED if n not in mine and (order or n not in _ORDER)
                 and (is_frozen or n != "__hash__")]
    for name in generated:
        ns[name] = _STUBS[name]
    if not is_frozen and "__hash__" not in mine:
        ns["__hash__"] = None  # mutable: its value, and so its hash, may change
    if is_frozen:
        ns["__setattr__"] = _frozen_setattr
        ns["__delattr__"] = _frozen_delattr
    ns["__record_generated__"] = tuple(generated)
    ns["__getstate__"] = _getstate
    ns["__setstate__"] = _setstate
    new = type(cls)(cls.__name__, cls.__bases__, ns)
    _fix_class_cells(cls, new)
    return new


def _fix_class_cells(old, new) -> None:
    """Methods using ``super()`` or ``__class__`` hold the class being replaced."""
    for value in new.__dict__.values():
        fn = getattr(value, "__func__", value)
        for cell in getattr(fn, "__closure__", None) or ():
            try:
                if cell.cell_contents is old:
                    cell.cell_contents = new
            except ValueError:  # an empty cell
                pass


def _frozen_setattr(self, name, value):
    raise FrozenInstanceError(f"cannot assign to field {name!r} of a frozen "
                              f"{self.__class__.__qualname__}")


def _frozen_delattr(self, name):
    raise FrozenInstanceError(f"cannot delete field {name!r} of a frozen "
                              f"{self.__class__.__qualname__}")


def _getstate(self):
    return tuple(getattr(self, f.name) for f in self.__record_fields__)


def _setstate(self, state):
    for f, value in zip(self.__record_fields__, state):
        object.__setattr__(self, f.name, value)


# ------------------------------------------------------------------ generated methods

_ORDER = ("__lt__", "__le__", "__gt__", "__ge__")
_GENERATED = ("__init__", "__repr__", "__eq__", "__hash__", *_ORDER)


def _stub(name: str):
    def stub(self, *args, **kwargs):
        cls = _owner(self.__class__, name)
        _materialize(cls)
        return getattr(cls, name)(self, *args, **kwargs)
    stub.__name__ = name
    return stub


def _owner(cls, name: str):
    """The class in ``cls``'s ancestry whose stub ``name`` is being called."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass
    raise AssertionError(name)


_STUBS = {name: _stub(name) for name in _GENERATED}


def _materialize(cls) -> None:
    """Compile ``cls``'s methods (once) and put them in place of the stubs."""
    if "__record_evolve__" in cls.__dict__:
        return
    fs = cls.__record_fields__
    is_frozen, order = cls.__record_options__
    env: dict[str, Any] = {"NOTHING": NOTHING, "_new": object.__new__, "_cls": cls}
    lines: list[str] = []

    # __init__ and the evolve copy set slots through their descriptors, which frozen
    # __setattr__ does not stand in front of
    for i, f in enumerate(fs):
        env[f"_s{i}"] = getattr(cls, f.name).__set__
        if f.default is not NOTHING:
            env[f"_d{i}"] = f.default
        if f.factory is not None:
            env[f"_f{i}"] = f.factory
    positional = [(i, f) for i, f in enumerate(fs) if not f.kw_only]
    keyword = [(i, f) for i, f in enumerate(fs) if f.kw_only]

    def param(i: int, f: Field) -> str:
        if f.default is not NOTHING:
            return f"{f.name}=_d{i}"
        if f.factory is not None:
            return f"{f.name}=NOTHING"
        return f.name

    params = [param(i, f) for i, f in positional]
    if keyword:
        params += ["*", *(param(i, f) for i, f in keyword)]
    post_init = "__post_init__" in dir(cls)
    body = []
    for i, f in enumerate(fs):
        if f.factory is not None:
            body.append(f"    _s{i}(self, _f{i}() if {f.name} is NOTHING else {f.name})")
        else:
            body.append(f"    _s{i}(self, {f.name})")
    if post_init:
        body.append("    self.__post_init__()")
    lines.append(f"def __init__(self, {', '.join(params)}):" if params else "def __init__(self):")
    lines += body or ["    pass"]

    lines.append("def __record_evolve__(self, changes):")
    lines.append("    new = _new(_cls)")
    for i, f in enumerate(fs):
        lines.append(f"    _s{i}(new, changes['{f.name}'] if '{f.name}' in changes else self.{f.name})")
    if post_init:
        lines.append("    new.__post_init__()")
    lines.append("    return new")

    shown = [f for f in fs if f.repr]
    parts = ", ".join(f"{f.name}={{self.{f.name}!r}}" for f in shown)
    lines.append("def __repr__(self):")
    lines.append(f"    return f'{{self.__class__.__qualname__}}({parts})'")

    compared = [f for f in fs if f.eq]
    mine = "".join(f"self.{f.name}, " for f in compared)
    theirs = "".join(f"other.{f.name}, " for f in compared)
    lines += ["def __eq__(self, other):",
              "    if other.__class__ is not self.__class__:",
              "        return NotImplemented",
              f"    return ({mine}) == ({theirs})"]
    if is_frozen:
        env["_salt"] = hash((cls.__module__, cls.__qualname__))
        lines += ["def __hash__(self):", f"    return hash((_salt, {mine}))"]
    if order:
        keyed = []
        for i, f in enumerate(fs):
            if f.eq and f.order:
                if callable(f.order):
                    env[f"_k{i}"] = f.order
                    keyed.append((f"_k{i}(self.{f.name})", f"_k{i}(other.{f.name})"))
                else:
                    keyed.append((f"self.{f.name}", f"other.{f.name}"))
        left = "".join(a + ", " for a, _ in keyed)
        right = "".join(b + ", " for _, b in keyed)
        for name, op in zip(_ORDER, ("<", "<=", ">", ">=")):
            lines += [f"def {name}(self, other):",
                      "    if other.__class__ is not self.__class__:",
                      "        return NotImplemented",
                      f"    return ({left}) {op} ({right})"]
    code = compile("\n".join(lines) + "\n", f"<record {cls.__module__}.{cls.__qualname__}>", "exec")
    exec(code, env)
    for name in ("__record_evolve__", *cls.__record_generated__):
        fn = env[name]
        fn.__qualname__ = f"{cls.__qualname__}.{name}"
        type.__setattr__(cls, name, fn)

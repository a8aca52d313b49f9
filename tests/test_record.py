"""compiler.record: the attrs subset the model is written in (frozen, define, field,
evolve), with the meaning attrs gives it."""

from __future__ import annotations

import copy
import pickle
import re
from pathlib import Path
from typing import ClassVar

import pytest

from compiler.record import FrozenInstanceError, asdict, define, evolve, field, fields, frozen, has

PACKAGE = Path(__file__).resolve().parents[1] / "compiler"


@frozen
class Point:
    x: int
    y: int = 0
    label: str = field(default="", eq=False, repr=False)
    kind: ClassVar[str] = "point"


@frozen(kw_only=True)
class Base:
    a: int
    tags: list = field(factory=list)


@frozen(kw_only=True)
class Child(Base):
    b: str = "b"


@frozen(order=True)
class Loc:
    leaf: int
    reg: str = field(order=lambda r: "dcba".index(r))


@define
class Counter:
    n: int = 0
    seen: list = field(factory=list)


@frozen
class Checked:
    n: int

    def __post_init__(self) -> None:
        if self.n < 0:
            raise ValueError("negative")


@frozen
class OwnRepr:
    v: int

    def __repr__(self) -> str:
        return "mine"


def test_init_defaults_and_classvars():
    p = Point(1)
    assert (p.x, p.y, p.label) == (1, 0, "")
    assert [f.name for f in fields(Point)] == ["x", "y", "label"]
    assert Point.kind == "point" and not hasattr(p, "__dict__")
    with pytest.raises(TypeError):
        Point()
    with pytest.raises(TypeError):
        Point(1, 2, "l", 4)


def test_eq_hash_and_repr_leave_out_what_they_are_told_to():
    assert Point(1, 2, "a") == Point(1, 2, "b")
    assert hash(Point(1, 2, "a")) == hash(Point(1, 2, "b"))
    assert Point(1, 2) != Point(2, 1)
    assert len({Point(1), Point(1, label="x"), Point(2)}) == 2
    assert repr(Point(1, 2, "hidden")) == "Point(x=1, y=2)"
    assert Point(1) != (1, 0) and Point(1).__eq__((1, 0)) is NotImplemented
    assert repr(OwnRepr(3)) == "mine" and OwnRepr(3) == OwnRepr(3)


def test_frozen_refuses_assignment():
    p = Point(1)
    with pytest.raises(FrozenInstanceError):
        p.x = 2
    with pytest.raises(AttributeError):
        del p.y
    assert p.x == 1


def test_factories_make_a_new_value_each_time():
    one, two = Base(a=1), Base(a=2)
    assert one.tags == [] and one.tags is not two.tags
    assert Base(a=1, tags=[3]).tags == [3]


def test_inheritance_and_kw_only():
    c = Child(a=1, b="x")
    assert [f.name for f in fields(Child)] == ["a", "tags", "b"]
    assert repr(c) == "Child(a=1, tags=[], b='x')"
    assert c != Base(a=1)  # another class is never equal
    with pytest.raises(TypeError):
        Child(1)  # keyword only
    assert isinstance(c, Base)


def test_evolve():
    p = Point(1, 2, "a")
    q = evolve(p, y=5)
    assert (q.x, q.y, q.label) == (1, 5, "a") and (p.y, type(q)) == (2, Point)
    assert evolve(Child(a=1), b="z") == Child(a=1, b="z")
    with pytest.raises(TypeError, match="no field z"):
        evolve(p, z=1)
    with pytest.raises(ValueError):
        evolve(Checked(1), n=-1)  # a new instance is checked as one made directly


def test_order_uses_the_key():
    assert Loc(1, "a") > Loc(1, "d")  # 'a' sorts after 'd' by the key
    assert sorted([Loc(2, "d"), Loc(1, "a"), Loc(1, "b")]) == [Loc(1, "b"), Loc(1, "a"), Loc(2, "d")]
    with pytest.raises(TypeError):
        Point(1) < Point(2)  # noqa: B015 (no order asked for)


def test_define_is_mutable_and_unhashable():
    c = Counter()
    c.n += 1
    c.seen.append(1)
    assert c == Counter(1, [1]) and Counter().seen == []
    with pytest.raises(TypeError):
        hash(c)


def test_post_init_runs():
    with pytest.raises(ValueError):
        Checked(-1)


def test_copy_and_pickle():
    p = Point(1, 2, "a")
    for q in (copy.copy(p), copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert q == p and q.label == "a" and q is not p
    c = Child(a=1, tags=[1])
    assert pickle.loads(pickle.dumps(c)) == c


def test_class_mistakes_are_refused():
    with pytest.raises(TypeError, match="without a default follows"):
        @frozen
        class Bad:
            a: int = 0
            b: int

    with pytest.raises(TypeError, match="redefines"):
        @frozen(kw_only=True)
        class Again(Base):
            a: int = 2


def test_no_module_uses_attrs():
    """One implementation of the model's classes: evolve() of one kind on the other's
    instances would fail."""
    users = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
             if re.search(r"^\s*(from attrs?\b|import attrs?\b)", p.read_text(), re.M)]
    assert users == [], "use compiler.record (frozen, define, field, evolve) instead of attrs"


@frozen
class Named:
    n: int

    def describe(self) -> str:
        return f"{__class__.__name__} {self.n}"  # the zero-argument super() cell

    @property
    def twice(self) -> int:
        return super().__hash__() and self.n * 2


def test_methods_see_the_built_class():
    assert Named(2).describe() == "Named 2" and Named(2).twice == 4


@frozen
class Outer:
    inner: Point
    items: tuple = ()
    table: dict = field(factory=dict)


def test_asdict_and_has_as_in_attrs():
    o = Outer(Point(1, 2, "l"), (Point(3), 4, frozenset({5})), {"k": (Point(6),)})
    got = asdict(o)
    assert got == {"inner": {"x": 1, "y": 2, "label": "l"},
                   "items": ({"x": 3, "y": 0, "label": ""}, 4, frozenset({5})),
                   "table": {"k": ({"x": 6, "y": 0, "label": ""},)}}
    assert type(got["items"]) is tuple  # attrs.asdict keeps collection types
    assert has(Outer) and has(Child) and not has(int) and not has(Outer(Point(1)))


def _record_code_tool():
    import importlib.util

    path = PACKAGE.parent / "tools" / "record_code.py"
    spec = importlib.util.spec_from_file_location("record_code_tool", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_the_ahead_of_time_templates_are_current():
    # compiler/_record_code.py is what tools/record_code.py writes for today's classes:
    # a new shape of record class fails here until the tool is run again
    tool = _record_code_tool()
    assert (PACKAGE / "_record_code.py").read_text() == tool.source(), \
        "compiler/_record_code.py is out of date: run python3 tools/record_code.py"


def test_known_shapes_use_the_ahead_of_time_code_and_new_ones_compile():
    from compiler import _record_code, record

    @frozen
    class Known:  # the shape of Point: two plain fields, one with a default
        x: int
        y: int = 0

    init_key, copy_key = record.shapes(Known)
    assert init_key in _record_code.INITS and copy_key in _record_code.COPIES
    k = Known(1)
    assert evolve(k, y=5) == Known(1, 5)
    assert Known.__init__.__code__.co_filename == _record_code.__file__
    assert Known.__record_copy__.__code__.co_filename == _record_code.__file__

    names = [f"f{i}" for i in range(57)]  # no class of domc has 57 fields
    Wide = frozen(type("Wide", (), {"__annotations__": {n: "int" for n in names},
                                     **{n: field(factory=lambda: 7) for n in names[50:]}}))
    init_key, copy_key = record.shapes(Wide)
    assert init_key not in _record_code.INITS and copy_key not in _record_code.COPIES
    w = Wide(*range(50))
    assert [getattr(w, n) for n in names] == [*range(50)] + [7] * 7
    assert evolve(w, f56=1).f56 == 1 and evolve(w, f56=1).f0 == 0
    assert Wide.__init__.__code__.co_filename == "<record __init__>"

"""Every registered device kind has a fixture domain that compiles, and the kind's own
emitter puts its option into the argv (STYLE §5: a new kind touches one place, and this
test fails until that place has a fixture).

A fixture is ``fixtures/domains/<tag>.xml``; its leading comment says what the kind
emits, as ``emits: OPTION [VALUE]``.  VALUE is the QEMU driver of a JSON value
(``-device virtio-rng-pci``), or the first word of a plain one; without it the option
alone must appear (``-vnc``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from compiler.api import compile_file, make_env
from compiler.devices import DEVICE_KINDS
from compiler.devices.base import DeviceKind, EmitCtx

from ..conftest import ROOT, SEED_HOST

FIXTURES = ROOT / "fixtures" / "domains"
_EMITS = re.compile(r"^\s*emits:\s*(\S+)(?:\s+(\S+))?\s*$", re.M)


def fixture_of(kind: DeviceKind) -> Path:
    return FIXTURES / f"{kind.tag}.xml"


def missing_fixtures(kinds) -> list[str]:
    return [k.tag for k in kinds if not fixture_of(k).is_file()]


def emits(path: Path) -> tuple[str, str | None]:
    """(option, value) from the ``emits:`` line of the fixture's leading comment."""
    root = etree.parse(str(path)).getroot()
    comment = root.getprevious()
    m = _EMITS.search(comment.text) if comment is not None else None
    assert m, f"{path.relative_to(ROOT)}: the leading comment needs an 'emits: OPTION [VALUE]' line"
    return m.group(1), m.group(2)


def _value_is(value: str, want: str) -> bool:
    if value.startswith("{"):
        return json.loads(value).get("driver") == want
    return re.split(r"[,=]", value, maxsplit=1)[0] == want


def gives(argv: list[str], option: str, value: str | None) -> bool:
    return any(
        word == option and (value is None or (i + 1 < len(argv) and _value_is(argv[i + 1], value)))
        for i, word in enumerate(argv)
    )


def test_every_registered_kind_has_a_fixture():
    assert missing_fixtures(DEVICE_KINDS) == [], (
        "registered device kinds without fixtures/domains/<tag>.xml"
    )


def test_a_kind_without_a_fixture_is_caught():
    fake = DeviceKind(tag="no-such-kind", cls=object, from_xml=lambda r: None, emit=lambda d, c: [])
    assert missing_fixtures((*DEVICE_KINDS, fake)) == ["no-such-kind"]


def test_every_fixture_belongs_to_a_kind():
    tags = {k.tag for k in DEVICE_KINDS}
    assert sorted(p.stem for p in FIXTURES.glob("*.xml") if p.stem not in tags) == []


@pytest.mark.parametrize("kind", DEVICE_KINDS, ids=lambda k: k.tag)
def test_fixture_compiles_and_the_kind_emits(kind, monkeypatch):
    path = fixture_of(kind)
    if not path.is_file():
        pytest.fail(f"device kind <{kind.tag}> has no fixture {path.relative_to(ROOT)}")
    monkeypatch.chdir(ROOT)
    result = compile_file(str(path.relative_to(ROOT)), make_env(host_root=str(SEED_HOST)))
    option, value = emits(path)
    argv = list(result.argv)
    assert gives(argv, option, value), f"the argv has no {option} {value or ''}"
    # ...and it is this kind's emitter that writes it, not a default of another kind
    mine = [d for d in result.domain.devices if d.kind_tag == kind.tag]
    assert mine, f"{path.name} compiles to no <{kind.tag}> device"
    ctx = EmitCtx(dom=result.domain, machine_family=result.domain.os.family)
    own = [word for d in mine for word in kind.emit(d, ctx)]
    assert gives(own, option, value), f"<{kind.tag}> itself emits {own}, not {option} {value or ''}"


@pytest.mark.parametrize("argv,option,value,expected", [
    (["-device", '{"driver":"virtio-rng-pci","id":"rng0"}'], "-device", "virtio-rng-pci", True),
    (["-device", '{"driver":"virtio-rng-ccw"}'], "-device", "virtio-rng-pci", False),
    (["-vnc", "127.0.0.1:0"], "-vnc", None, True),
    (["-chardev", "pty,id=charserial0"], "-chardev", "pty", True),
    (["-chardev"], "-chardev", "pty", False),
    (["-spice", "port=5900"], "-vnc", None, False),
])
def test_gives(argv, option, value, expected):
    assert gives(argv, option, value) is expected

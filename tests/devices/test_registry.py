"""Every registered device kind has a fixture domain that compiles, and the kind's own
emitter puts its option into the argv (STYLE §5: a new kind touches one place, and this
test fails until that place has a fixture).  The whole argv (one word per line, as in
tests/test_golden.py) and the normalized XML of each fixture are snapshotted; a new
kind's snapshots come from ``pytest --snapshot-update`` and are reviewed line by line.

A fixture is ``fixtures/domains/<tag>.xml``; its leading comment says what the kind
emits, as ``emits: OPTION [VALUE]``.  VALUE is the QEMU driver of a JSON value
(``-device virtio-rng-pci``), or the first word of a plain one; without it the option
alone must appear (``-vnc``).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from compiler.record import evolve, frozen
from lxml import etree

from compiler.api import compile_file, make_env
from compiler.devices import BY_ELEMENT, BY_TAG, DEVICE_KINDS
from compiler.devices.base import (ArgvPosition, DeviceKind, EmitCtx, FixedSlot, PciConnect,
                                   PciGroup, UsbOrder, device_arg, pci_props, read_common)
from compiler.emit import argv as argv_module
from compiler.emit.argv import emit_argv
from compiler.model import Device, PciAddr
from compiler.parse import parse_bytes, parse_file
from compiler.emit.xml import write_normalized
from compiler.pipeline import normalize

from ..conftest import ROOT, SEED_HOST

FIXTURES = ROOT / "fixtures" / "domains"
SNAPSHOTS = Path(__file__).parent / "__snapshots__" / "test_registry.ambr"
# a fixed host CPU and the captured seed host: no snapshot depends on this machine
HOST_CPU = ROOT / "fixtures" / "hosts" / "server.xml"
_EMITS = re.compile(r"^\s*emits:\s*(\S+)(?:\s+(\S+))?\s*$", re.M)


def fixture_of(kind: DeviceKind) -> Path:
    return FIXTURES / f"{kind.tag}.xml"


def missing_fixtures(kinds) -> list[str]:
    return [k.tag for k in kinds if not fixture_of(k).is_file()]


def compile_fixture(kind: DeviceKind, monkeypatch):
    path = fixture_of(kind)
    if not path.is_file():
        pytest.fail(f"device kind <{kind.tag}> has no fixture {path.relative_to(ROOT)}")
    monkeypatch.chdir(ROOT)
    return compile_file(str(path.relative_to(ROOT)),
                        make_env(host=str(HOST_CPU), host_root=str(SEED_HOST)))


_SNAPSHOT_NAME = re.compile(
    r"^# name: test_fixture_snapshots\[(?P<tag>[^\]]+)\]\[(?P<what>\w+)\]$", re.M)


def missing_snapshots(kinds, ambr: str) -> list[str]:
    """Tags of the kinds whose argv or normalized-XML snapshot the .ambr text lacks."""
    have = {(m["tag"], m["what"]) for m in _SNAPSHOT_NAME.finditer(ambr)}
    return [k.tag for k in kinds if not {(k.tag, "argv"), (k.tag, "normalized")} <= have]


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
    fake = DeviceKind(tag="no-such-kind", cls=object, from_xml=lambda r: None, emit=lambda d, c: [],
                      pci_group=lambda d: PciGroup.NONE, pci_connect=lambda d: PciConnect.NONE)
    assert missing_fixtures((*DEVICE_KINDS, fake)) == ["no-such-kind"]


def test_every_fixture_belongs_to_a_kind():
    tags = {k.tag for k in DEVICE_KINDS}
    assert sorted(p.stem for p in FIXTURES.glob("*.xml") if p.stem not in tags) == []


def test_every_registered_kind_has_snapshots():
    ambr = SNAPSHOTS.read_text() if SNAPSHOTS.is_file() else ""
    assert missing_snapshots(DEVICE_KINDS, ambr) == [], (
        f"registered device kinds without argv/normalized snapshots in "
        f"{SNAPSHOTS.relative_to(ROOT)}: run `python3 -m pytest --snapshot-update "
        f"tests/devices/test_registry.py` and review every new snapshot")


def test_a_kind_without_snapshots_is_caught():
    ambr = ("# name: test_fixture_snapshots[rng][argv]\n"
            "# name: test_fixture_snapshots[rng][normalized]\n"
            "# name: test_fixture_snapshots[tpm][argv]\n")
    kinds = [k for k in DEVICE_KINDS if k.tag in ("rng", "tpm", "vsock")]
    assert missing_snapshots(kinds, ambr) == ["tpm", "vsock"]


# Kinds whose fixture domc still compiles differently from libvirt 9.0, as (why, the argv
# word libvirt emits).  Their snapshot holds libvirt's output; the test checks that word
# first, so it fails (an expected failure until domc is fixed; strict, so the fix has to
# take the kind off this list) before `--snapshot-update` could write domc's line over it.
KNOWN_WRONG: dict = {}  # tag -> (why, the argv word libvirt 9.0 writes)


def _snapshot_cases() -> list:
    return [pytest.param(k, id=k.tag, marks=pytest.mark.xfail(reason=KNOWN_WRONG[k.tag][0],
                                                              strict=True))
            if k.tag in KNOWN_WRONG else pytest.param(k, id=k.tag) for k in DEVICE_KINDS]


@pytest.mark.parametrize("kind", _snapshot_cases())
def test_fixture_snapshots(kind, snapshot, monkeypatch):
    result = compile_fixture(kind, monkeypatch)
    if kind.tag in KNOWN_WRONG:
        assert KNOWN_WRONG[kind.tag][1] in result.argv, KNOWN_WRONG[kind.tag][0]
    assert "\n".join(result.argv) == snapshot(name="argv")
    assert write_normalized(result.root, result.domain).decode() == snapshot(name="normalized")


@pytest.mark.parametrize("kind", DEVICE_KINDS, ids=lambda k: k.tag)
def test_fixture_compiles_and_the_kind_emits(kind, monkeypatch):
    path = fixture_of(kind)
    result = compile_fixture(kind, monkeypatch)
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


# ----------------------------------------------------------------- per-kind facts


def _fixture_devices(kind: DeviceKind):
    dom, _ = parse_file(str(fixture_of(kind)))
    return dom, [d for d in dom.devices if d.kind_tag == kind.tag]


@pytest.mark.parametrize("kind", DEVICE_KINDS, ids=lambda k: k.tag)
def test_every_kind_states_its_pci_facts(kind):
    dom, devices = _fixture_devices(kind)
    assert devices
    for d in devices:
        group, connect = kind.pci_group(d), kind.pci_connect(d)
        assert isinstance(group, PciGroup) and isinstance(connect, PciConnect)
        if kind.wants_pci(d, dom):
            assert group is not PciGroup.NONE and connect is not PciConnect.NONE


@pytest.mark.parametrize("missing", ["pci_group", "pci_connect"])
def test_a_kind_without_its_pci_facts_is_refused(missing):
    facts = {"pci_group": lambda d: PciGroup.NONE, "pci_connect": lambda d: PciConnect.NONE}
    del facts[missing]
    with pytest.raises(TypeError, match=missing):
        DeviceKind(tag="x", cls=object, from_xml=lambda r: None, emit=lambda d, c: [], **facts)


def test_a_usb_kind_without_a_usb_order_is_refused():
    with pytest.raises(TypeError, match="usb_order"):
        DeviceKind(tag="x", cls=object, from_xml=lambda r: None, emit=lambda d, c: [],
                   pci_group=lambda d: PciGroup.NONE, pci_connect=lambda d: PciConnect.NONE,
                   wants_usb=lambda d, dom: True)


def test_usb_orders_are_per_kind():
    orders = [k.usb_order for k in DEVICE_KINDS if k.usb_order is not None]
    assert len(set(orders)) == len(orders), "two kinds share a turn in the USB order"
    # hubs go first: the ports they open are there for every other kind
    assert min(orders, key=lambda o: o.value) is UsbOrder.HUB
    assert [k.tag for k in DEVICE_KINDS if k.usb_order is UsbOrder.HUB] == ["hub"]


@pytest.mark.parametrize("kind", DEVICE_KINDS, ids=lambda k: k.tag)
def test_each_kind_emits_at_its_argv_position(kind, monkeypatch):
    """The kind's own words sit before -sandbox (DEVICES) or after it (LATE)."""
    assert isinstance(kind.argv_position, ArgvPosition)
    mark = f"@{kind.tag}@"
    marked = evolve(kind, emit=lambda d, ctx: [mark, *kind.emit(d, ctx)])
    monkeypatch.setattr(argv_module, "DEVICE_KINDS",
                        tuple(marked if k is kind else k for k in DEVICE_KINDS))
    monkeypatch.chdir(ROOT)
    path = str(fixture_of(kind).relative_to(ROOT))
    argv = list(compile_file(path, make_env(host_root=str(SEED_HOST))).argv)
    assert mark in argv
    late = [i > argv.index("-sandbox") for i, w in enumerate(argv) if w == mark]
    assert set(late) == {kind.argv_position is ArgvPosition.LATE}


# ------------------------------------------------ a new kind touches one module


@frozen(kw_only=True)
class Beacon(Device):
    """A made-up PCI device, to show a new kind needs nothing outside its module."""

    tag = "beacon"


BEACON_SLOT = PciAddr(0, 0, 0x1C, 0)


def _beacon_emit(d, ctx):
    return device_arg("pci-testdev", {"id": d.alias, **pci_props(d, ctx)})


def _beacon_implicit(devices, dom, family):
    if any(isinstance(d, Beacon) for d in devices):
        return devices
    return devices + (Beacon(span=dom.span),)


BEACON = DeviceKind(tag="beacon", cls=Beacon, from_xml=lambda r: Beacon(**read_common(r)),
                    emit=_beacon_emit, pci_group=lambda d: PciGroup.WATCHDOG,
                    pci_connect=lambda d: PciConnect.PCI, wants_pci=lambda d, dom: True,
                    alias=lambda d, n, dom: f"beacon{n}", argv_position=ArgvPosition.LATE,
                    fixed_slot=lambda d, nth, family: FixedSlot((BEACON_SLOT,)) if nth == 0
                    else None, implicit=_beacon_implicit)


def register(monkeypatch, kind: DeviceKind) -> None:
    """What the one registry line does: every view of the registry gains the kind."""
    kinds, by_tag = (*DEVICE_KINDS, kind), {**BY_TAG, kind.tag: kind}
    element = kind.element or kind.tag
    by_element = {**BY_ELEMENT, element: (*BY_ELEMENT.get(element, ()), kind)}
    for name, module in list(sys.modules.items()):
        if name != "compiler" and not name.startswith("compiler."):
            continue
        for attr, value in list(vars(module).items()):
            if value is DEVICE_KINDS:
                monkeypatch.setattr(module, attr, kinds)
            elif isinstance(value, dict) and value == BY_TAG:
                monkeypatch.setattr(module, attr, by_tag)
            elif value is BY_ELEMENT:
                monkeypatch.setattr(module, attr, by_element)


def _compile(devices: str, machine: str):
    xml = (f"<domain type='qemu'><name>t</name><memory unit='MiB'>64</memory>"
           f"<os><type arch='x86_64' machine='{machine}'>hvm</type></os>"
           f"<devices>{devices}</devices></domain>").encode()
    dom, _ = parse_bytes(xml, "t.xml")
    dom = normalize(dom, make_env())
    return dom, emit_argv(dom)


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_a_registered_kind_gets_its_fixed_slot_and_argv_place(machine, monkeypatch):
    register(monkeypatch, BEACON)
    dom, argv = _compile("<beacon/><beacon/>", machine)
    first, second = [d for d in dom.devices if isinstance(d, Beacon)]
    assert first.address == BEACON_SLOT
    assert second.address is not None and second.address != BEACON_SLOT
    drivers = [i for i, w in enumerate(argv) if '"driver":"pci-testdev"' in w]
    assert len(drivers) == 2 and min(drivers) > argv.index("-sandbox")


def test_a_registered_kind_adds_its_implicit_device(monkeypatch):
    register(monkeypatch, BEACON)
    dom, _ = _compile("", "pc")
    (beacon,) = [d for d in dom.devices if isinstance(d, Beacon)]
    assert beacon.address == BEACON_SLOT and beacon.alias == "beacon0"
    assert beacon.span.file == "t.xml" and beacon.span.line == 1

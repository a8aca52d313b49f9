"""number_char_ports: serial and parallel ports without a target port, numbered as
libvirt 9.0 numbers them.  Each expected row is libvirt's argv for the same devices
(../shared/tools/libvirt-oracle argv): the isa-serial indexes in device order."""

from __future__ import annotations

import json

import pytest

from compiler.api import make_env
from compiler.diagnostics import DomcError
from compiler.emit.argv import emit_argv
from compiler.parse import parse_bytes
from compiler.pipeline import normalize

from ._domains import domain_xml

PTY = "<serial type='pty'/>"


def at(port: int) -> str:
    return f"<serial type='pty'><target port='{port}'/></serial>"


def serial_indexes(devices: str) -> list[int]:
    dom, _ = parse_bytes(domain_xml(devices, "pc"), "t.xml")
    env = make_env()
    argv = emit_argv(normalize(dom, env), env)
    return [json.loads(v)["index"] for o, v in zip(argv, argv[1:])
            if o == "-device" and '"isa-serial"' in v]


@pytest.mark.parametrize("devices, want", [
    (PTY, [0]),
    (PTY + PTY, [0, 1]),            # were both index 0 (both at I/O port 0x3f8)
    (PTY + at(0), [1, 0]),          # one more than the largest, the later ones included
    (PTY + at(2), [3, 2]),
    (at(1) + PTY + PTY, [1, 2, 3]),
    (PTY + PTY + at(1), [2, 3, 1]),
])
def test_serial_ports_as_libvirt_numbers_them(devices, want):
    assert serial_indexes(devices) == want


USB = "<serial type='pty'><target type='usb-serial'/></serial>"
PCI = "<serial type='pty'><target type='pci-serial'/></serial>"
ISA = "<serial type='pty'><target type='isa-serial'/></serial>"  # the type written


def ports(devices: str) -> list[int]:
    dom, _ = parse_bytes(domain_xml(devices, "pc"), "t.xml")
    got = normalize(dom, make_env())
    return [d.target_port for d in got.devices if getattr(d, "element", "") == "serial"]


# each row: libvirt-oracle normalize's target ports, in document order
@pytest.mark.parametrize("devices, want", [
    (USB + PTY, [0, 1]),
    (USB + ISA, [1, 0]),              # a serial written isa-serial is numbered first
    (USB + PTY + PTY, [0, 1, 2]),
    (PCI + PTY, [0, 1]),
    (ISA + ISA, [0, 1]),
    (USB + ISA + PTY, [1, 0, 2]),
    (PTY + ISA, [1, 0]),
    (ISA + USB + ISA, [0, 2, 1]),
    (USB + ISA + at(0), [1, 0, 0]),   # only the isa-serials before it count
    (PTY + "<serial type='pty'><target type='pci-serial' port='2'/></serial>" + ISA, [3, 2, 0]),
    (USB + PTY + ISA + PTY, [1, 2, 0, 3]),
])
def test_target_ports_as_libvirt_numbers_them(devices, want):
    assert ports(devices) == want


def test_a_number_past_the_isa_ports_is_refused():
    # libvirt numbers these 3, 2, 4 and QEMU then refuses isa-serial index 4
    with pytest.raises(DomcError) as e:
        serial_indexes(PTY + at(2) + PTY)
    (d,) = e.value.diagnostics
    assert d.code == "serial-port" and "serial port 4" in d.message and d.span.line > 0


def test_parallel_ports_are_numbered_too():
    dom, _ = parse_bytes(domain_xml("<parallel type='pty'><target port='1'/></parallel>"
                                    "<parallel type='pty'/>", "pc"), "t.xml")
    got = normalize(dom, make_env())
    assert [d.target_port for d in got.devices if getattr(d, "element", "") == "parallel"] == [1, 2]

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

"""Machine-wide options of the argv, table-driven.  Expected values were read from
libvirt 9.0's argv for the same domains (../shared/tools/libvirt-oracle argv)."""

from __future__ import annotations

import pytest

from compiler.api import make_env
from compiler.emit.argv import emit_argv
from compiler.parse import parse_bytes
from compiler.pipeline import normalize


def argv_of(machine: str, features: str = "") -> list[str]:
    data = (f"<domain type='qemu'><name>m</name><memory unit='MiB'>64</memory>"
            f"<os><type arch='x86_64' machine='{machine}'>hvm</type></os>"
            f"<features>{features}</features><devices/></domain>").encode()
    dom, _ = parse_bytes(data, "m.xml")
    env = make_env()
    return emit_argv(normalize(dom, env), env)


@pytest.mark.parametrize("machine, features, no_acpi", [
    ("pc", "<acpi/>", False),
    ("pc", "", True),
    ("q35", "<acpi/>", False),
    ("q35", "", True),        # libvirt switches ACPI off on q35 too; QEMU 7.2 boots it so
    ("q35", "<apic/>", True),
])
def test_acpi_is_off_unless_the_domain_asks_for_it(machine, features, no_acpi):
    assert ("-no-acpi" in argv_of(machine, features)) is no_acpi

"""Machine-type lifecycle: floating aliases in persistent definitions, deprecated
versioned types (the profiles' own flags), removed, future and distribution-only
types -- each with the nearest type the target QEMU has."""

from __future__ import annotations

import pytest

from compiler.api import make_env
from compiler.diagnostics import DomcError
from compiler.lockfile import lock_from_facts
from compiler.parse import parse_bytes
from compiler.pipeline import normalize

UUID = "<uuid>0c9e9f35-7f5f-4f57-8a4f-3a9f4f0b1c2d</uuid>"


def xml(machine: str | None, uuid: str = UUID) -> bytes:
    attr = f" machine='{machine}'" if machine else ""
    return (f"<domain type='qemu'><name>m</name>{uuid}<memory unit='MiB'>64</memory>\n"
            f"<os><type arch='x86_64'{attr}>hvm</type></os><devices/></domain>\n").encode()


def run(machine, uuid: str = UUID, **env_args):
    env = make_env(**env_args)
    dom, _ = parse_bytes(xml(machine, uuid), "m.xml")
    dom = normalize(dom, env)
    return dom, [(d.code, d.message) for d in env.diag.warnings]


@pytest.mark.parametrize("machine, canonical", [("pc", "pc-i440fx-7.2"), ("q35", "pc-q35-7.2"),
                                                (None, "pc-i440fx-7.2")])
def test_floating_alias_in_a_persistent_definition(machine, canonical):
    dom, warnings = run(machine)
    assert dom.os.machine == canonical
    assert [c for c, _ in warnings] == ["machine-alias"]
    assert f"write machine='{canonical}'" in warnings[0][1]


def test_no_alias_warning_without_uuid_or_for_a_versioned_type():
    assert run("pc", uuid="")[1] == []
    assert run("pc-q35-6.2")[1] == []


def test_a_lock_pins_the_alias_and_silences_the_warning():
    lock = lock_from_facts({"domc-lock": 1, "machine": "pc-q35-7.1", "devices": {}})
    dom, warnings = run("q35", qemu="8.0")
    assert dom.os.machine == "pc-q35-8.0" and warnings
    env = make_env(qemu="8.0")
    env.lock = lock
    d, _ = parse_bytes(xml("q35"), "m.xml")
    d = normalize(d, env)
    assert d.os.machine == "pc-q35-7.1"
    assert env.diag.warnings == []
    # a lock of the other chipset does not pin
    env = make_env(qemu="8.0")
    env.lock = lock
    d, _ = parse_bytes(xml("pc"), "m.xml")
    assert normalize(d, env).os.machine == "pc-i440fx-8.0"


def test_deprecated_type_names_the_nearest_supported_one():
    dom, warnings = run("pc-i440fx-1.5")
    assert [c for c, _ in warnings] == ["machine-deprecated"]
    msg = warnings[0][1]
    assert "deprecated in QEMU 7.2" in msg and "nearest supported: pc-i440fx-2.0" in msg
    assert "machine pc-i440fx-1.5 -> pc-i440fx-2.0" in msg
    # the flag comes from the profile: QEMU 4.2 deprecated pc-0.12..0.15, not 1.5
    assert run("pc-i440fx-1.5", qemu="4.2")[1] == []
    assert [c for c, _ in run("pc-0.12", qemu="4.2")[1]] == ["machine-deprecated"]


def _error(machine: str, **env_args) -> str:
    with pytest.raises(DomcError) as exc:
        run(machine, **env_args)
    (d,) = exc.value.diagnostics
    assert d.code == "unknown-machine" and d.span.line == 2
    return d.message


def test_removed_type():
    msg = _error("pc-0.12")
    assert "QEMU removed 'pc-0.12' after 4.2" in msg
    assert "nearest in QEMU 7.2: pc-i440fx-2.0" in msg  # 1.4 .. 1.7 are deprecated


def test_type_of_a_later_qemu():
    msg = _error("pc-q35-8.0")
    assert "'pc-q35-8.0' is first in QEMU 8.0" in msg and "nearest in QEMU 7.2: pc-q35-7.2" in msg


@pytest.mark.parametrize("machine, who, near", [
    ("pc-i440fx-rhel7.6.0", "Red Hat Enterprise Linux 7.6 (based on QEMU 2.12)", "pc-i440fx-2.12"),
    ("pc-q35-rhel8.6.0", "Red Hat Enterprise Linux 8.6 (based on QEMU 6.2)", "pc-q35-6.2"),
    ("pc-q35-jammy", "Ubuntu jammy (based on QEMU 6.2)", "pc-q35-6.2"),
    ("pc-i440fx-focal-hpb", "Ubuntu focal (based on QEMU 4.2)", "pc-i440fx-4.2"),
])
def test_distribution_types(machine, who, near):
    msg = _error(machine)
    assert who in msg and "upstream QEMU never had it" in msg
    assert f"nearest in QEMU 7.2: {near}" in msg


def test_unknown_name_lists_the_known_ones():
    msg = _error("virt")
    assert "known:" in msg and "pc-q35-7.2" in msg

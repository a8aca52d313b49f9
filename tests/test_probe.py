"""The shipped profile is what probing Debian's QEMU 7.2 says, and loads as package data."""

import json
import shutil
from importlib import resources

import pytest

from compiler.diagnostics import DomcError
from compiler.profile import load_profile

QEMU = shutil.which("qemu-system-x86_64")


def shipped() -> dict:
    return json.loads(resources.files("compiler.tables").joinpath("qemu-7.2.json").read_text())


@pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 is not installed")
def test_reprobe_matches_shipped_profile():
    from compiler.probe import probe

    got = probe(QEMU)
    want = shipped()
    if not got["emulator_version"].startswith("7.2."):
        pytest.skip(f"installed QEMU is {got['emulator_version']}, the shipped profile is 7.2")
    assert got["arch"] == want["arch"]
    assert got["machines"] == want["machines"]
    assert {m["name"]: m for m in got["cpu_models"]} == {m["name"]: m for m in want["cpu_models"]}


def test_probe_refuses_a_missing_binary(tmp_path):
    from compiler.probe import probe

    with pytest.raises(DomcError) as exc:
        probe(str(tmp_path / "no-such-qemu"))
    assert exc.value.diagnostics[0].code == "probe-emulator"


@pytest.mark.parametrize(
    "name, canonical",
    [("pc", "pc-i440fx-7.2"), ("q35", "pc-q35-7.2"), ("pc-q35-5.2", "pc-q35-5.2"),
     (None, "pc-i440fx-7.2"), ("no-such-machine", None)],
)
def test_canonical_machine(name, canonical):
    assert load_profile().canonical_machine(name) == canonical


def test_default_cpu_types():
    p = load_profile()
    assert p.default_cpu_type("pc") == "qemu64"
    assert p.default_cpu_type("q35") == "qemu64"
    assert p.default_cpu_type("isapc") == "486"


def test_profile_models_have_vendor_and_features():
    p = load_profile()
    penryn = p.cpu_model("Penryn")
    assert penryn.vendor == "GenuineIntel" and penryn.alias_of == "Penryn-v1"
    assert {"sse4.1", "ssse3", "cx16"} <= set(penryn.features)
    assert p.cpu_model("EPYC-Milan").vendor == "AuthenticAMD"


def test_load_profile_errors_carry_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  nope\n}")
    with pytest.raises(DomcError) as exc:
        load_profile(str(bad))
    d = exc.value.diagnostics[0]
    assert d.code == "profile-json" and d.span.file == str(bad) and d.span.line == 2

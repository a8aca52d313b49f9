"""The shipped profile is what probing Debian's QEMU 7.2 says, and loads as package data."""

import json
import os
import shutil
from importlib import resources

import pytest

from compiler.diagnostics import DomcError
from compiler.profile import load_profile
from compiler.qmpclient import kvm_usable

QEMU = shutil.which("qemu-system-x86_64")
DEBIAN_FIRMWARE = "/usr/share/qemu/firmware"


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
    assert got["cpu_properties"] == want["cpu_properties"]
    # TCG's host-model source is the binary's; KVM's (where /dev/kvm works) this machine's
    assert [a for a in got["accel_cpus"] if a["accel"] == "tcg"] == want["accel_cpus"]
    assert [a["accel"] for a in got["accel_cpus"]] == ["tcg"] + (["kvm"] if kvm_usable() else [])
    if not os.path.isdir(DEBIAN_FIRMWARE) or not os.path.exists(os.path.join(DEBIAN_FIRMWARE, "60-edk2-x86_64.json")):
        pytest.skip(f"{DEBIAN_FIRMWARE} does not hold Debian's descriptors")
    assert got["firmware"] == want["firmware"]


def _descriptor(device="flash", **over) -> dict:
    d = {"description": "test", "interface-types": ["uefi"],
         "mapping": {"device": device,
                     "executable": {"filename": "/fw/CODE.fd", "format": "raw"},
                     "nvram-template": {"filename": "/fw/VARS.fd", "format": "raw"}},
         "targets": [{"architecture": "x86_64", "machines": ["pc-q35-*"]}],
         "features": ["secure-boot", "requires-smm"], "tags": []}
    d.update(over)
    return d


def test_firmware_dir_is_read_in_file_name_order(tmp_path):
    from compiler.probe import read_firmware_dir

    (tmp_path / "60-b.json").write_text(json.dumps(_descriptor()))
    (tmp_path / "10-a.json").write_text(json.dumps(_descriptor(**{"interface-types": ["bios"]})))
    (tmp_path / "README").write_text("not a descriptor")
    got = read_firmware_dir(str(tmp_path))
    assert [f["file"] for f in got] == ["10-a.json", "60-b.json"]
    b = got[1]
    assert b["executable"] == "/fw/CODE.fd" and b["nvram_template"] == "/fw/VARS.fd"
    assert b["mode"] == "split" and b["features"] == ["requires-smm", "secure-boot"]
    assert b["targets"] == [{"architecture": "x86_64", "machines": ["pc-q35-*"]}]


def test_firmware_dir_absent_reads_as_empty(tmp_path):
    from compiler.probe import read_firmware_dir

    assert read_firmware_dir(str(tmp_path / "nope")) == []


def test_bad_firmware_descriptor_is_a_diagnostic(tmp_path):
    from compiler.probe import read_firmware_dir

    (tmp_path / "50-bad.json").write_text("{ nope")
    with pytest.raises(DomcError) as exc:
        read_firmware_dir(str(tmp_path))
    d = exc.value.diagnostics[0]
    assert d.code == "json-syntax" and d.span.file == str(tmp_path / "50-bad.json")
    assert d.span.line == 1 and d.span.column == 3


def test_firmware_descriptor_of_the_wrong_shape_is_a_diagnostic(tmp_path):
    from compiler.probe import read_firmware_dir

    (tmp_path / "60-list.json").write_text("[1, 2]")
    with pytest.raises(DomcError) as exc:
        read_firmware_dir(str(tmp_path))
    d = exc.value.diagnostics[0]
    assert d.code == "probe-firmware" and d.span.file == str(tmp_path / "60-list.json")


def test_shipped_profile_loads_firmware_in_order():
    fw = load_profile().firmware
    assert [f.file for f in fw] == sorted(f.file for f in fw)
    assert any("secure-boot" in f.features for f in fw)
    assert all(f.interface_types for f in fw)


def test_probe_refuses_a_missing_binary(tmp_path):
    from compiler.probe import probe

    with pytest.raises(DomcError) as exc:
        probe(str(tmp_path / "no-such-qemu"))
    d = exc.value.diagnostics[0]
    assert d.code == "io" and d.span.file == str(tmp_path / "no-such-qemu")


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


def test_profile_records_the_cpu_properties_qemu_has():
    p = load_profile()
    assert p.cpu_property("intel-pt") and p.cpu_property("sse4.2") and p.cpu_property("avx512f")
    # QEMU 7.2 has no property for these CPUID bits: '-cpu M,-pconfig' is refused
    for name in ("pconfig", "ospke", "osxsave", "cmt", "mbm_total", "mbm_local", "cvt16"):
        assert not p.cpu_property(name), name


def test_profile_without_cpu_properties_assumes_every_feature(tmp_path):
    data = shipped()
    del data["cpu_properties"]
    f = tmp_path / "old.json"
    f.write_text(json.dumps(data))
    assert load_profile(str(f)).cpu_property("pconfig")


def test_load_profile_errors_carry_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  nope\n}")
    with pytest.raises(DomcError) as exc:
        load_profile(str(bad))
    d = exc.value.diagnostics[0]
    assert d.code == "json-syntax" and d.span.file == str(bad) and d.span.line == 2

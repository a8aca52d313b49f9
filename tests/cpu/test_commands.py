"""The CPU subcommands on the project's own fixtures, snapshotted (syrupy)."""

import os

import pytest

from .conftest import HOSTS

LAPTOP = os.path.join(HOSTS, "laptop.xml")
SERVER = os.path.join(HOSTS, "server.xml")
CPUID = os.path.join(HOSTS, "xeon-4th-gen.cpuid")


def test_host_cpu_from_cpuid_dump(domc, snapshot):
    rc, out, err = domc("host-cpu", "--cpuid", CPUID)
    assert (rc, err) == (0, "")
    assert out == snapshot


def test_capabilities(domc, snapshot):
    rc, out, err = domc("capabilities", "--host", SERVER, "--host-root", os.path.join(HOSTS, "numa-root"))
    assert (rc, err) == (0, "")
    assert "<machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>" in out
    assert "<machine canonical='pc-q35-7.2' maxCpus='288'>q35</machine>" in out
    assert out == snapshot


@pytest.mark.parametrize("host, cpu, rc", [
    (SERVER, LAPTOP, 1), (LAPTOP, SERVER, 1), (SERVER, SERVER, 0), (LAPTOP, LAPTOP, 0),
], ids=["server-laptop", "laptop-server", "server-server", "laptop-laptop"])
def test_cpu_compare(domc, snapshot, host, cpu, rc):
    got_rc, out, err = domc("cpu-compare", "--host", host, cpu)
    assert (got_rc, err) == (rc, "")
    assert out == snapshot


def test_seed_laptop_and_server_are_incompatible(domc):
    rc, out, _ = domc("cpu-compare", "--host", SERVER, LAPTOP)
    assert rc == 1 and out.splitlines()[0] == "INCOMPATIBLE"


@pytest.mark.parametrize("flags", [(), ("--features",), ("--migratable",)])
def test_cpu_baseline(domc, snapshot, flags):
    rc, out, err = domc("cpu-baseline", *flags, LAPTOP, SERVER)
    assert (rc, err) == (0, "")
    assert out == snapshot


def test_baseline_refuses_mixed_vendors(domc, tmp_path):
    # a negative answer, exit 1 as virsh cpu-baseline gives it ("CPU vendors do not match")
    amd = tmp_path / "amd.xml"
    amd.write_text("<cpu>\n  <arch>x86_64</arch>\n  <model>EPYC</model>\n  <vendor>AMD</vendor>\n</cpu>\n")
    rc, out, err = domc("cpu-baseline", SERVER, amd)
    assert rc == 1 and out == ""
    assert err == f"{amd}:1: error[cpu-vendor-mix]: CPU vendors do not match: Intel and AMD; " \
                  "a baseline needs CPUs of one vendor\n"


@pytest.mark.parametrize("body, code, line", [
    ("<cpu match='exact'>\n  <model>Pentium9000</model>\n</cpu>", "cpu-model", 1),
    ("<cpu match='exact'>\n  <model>Penryn</model>\n  <feature name='warp-drive'/>\n</cpu>", "cpu-feature", 3),
    ("<cpu>\n  <model>Penryn</model>\n", "xml-syntax", 3),
    ("<cpu match='sloppy'><model>Penryn</model></cpu>", "bad-value", 1),
])
def test_compare_unusable_input(domc, tmp_path, body, code, line):
    f = tmp_path / "cpu.xml"
    f.write_text(body)
    rc, out, err = domc("cpu-compare", "--host", SERVER, f)
    assert rc == 2 and out == ""
    assert err.startswith(f"{f}:{line}") and f"error[{code}]" in err and err.count("\n") == 1


def test_host_cpu_on_this_machine(domc):
    rc, out, err = domc("host-cpu")
    assert rc == 0 and out.startswith("<cpu>\n  <arch>x86_64</arch>\n  <model>")

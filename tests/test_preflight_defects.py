"""One regression test per defect issue 15 found by trying domc as a new user would
(validate's own defects are in test_validate_ci.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest
from lxml import etree

from compiler import LIBVIRT_SEMANTICS, QEMU_PROFILE, VERSION_TEXT, __version__
from compiler.cli import main

from .conftest import ROOT
from .libvirt import NO_LIBVIRT, URI, libvirt_answers
from .qemu import NO_QEMU, QEMU

SERVER = str(ROOT / "fixtures" / "hosts" / "server.xml")


def domc(*argv, capsys) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


# ------------------------------------------------------------ nodeinfo memory

def _host_tree(root, proc_total: int, nodes: list[tuple[int, int]]):
    """A captured host: /proc/meminfo says ``proc_total`` KiB, NUMA nodes (total, free)."""
    (root / "proc").mkdir(parents=True)
    (root / "proc/meminfo").write_text(f"MemTotal: {proc_total} kB\nMemFree: {proc_total // 2} kB\n")
    cpu = root / "sys/devices/system/cpu"
    cpu.mkdir(parents=True)
    (cpu / "online").write_text(f"0-{len(nodes) * 2 - 1}\n")
    node = root / "sys/devices/system/node"
    node.mkdir(parents=True)
    (node / "online").write_text(f"0-{len(nodes) - 1}\n" if len(nodes) > 1 else "0\n")
    for i, (total, free) in enumerate(nodes):
        (node / f"node{i}").mkdir()
        (node / f"node{i}/cpulist").write_text(f"{2 * i}-{2 * i + 1}\n")
        (node / f"node{i}/meminfo").write_text(
            f"Node {i} MemTotal:  {total} kB\nNode {i} MemFree:   {free} kB\n")
    return root


def test_nodeinfo_memory_is_the_numa_nodes_total(tmp_path, capsys):
    """/proc/meminfo said 24 GiB where the NUMA nodes (and virsh, and capabilities)
    said 5.6 GiB: libvirt adds up the nodes."""
    host = _host_tree(tmp_path, 24683792, [(2936012, 1000000), (2936012, 2000000)])
    rc, out, _ = domc("nodeinfo", "--host-root", str(host), "--json", capsys=capsys)
    assert rc == 0 and json.loads(out)["memory_kib"] == 2 * 2936012
    rc, out, _ = domc("capabilities", "--host", SERVER, "--host-root", str(host), capsys=capsys)
    cells = etree.fromstring(out.encode()).findall("host/topology/cells/cell")
    assert [int(c.findtext("memory")) for c in cells] == [2936012, 2936012]
    rc, out, _ = domc("freecell", "--host-root", str(host), capsys=capsys)
    assert out.split() == ["Total:", "3000000", "KiB"]


def test_without_numa_nodes_proc_meminfo_it_is(tmp_path, capsys):
    host = _host_tree(tmp_path, 1048576, [(1, 1)])
    shutil.rmtree(host / "sys/devices/system/node")
    rc, out, _ = domc("nodeinfo", "--host-root", str(host), "--json", capsys=capsys)
    assert json.loads(out)["memory_kib"] == 1048576


def test_nodeinfo_capabilities_and_virsh_agree_on_this_machine(capsys):
    _, out, _ = domc("nodeinfo", "--json", capsys=capsys)
    mine = json.loads(out)["memory_kib"]
    _, out, _ = domc("capabilities", "--host", SERVER, capsys=capsys)
    cells = etree.fromstring(out.encode()).findall("host/topology/cells/cell")
    assert sum(int(c.findtext("memory")) for c in cells) == mine
    if not libvirt_answers():
        pytest.skip(NO_LIBVIRT)
    virsh = subprocess.run(["virsh", "-c", URI, "nodeinfo"], capture_output=True, text=True, check=True)
    (line,) = [ln for ln in virsh.stdout.splitlines() if ln.startswith("Memory size:")]
    assert int(line.split()[2]) == mine


def test_capabilities_of_a_directory_that_is_no_host_tree_is_an_error(tmp_path, capsys):
    """An empty --host-root printed <memory>0</memory> and this machine's CPU count."""
    rc, out, err = domc("capabilities", "--host", SERVER, "--host-root", str(tmp_path), capsys=capsys)
    assert (rc, out) == (2, "")
    assert err.startswith(f"{tmp_path}/sys/devices/system/cpu/online: error[io]: cannot read")


# ------------------------------------------------------------ options that name files

def test_capabilities_host_root_that_does_not_exist(capsys):
    rc, out, err = domc("capabilities", "--host-root", "/nonexistent", capsys=capsys)
    assert (rc, out, err) == (2, "", "/nonexistent: error[io]: cannot read directory: No such file "
                                     "or directory\n")


def test_compile_host_that_does_not_exist(capsys):
    rc, out, err = domc("compile", "--host", "/nonexistent.xml", str(ROOT / "examples/minimal.xml"),
                        capsys=capsys)
    assert (rc, out, err) == (2, "", "/nonexistent.xml: error[io]: cannot read: No such file or "
                                     "directory\n")


@pytest.mark.parametrize("make, reason", [
    (lambda p: None, "No such file or directory"),
    (lambda p: p.mkdir(), "Is a directory"),
    (lambda p: p.write_text("#!/bin/sh\n"), "Permission denied"),
])
def test_capabilities_emulator_must_be_a_program(make, reason, tmp_path, capsys):
    exe = tmp_path / "qemu"
    make(exe)
    rc, _, err = domc("capabilities", "--host", SERVER, "--emulator", str(exe), capsys=capsys)
    assert (rc, err) == (2, f"{exe}: error[io]: cannot execute: {reason}\n")


@pytest.mark.parametrize("command", ["vcpuinfo", "vcpupin"])
def test_qmp_that_is_not_a_socket(command, tmp_path, capsys):
    plain = tmp_path / "guest.qmp"
    plain.write_text("")
    rc, _, err = domc(command, "--qmp", str(plain), capsys=capsys)
    assert (rc, err) == (2, f"{plain}: error[io]: not a socket (a guest's QMP socket is)\n")


def test_run_never_lets_qemu_replace_a_file(tmp_path, capsys):
    """QEMU deletes what is at its -qmp path before it listens: `run --qmp FILE` must
    refuse before QEMU starts, and the file must survive."""
    precious = tmp_path / "notes.txt"
    precious.write_text("keep me\n")
    rc, _, err = domc("run", "--qmp", str(precious), str(ROOT / "examples/minimal.xml"), capsys=capsys)
    assert (rc, err) == (2, f"{precious}: error[io]: exists and is not a socket; QEMU would delete "
                            "it to listen there\n")
    assert precious.read_text() == "keep me\n"


def test_run_does_not_take_over_a_live_socket(tmp_path, capsys):
    path = str(tmp_path / "live.qmp")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(1)
        rc, _, err = domc("run", "--qmp", path, str(ROOT / "examples/minimal.xml"), capsys=capsys)
    assert (rc, err) == (2, f"{path}: error[qmp-in-use]: a running QEMU already listens on this "
                            "QMP socket\n")


def test_run_qmp_in_a_directory_that_does_not_exist(tmp_path, capsys):
    rc, _, err = domc("run", "--qmp", str(tmp_path / "no" / "g.qmp"),
                      str(ROOT / "examples/minimal.xml"), capsys=capsys)
    assert (rc, err) == (2, f"{tmp_path / 'no'}: error[io]: cannot read directory: No such file or "
                            "directory\n")


# ------------------------------------------------------------ vcpupin

@pytest.mark.parametrize("argv, message", [
    (("g", "--cpulist", "1"), "a CPU list needs the vCPU it is for"),
    (("--cpulist", "1", "--qmp", "/x"), "a CPU list needs the vCPU it is for"),
    (("g", "1"), "a vCPU needs the CPU list"),
    (("g", "x", "1"), "VCPU is a vCPU index, not 'x'"),
    (("g", "1", "2", "3"), "left over: 3"),
    (("g", "1", "2", "--vcpu", "0"), "VCPU 1 and --vcpu 0 disagree"),
])
def test_vcpupin_refuses_what_would_pin_nothing(argv, message, capsys):
    """`vcpupin g --cpulist 1` without a vCPU exited 0 and pinned nothing."""
    rc, out, err = domc("vcpupin", *argv, capsys=capsys)
    assert (rc, out) == (2, "")
    assert err.startswith("vcpupin: error[usage]: ") and message in err


@pytest.mark.skipif(QEMU is None, reason=NO_QEMU)
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs 2 usable host CPUs")
def test_vcpupin_and_vcpuinfo_in_virsh_form(tmp_path, monkeypatch, capsys):
    from compiler.api import compile_file, make_env
    from compiler.commands._qmpargs import socket_for
    from compiler.emit.taskset import plan
    from compiler.placement.runner import launch
    from compiler.placement.threads import qmp, thread_ids, thread_table

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    result = compile_file(str(ROOT / "tests/placement/data/pin-2vcpu.xml"), make_env())
    sock = socket_for("pin2")
    os.makedirs(os.path.dirname(sock))
    proc = launch(list(result.argv), plan(result.domain, make_env()), sock)
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(sock):
            assert proc.poll() is None and time.monotonic() < deadline, "QEMU did not start"
            time.sleep(0.02)
        rc, out, err = domc("vcpupin", "pin2", "1", "0", capsys=capsys)  # virsh vcpupin DOM VCPU LIST
        assert (rc, err) == (0, "")
        vcpus, io = thread_ids(sock)
        rows = {r.id: r for r in thread_table(proc.pid, vcpus, io) if r.kind.value == "vcpu"}
        assert str(rows[1].affinity) == "0"
        rc, out, err = domc("vcpupin", "--qmp", sock, "0", "1", capsys=capsys)
        assert (rc, err) == (0, "")
        rc, out, err = domc("vcpuinfo", "pin2", capsys=capsys)  # virsh vcpuinfo DOM
        table = [ln.split() for ln in out.splitlines()[1:]]
        assert [(r[0], r[1], r[4]) for r in table if r[0] == "vcpu"] == [("vcpu", "0", "1"),
                                                                       ("vcpu", "1", "0")]
        qmp(sock, "quit")
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------ run --check

HOSTDEV = """<domain type='qemu'>
  <name>gone</name>
  <memory unit='MiB'>64</memory>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='no'>
      <source><address domain='0x0000' bus='0xfe' slot='0x1f' function='0x7'/></source>
    </hostdev>
  </devices>
</domain>
"""


@pytest.mark.skipif(QEMU is None, reason=NO_QEMU)
@pytest.mark.skipif(os.path.exists("/sys/bus/pci/devices/0000:fe:1f.7"),
                    reason="this host has PCI device 0000:fe:1f.7")
def test_run_check_shows_what_qemu_said(tmp_path):
    """QEMU refuses a host device after it opened its monitor: the error was
    `error[qmp]: ... EOFError`; it is QEMU's own last line."""
    xml = tmp_path / "gone.xml"
    xml.write_text(HOSTDEV)
    p = subprocess.run([sys.executable, "-m", "compiler", "run", "--check", str(xml)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stdout == ""
    (line,) = p.stderr.splitlines()
    assert line.startswith(f"{xml}: error[qemu-exited]: QEMU exited with status 1: ")
    assert "0000:fe:1f.7" in line and "no such host device" in line
    assert "qmp" not in line.split("error[", 1)[1].split("]")[0]


# ------------------------------------------------------------ normalize

PROLOG = (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
          b"<!-- written by hand: caf\xe9 -->\n"
          b"<?provision keep?>\n"
          b"<domain type='qemu'>\n  <name>prolog</name>\n  <description>caf\xe9</description>\n"
          b"  <memory unit='MiB'>64</memory>\n</domain>\n<!-- the end -->\n")


def test_normalize_keeps_the_declaration_and_what_is_around_domain(tmp_path, capsysbinary):
    src = tmp_path / "prolog.xml"
    src.write_bytes(PROLOG)
    assert main(["normalize", str(src)]) == 0
    out = capsysbinary.readouterr().out
    lines = out.split(b"\n")
    assert lines[:4] == [b'<?xml version="1.0" encoding="ISO-8859-1"?>',
                         b"<!-- written by hand: caf\xe9 -->", b"<?provision keep?>",
                         b'<domain type="qemu">']
    assert out.endswith(b"</domain>\n<!-- the end -->\n")
    assert b"<description>caf\xe9</description>" in out  # still ISO-8859-1, as declared
    again = tmp_path / "again.xml"
    again.write_bytes(out)
    assert main(["normalize", str(again)]) == 0
    assert capsysbinary.readouterr().out == out


def test_normalize_without_a_declaration_adds_none(capsysbinary):
    assert main(["normalize", str(ROOT / "examples/minimal.xml")]) == 0
    assert capsysbinary.readouterr().out.startswith(b'<domain type="qemu">')


HOST_MODEL = """<domain type='kvm'>
  <name>hm</name>
  <memory unit='MiB'>64</memory>
  <vcpu>2</vcpu>
  <cpu mode='host-model' check='partial'>
    <topology sockets='1' cores='2' threads='1'/>
  </cpu>
  <devices/>
</domain>
"""


def _cpu_arg(path, *options) -> str:
    from compiler.api import compile_file, make_env

    argv = compile_file(str(path), make_env(host=SERVER, *options)).argv
    return argv[argv.index("-cpu") + 1]


def _normalize(path, *extra, capsysbinary) -> bytes:
    assert main(["normalize", "--host", SERVER, *extra, str(path)]) == 0
    return capsysbinary.readouterr().out


def test_normalize_writes_host_model_expanded(tmp_path, capsysbinary):
    """The normalized host-model CPU compiles to the same -cpu on any host (no --host
    needed any more), as libvirt's live and --migratable XML spell it out."""
    src = tmp_path / "hm.xml"
    src.write_text(HOST_MODEL)
    out = _normalize(src, capsysbinary=capsysbinary)
    cpu = etree.fromstring(out).find("cpu")
    assert (cpu.get("mode"), cpu.get("match"), cpu.get("check")) == ("custom", "exact", "partial")
    assert cpu.find("model").get("fallback") == "forbid" and cpu.find("topology") is not None
    assert {f.get("policy") for f in cpu.findall("feature")} <= {"require", "disable"}
    normalized = tmp_path / "hm.normalized.xml"
    normalized.write_bytes(out)
    from compiler.api import compile_file, make_env

    anywhere = compile_file(str(normalized), make_env()).argv  # this machine's CPU not read
    assert anywhere[anywhere.index("-cpu") + 1] == _cpu_arg(src)
    assert _normalize(normalized, capsysbinary=capsysbinary) == out


def test_normalize_migratable_leaves_out_what_blocks_migration(tmp_path, capsysbinary):
    """A host with an invariant TSC: host-model takes invtsc, which no migration
    destination can promise; --migratable leaves it out (a CPU that asks for it
    itself keeps it)."""
    host = tmp_path / "tsc-host.xml"
    host.write_text((ROOT / "fixtures/hosts/server.xml").read_text().replace(
        "<feature name='vme'/>", "<feature name='vme'/>\n      <feature name='invtsc'/>"))
    src = tmp_path / "hm.xml"
    src.write_text(HOST_MODEL)

    def features(*extra):
        assert main(["normalize", "--host", str(host), *extra, str(src)]) == 0
        cpu = etree.fromstring(capsysbinary.readouterr().out).find("cpu")
        return {f.get("name") for f in cpu.findall("feature[@policy='require']")}

    plain, mig = features(), features("--migratable")
    assert "invtsc" in plain and mig == plain - {"invtsc"}
    src.write_text(HOST_MODEL.replace("<topology", "<feature policy='require' name='invtsc'/>\n"
                                      "    <topology"))
    assert "invtsc" in features("--migratable")


def test_normalize_migratable_settles_a_custom_cpus_optional_features(tmp_path, capsysbinary):
    src = tmp_path / "custom.xml"
    src.write_text(HOST_MODEL.replace(
        "<cpu mode='host-model' check='partial'>",
        "<cpu mode='custom' match='exact' check='none'>\n    <model>Haswell-noTSX</model>\n"
        "    <feature policy='optional' name='avx512f'/>\n"
        "    <feature policy='optional' name='pdpe1gb'/>"))
    plain = etree.fromstring(_normalize(src, capsysbinary=capsysbinary)).find("cpu")
    assert [f.get("policy") for f in plain.findall("feature")] == ["optional", "optional"]
    mig = etree.fromstring(_normalize(src, "--migratable", capsysbinary=capsysbinary)).find("cpu")
    policies = {f.get("name"): f.get("policy") for f in mig.findall("feature")}
    assert "optional" not in policies.values()
    assert {policies["avx512f"], policies["pdpe1gb"]} <= {"require", "disable"}


@pytest.mark.skipif(not libvirt_answers(), reason=NO_LIBVIRT)
def test_the_expanded_form_is_libvirts(tmp_path, capsysbinary):
    """libvirt's expansion of a host-model CPU (dumpxml --update-cpu, what its live XML
    shows): <cpu mode='custom' match='exact'>, a <model>, features required or
    disabled; its persistent XML keeps mode='host-model' (domc writes the expansion:
    a deliberate difference, README)."""
    name = f"domc-hm-{os.getpid()}"
    src = tmp_path / "hm.xml"
    src.write_text(HOST_MODEL.replace("<name>hm</name>", f"<name>{name}</name>").replace(
        "type='kvm'", "type='qemu'").replace("<vcpu>2</vcpu>",
                                             "<vcpu>2</vcpu>\n  <os><type arch='x86_64'>hvm</type></os>"))
    virsh = ["virsh", "-c", URI]
    subprocess.run([*virsh, "define", str(src)], check=True, capture_output=True)
    try:
        inactive = subprocess.run([*virsh, "dumpxml", "--inactive", name], check=True,
                                  capture_output=True).stdout
        expanded = subprocess.run([*virsh, "dumpxml", "--update-cpu", name], check=True,
                                  capture_output=True).stdout
    finally:
        subprocess.run([*virsh, "undefine", name], capture_output=True)
    assert etree.fromstring(inactive).find("cpu").get("mode") == "host-model"
    theirs = etree.fromstring(expanded).find("cpu")
    ours = etree.fromstring(_normalize(src, capsysbinary=capsysbinary)).find("cpu")
    for cpu in (theirs, ours):
        assert (cpu.get("mode"), cpu.get("match")) == ("custom", "exact")
        assert cpu.find("model") is not None and cpu.find("model").text
        assert {f.get("policy") for f in cpu.findall("feature")} == {"require", "disable"}
        assert cpu.find("topology") is not None


# ------------------------------------------------------------ --version, completion

def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == VERSION_TEXT + "\n"
    assert VERSION_TEXT == (f"domc {__version__} (QEMU {QEMU_PROFILE} profile, libvirt "
                            f"{LIBVIRT_SEMANTICS} semantics)")
    from compiler.profile import load_profile

    assert load_profile().emulator_version.startswith(QEMU_PROFILE + ".")


def _complete(script: str, *words: str) -> list[str]:
    body = (f"{script}\nCOMP_WORDS=({' '.join(repr(w) for w in ('domc', *words))}); "
            f"COMP_CWORD={len(words)}; _domc; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
    p = subprocess.run(["bash", "-c", body], capture_output=True, text=True, cwd=ROOT, check=True)
    return p.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion(capsys):
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert _complete(script, "va") == ["validate"]
    assert _complete(script, "validate", "--format", "") == ["text", "json", "github", "junit",
                                                             "sarif"]
    assert _complete(script, "validate", "--str") == ["--strict"]
    assert _complete(script, "compile", "--host-root", "fixtures/topo") == ["fixtures/topologies"]
    assert "examples/minimal.xml" in _complete(script, "compile", "examples/mini")
    assert _complete(script, "vcpupin", "--cpu") == ["--cpulist"]


def test_zsh_completion_loads_the_bash_one(capsys):
    assert main(["completion", "zsh"]) == 0
    script = capsys.readouterr().out
    assert "bashcompinit" in script and re.search(r"^complete -o filenames -F _domc domc$", script, re.M)
    if shutil.which("zsh"):
        # bashcompinit runs a bash completion function under `emulate sh` (arrays from 0)
        ask = ("\nask() { emulate -L sh; COMP_WORDS=(domc validate --format ''); COMP_CWORD=3; "
               "_domc; print -l \"${COMPREPLY[@]}\"; }\nask")
        p = subprocess.run(["zsh", "-f", "-c", script + ask], capture_output=True, text=True)
        assert p.stdout.split() == ["text", "json", "github", "junit", "sarif"], p.stderr

"""abi-diff: empty for a domain against itself (over libvirt's whole corpus, also
through its lockfile and through a compile with that lockfile), exactly the changed
device for a one-device change, the machine version for one domain under two QEMU
versions; matrix over every embedded profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.api import facts_of, make_env
from compiler.cli import main
from compiler.diagnostics import DomcError
from compiler.emit.abidiff import abi_diff, lock_changes
from compiler.emit.xml import write_normalized
from compiler.parse import parse_bytes, parse_file
from compiler.pipeline import normalize
from compiler.profile import embedded_versions

from .conftest import ROOT, example_files
from .test_lock import compiled, lock_of

# corpus domains that must compile for the self-diff to mean something (of 273)
CORPUS_MIN = 200


def _env(lock=None):
    env = make_env(host=str(ROOT / "fixtures" / "hosts" / "server.xml"),
                   host_root=str(ROOT / "fixtures" / "topologies" / "seed-2node-8cpu"))
    env.lock = lock
    return env


def _facts(path: Path, lock=None) -> dict:
    env = _env(lock)
    dom, _ = parse_file(str(path))
    return facts_of(normalize(dom, env), env)


def _normalized_facts(path: Path, lock=None) -> dict:
    """The facts of the domain ``domc normalize`` writes for ``path``."""
    env = _env()
    dom, root = parse_file(str(path))
    text = write_normalized(root, normalize(dom, env))
    env = _env(lock)
    return facts_of(normalize(parse_bytes(text, str(path))[0], env), env)


def test_every_corpus_domain_against_itself_is_empty(corpus):
    compiled_count, problems = 0, []
    for xml in sorted((corpus / "qemuxml2argv").glob("*.xml")):
        try:
            a = _facts(xml)
        except DomcError:
            continue
        compiled_count += 1
        again = _facts(xml)
        through_lock = json.loads(json.dumps(a))
        with_lock = _facts(xml, lock_of(a))
        normalized = _normalized_facts(xml)
        normalized_locked = _normalized_facts(xml, lock_of(a))
        for label, b in (("again", again), ("its lockfile", through_lock),
                         ("compiled with its lockfile", with_lock),
                         ("its normalized XML", normalized),
                         ("its normalized XML with its lockfile", normalized_locked)):
            changes = abi_diff(a, b)
            if changes:
                problems.append(f"{xml.name} vs {label}: {[c.text() for c in changes]}")
    assert compiled_count >= CORPUS_MIN
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_examples_against_their_own_lock(path):
    a = _facts(path)
    assert abi_diff(a, _facts(path, lock_of(a))) == []
    # the normalized XML is the same guest, with or without the lock of the original
    assert abi_diff(a, _normalized_facts(path)) == []
    locked = _normalized_facts(path, lock_of(a))
    assert abi_diff(a, locked) == [] and lock_changes(a, locked) == []


I440FX = """<domain type='qemu'><name>one</name><memory unit='MiB'>128</memory>
<os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>
<devices>
  <disk type='file' device='disk'><source file='/i/a.img'/><target dev='vda' bus='virtio'/>{vda}</disk>
  <disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>
  <interface type='user'><mac address='52:54:00:00:00:01'/><model type='e1000'/></interface>
  <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
  {extra}
</devices></domain>"""


def one(vda: str = "", extra: str = "") -> str:
    return I440FX.format(vda=vda, extra=extra)


def test_one_moved_device_is_the_only_change():
    """The user moves one disk; with the lock nothing else follows it into the slot it
    left (a fresh compile would shift the devices after it)."""
    a = compiled(one())[2]
    moved = one(vda="<address type='pci' domain='0x0000' bus='0x00' slot='0x1c' function='0x0'/>")
    assert len(abi_diff(a, compiled(moved)[2])) > 1
    b = compiled(moved, lock_of(a))[2]
    (c,) = abi_diff(a, b)
    assert (c.section, c.subject, c.change) == ("device", "disk:vda (virtio-disk0)", "moved")
    assert c.details == (f"{_addr(a, 'disk:vda')} -> pci 0000:00:1c.0",)


def _addr(facts: dict, key: str) -> str:
    a = facts["devices"][key]["address"]
    return f"pci 0000:{int(a['bus'], 16):02x}:{int(a['slot'], 16):02x}.{int(a['function'], 16)}"


@pytest.mark.parametrize("extra, key", [
    ("<interface type='user'><mac address='52:54:00:00:00:02'/></interface>",
     "interface:52:54:00:00:00:02 (net1)"),
    ("<controller type='scsi' index='0' model='virtio-scsi'/>", "controller:scsi:0 (scsi0)"),
    ("<watchdog model='i6300esb'/>", "watchdog:i6300esb#0 (watchdog0)"),
])
def test_one_added_device_is_the_only_change(extra, key):
    """A fresh compile gives the new device a slot in libvirt's order, which may move
    others (a NIC comes before disks); with the lock only the new device appears."""
    a = compiled(one())[2]
    fresh = compiled(one(extra=extra))[2]
    b = compiled(one(extra=extra), lock_of(a))[2]
    (c,) = abi_diff(a, b)
    assert (c.section, c.subject, c.change) == ("device", key, "added")
    assert lock_changes(a, b) == []
    if "interface" in key:
        assert len(abi_diff(a, fresh)) > 1  # the lock is what keeps the others


def test_one_removed_device_is_the_only_change():
    a = compiled(one(extra="<watchdog model='i6300esb'/>"))[2]
    b = compiled(one(), lock_of(a))[2]
    (c,) = abi_diff(a, b)
    assert (c.subject, c.change) == ("watchdog:i6300esb#0 (watchdog0)", "removed")
    assert lock_changes(a, b) == [c]


def test_why_a_device_moved():
    """Without a lock, a NIC declared before the disks takes the slot the first disk had."""
    a = compiled(one())[2]
    b = compiled(one(extra="<interface type='user'><mac address='52:54:00:00:00:09'/>"
                           "</interface>"))[2]
    moved = {c.subject: c for c in abi_diff(a, b) if c.change == "moved"}
    assert "its old address is taken by" in moved["rng:virtio#0 (rng0)"].why


def test_qemu_a_and_b_show_the_machine_version_change(tmp_path, capsys):
    xml = tmp_path / "q.xml"
    xml.write_text(one().replace("pc-i440fx-7.2", "pc"))
    assert main(["abi-diff", str(xml), "--qemu-a", "7.1", "--qemu-b", "7.2"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("machine: pc-i440fx-7.1 -> pc-i440fx-7.2 ('pc' means pc-i440fx-7.1 on "
                      "QEMU 7.1 and pc-i440fx-7.2 on QEMU 7.2)")
    assert out[1].startswith("hotplug headroom: ") and len(out) == 2
    assert main(["abi-diff", str(xml), str(xml)]) == 0
    capsys.readouterr()
    assert main(["abi-diff", str(xml), "--qemu-a", "7.1", "--qemu-b", "7.2",
                 "--format", "json"]) == 1
    (c,) = json.loads(capsys.readouterr().out)["changes"]
    assert (c["section"], c["old"], c["new"]) == ("machine", "pc-i440fx-7.1", "pc-i440fx-7.2")


def test_abi_diff_json_and_lockfile_sides(tmp_path, capsys):
    xml = tmp_path / "q.xml"
    xml.write_text(one())
    lock = tmp_path / "q.lock"
    assert main(["lock", str(xml), "-o", str(lock)]) == 0
    assert main(["abi-diff", str(lock), str(xml)]) == 0
    assert main(["abi-diff", str(lock), str(lock)]) == 0
    capsys.readouterr()
    xml2 = tmp_path / "r.xml"
    xml2.write_text(one(extra="<watchdog model='i6300esb'/>"))
    assert main(["abi-diff", str(lock), str(xml2), "--lock", str(lock), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["identical"] is False
    (c,) = doc["changes"]
    assert c["subject"] == "watchdog:i6300esb#0 (watchdog0)" and c["change"] == "added"
    assert c["new"]["kind"] == "watchdog" and "address" in c["new"]
    assert doc["hotplug"]["a"]["pci_slots"] == doc["hotplug"]["b"]["pci_slots"] + 1


def test_matrix_covers_every_embedded_version(tmp_path, capsys):
    xml = tmp_path / "m.xml"
    xml.write_text(one().replace("pc-i440fx-7.2", "pc"))
    assert main(["matrix", str(xml), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    versions = [v["qemu"] for v in doc["versions"]]
    assert versions == list(embedded_versions()) and len(versions) >= 4
    assert all(v["compiles"] for v in doc["versions"])
    assert [v["machine"] for v in doc["versions"]] == [f"pc-i440fx-{v}" for v in versions]
    assert doc["reference"].startswith("QEMU 8.0")
    for v in doc["versions"][:-1]:
        (c,) = v["changes"]
        assert c["section"] == "machine" and c["new"] == f"pc-i440fx-{v['qemu']}"
    assert doc["versions"][-1]["changes"] == []
    # with a lock of 7.2: the versions that still have pc-i440fx-7.2 keep it
    lock = tmp_path / "m.lock"
    assert main(["lock", str(xml), "-o", str(lock)]) == 0
    capsys.readouterr()
    assert main(["matrix", str(xml), "--lock", str(lock), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    same = [v["qemu"] for v in doc["versions"] if not v["changes"]]
    assert same == ["7.2", "8.0"]


def test_matrix_reports_what_an_old_qemu_refuses(tmp_path, capsys):
    xml = tmp_path / "m.xml"
    xml.write_text(one().replace("pc-i440fx-7.2", "pc-q35-7.0").replace(
        "<disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>", ""))
    assert main(["matrix", str(xml)]) == 0
    out = capsys.readouterr().out
    assert "QEMU 6.2   does not compile: " in out and "error[unknown-machine]" in out
    assert "'pc-q35-7.0' is first in QEMU 7.0" in out
    assert "QEMU 7.0   compiles  pc-q35-7.0" in out

"""Lockfiles: a compile with ``--lock`` keeps every locked address, id, MAC and machine
type, gives devices the lock does not know free places, and says (exit 1) what it
would change anyway; ``--hotplug N`` reserves room without moving anything."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import assume, given, settings, strategies as st
from lxml import etree

from compiler.api import facts_of, make_env
from compiler.cli import main
from compiler.commands.lock import dumps
from compiler.diagnostics import DomcError
from compiler.emit.abidiff import abi_diff, lock_changes
from compiler.emit.argv import emit_argv
from compiler.lockfile import lock_from_facts
from compiler.parse import parse_bytes
from compiler.passes.hotplug import headroom
from compiler.pipeline import normalize

from .hostile.test_properties import COMMON, check_invariants, domains, q35_domains
from .qemu import QEMU, QemuRefused, ask_paused, bootable

LOCK_EXAMPLES = 60


def compiled(xml: bytes | str, lock=None, **env_args):
    env = make_env(**env_args)
    env.lock = lock
    dom, _ = parse_bytes(xml.encode() if isinstance(xml, str) else xml, "gen.xml")
    dom = normalize(dom, env)
    return dom, env, facts_of(dom, env)


def lock_of(facts: dict):
    """The lock ``domc lock`` would write, read back as ``--lock`` reads it."""
    return lock_from_facts(json.loads(dumps(facts)), "gen.lock")


# ------------------------------------------------------------------ property: add devices

def _insert(xml: str, new: list[str], positions: list[int]) -> str:
    root = etree.fromstring(xml.encode())
    devices = root.find("devices")
    for element, pos in zip(new, positions):
        el = etree.fromstring(element)
        devices.insert(pos % (len(devices) + 1), el)
    return etree.tostring(root).decode()


@st.composite
def changes(draw, base) -> tuple[str, str]:
    """A generated domain, and the same domain with a NIC, a disk and/or a controller
    added at random places."""
    xml = draw(base)
    used = set(re.findall(r"dev='(vd[a-z]+)'", xml))
    free = [f"vd{c}" for c in "abcdefghijklmnopqrstuvwxyz" if f"vd{c}" not in used]
    pool = [
        "<interface type='user'><model type='virtio'/></interface>",
        "<interface type='user'><model type='e1000'/></interface>",
        f"<disk type='file' device='disk'><source file='/img/{free[0]}.img'/>"
        f"<target dev='{free[0]}' bus='virtio'/></disk>",
        "<controller type='scsi' index='9' model='virtio-scsi'/>",
        "<controller type='virtio-serial' index='3'/>",
    ]
    new = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    positions = draw(st.lists(st.integers(0, 40), min_size=len(new), max_size=len(new)))
    return xml, _insert(xml, new, positions)


def _no_locked_device_moved(xml: str, changed: str) -> None:
    _, _, before = compiled(xml)
    lock = lock_of(before)
    try:
        dom, _, after = compiled(changed, lock)
    except DomcError as exc:
        # only running out of PCI slots may stop a bigger domain; never the lock
        assume(all(d.code == "pci-slots-exhausted" for d in exc.diagnostics))
        return
    check_invariants(dom)
    emit_argv(dom)
    for key, entry in before["devices"].items():
        assert key in after["devices"], f"{key} disappeared"
        now = after["devices"][key]
        for field in ("address", "alias", "mac", "model"):
            assert now.get(field) == entry.get(field), (key, field, entry, now)
    assert lock_changes(before, after) == []
    added = [c for c in abi_diff(before, after)]
    assert added and all(c.change == "added" and c.section == "device" for c in added)


@settings(max_examples=LOCK_EXAMPLES, **COMMON)
@given(changes(domains()))
def test_added_devices_move_no_locked_device_i440fx(pair):
    _no_locked_device_moved(*pair)


@settings(max_examples=LOCK_EXAMPLES, **COMMON)
@given(changes(q35_domains()))
def test_added_devices_move_no_locked_device_q35(pair):
    _no_locked_device_moved(*pair)


# ------------------------------------------------------------------ scenarios

Q35 = """<domain type='qemu'>
  <name>win</name>
  <uuid>11111111-2222-3333-4444-555555555555</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    {front}<disk type='file' device='disk'><source file='/img/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <interface type='user'><model type='virtio'/></interface>
    <controller type='usb' model='qemu-xhci'/>
    <input type='tablet' bus='usb'/>{back}
  </devices>
</domain>
"""


def q35(front: str = "", back: str = "") -> str:
    return Q35.format(front=front, back=back)


NEW_NIC = "<interface type='user'><model type='e1000e'/></interface>\n    "


def test_new_nic_before_the_old_one_takes_new_places():
    _, _, before = compiled(q35())
    fresh_dom, _, fresh = compiled(q35(front=NEW_NIC))
    # without the lock the new NIC takes the old one's slot and id, as libvirt does
    old = before["devices"]["interface:virtio#0"]
    assert fresh["devices"]["interface:e1000e#0"]["address"] == old["address"]
    assert fresh["devices"]["interface:e1000e#0"]["alias"] == "net0"
    dom, env, after = compiled(q35(front=NEW_NIC), lock_of(before))
    assert after["devices"]["interface:virtio#0"] == old
    new = after["devices"]["interface:e1000e#0"]
    assert new["alias"] == "net1" and new["mac"] != old["mac"]
    assert new["address"] != old["address"]
    assert [c.subject for c in abi_diff(before, after)] == ["interface:e1000e#0 (net1)"]
    assert env.diag.warnings == []  # the lock pins the floating 'q35'


@pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 is not installed")
def test_qemu_runs_the_locked_layout(tmp_path):
    """QEMU 7.2 accepts a locked layout with a device added (a root port where the lock
    left room) and shows every device where the lock put it."""
    _, _, before = compiled(q35())
    dom, env, after = compiled(q35(front=NEW_NIC), lock_of(before))
    argv, _ = bootable(emit_argv(dom, env), tmp_path)

    placed = {}  # id -> (bus id, devfn) the lock says
    bus_ids = {e["index"]: e["alias"] for e in after["devices"].values()
               if e["kind"] == "controller" and e.get("type") == "pci"}
    for entry in after["devices"].values():
        a = entry.get("address")
        # (00:1f is the ICH9's own functions: no -device of their own)
        if a and a["type"] == "pci" and entry.get("alias") and a["slot"] != "0x1f":
            placed[entry["alias"]] = (bus_ids[int(a["bus"], 16)],
                                      int(a["slot"], 16) * 8 + int(a["function"], 16))
    assert "net0" in placed and "net1" in placed and "virtio-disk0" in placed

    async def ask(qmp):
        out = {}
        for qid in placed:
            path = f"/machine/peripheral/{qid}"
            out[qid] = (await qmp.execute("qom-get", {"path": path, "property": "parent_bus"}),
                        await qmp.execute("qom-get", {"path": path, "property": "addr"}))
        return out

    try:
        got = ask_paused(argv, ask)
    except QemuRefused as e:
        pytest.fail(f"QEMU refused the argv: {str(e)[-500:]}")
    for qid, (bus, devfn) in placed.items():
        assert got[qid][0].rsplit("/", 1)[-1] == bus and got[qid][1] == devfn, qid


def test_removed_device_fails_compile_with_the_difference(tmp_path, capsys):
    xml = tmp_path / "g.xml"
    xml.write_text(q35(front=NEW_NIC))
    lock = tmp_path / "g.lock"
    assert main(["lock", str(xml), "-o", str(lock)]) == 0
    xml.write_text(q35())
    capsys.readouterr()
    assert main(["compile", str(xml), "--lock", str(lock)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and "device interface:e1000e#0 (net0): removed from pci" in lines[0]
    # the structured form
    assert main(["compile", str(xml), "--lock", str(lock), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["identical"] is False
    assert [(c["section"], c["change"]) for c in doc["changes"]] == [("device", "removed")]
    # `lock --lock` accepts the change and keeps the other places
    new_lock = tmp_path / "g2.lock"
    assert main(["lock", str(xml), "--lock", str(lock), "-o", str(new_lock)]) == 0
    assert "removed" in capsys.readouterr().err
    assert main(["compile", str(xml), "--lock", str(new_lock)]) == 0
    old, new = json.loads(lock.read_text()), json.loads(new_lock.read_text())
    assert new["devices"]["interface:virtio#0"] == old["devices"]["interface:virtio#0"]


def test_rewritten_address_is_reported_not_hidden():
    _, _, before = compiled(q35())
    moved = q35().replace("bus='virtio'/>", "bus='virtio'/><address type='pci' domain='0x0000' "
                          "bus='0x00' slot='0x0a' function='0x0'/>")
    _, _, after = compiled(moved, lock_of(before))
    (c,) = lock_changes(before, after)
    assert (c.subject, c.change) == ("disk:vda (virtio-disk0)", "moved")
    assert c.details[0].endswith("-> pci 0000:00:0a.0")


def test_hotplug_reserves_room_after_addressing():
    dom0, _, plain = compiled(q35())
    dom, env, reserved = compiled(q35(), hotplug=4)
    assert headroom(dom)["pcie_ports"] == 4 and headroom(dom0)["pcie_ports"] == 1
    for key, entry in plain["devices"].items():
        assert reserved["devices"][key] == entry, key
    added = [c for c in abi_diff(plain, reserved)]
    assert {c.change for c in added} == {"added"} and len(added) == 3
    # a lock keeps the reserve; the next device takes one of its ports
    _, _, after = compiled(q35(back=f"\n    {NEW_NIC}"), lock_of(reserved))
    assert after["hotplug"]["pcie_ports"] == 3
    assert lock_changes(reserved, after) == []
    # i440fx: free slots of pci-root; a bridge when too few are left
    dom, _, _ = compiled(q35().replace("q35", "pc"), hotplug=40)
    assert headroom(dom)["pci_slots"] >= 40
    assert any(d.kind_tag == "controller" and getattr(d, "model", None) == "pci-bridge"
               for d in dom.devices)


def test_locked_usb_hub_is_put_back():
    tablets = "".join(f"<input type='tablet' bus='usb'><address type='usb' bus='0' "
                      f"port='{p}'/></input>" for p in ("1", "2"))
    base = ("<domain type='qemu'><name>u</name><memory unit='MiB'>64</memory><os><type "
            "arch='x86_64' machine='pc'>hvm</type></os><devices>{}</devices></domain>")
    three = base.format("<controller type='usb' model='piix3-uhci'/>" + "<input type='tablet' "
                        "bus='usb'/>" * 3)
    _, _, before = compiled(three)
    hubs = [k for k in before["devices"] if k.startswith("implicit hub")]
    assert len(hubs) == 1
    five = three.replace("</devices>", "<input type='keyboard' bus='usb'/>" * 2 + "</devices>")
    _, _, after = compiled(five, lock_of(before))
    assert lock_changes(before, after) == []
    assert after["devices"][hubs[0]] == before["devices"][hubs[0]]
    del tablets


def test_not_a_lockfile(tmp_path, capsys):
    bad = tmp_path / "x.lock"
    bad.write_text('{"devices": {}}\n')
    assert main(["compile", "examples/minimal.xml", "--lock", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"{bad}: error[lock-schema]: ")
    bad.write_text('{"domc-lock": 1, "devices": {"disk:vda": {"address": {"type": "pci"}}}}')
    assert main(["compile", "examples/minimal.xml", "--lock", str(bad)]) == 2
    assert "error[lock-schema]: device 'disk:vda'" in capsys.readouterr().err


def test_lock_output_is_stable_and_reviewable(tmp_path):
    a, b = tmp_path / "a.lock", tmp_path / "b.lock"
    assert main(["lock", "examples/laptop.xml", "-o", str(a)]) == 0
    assert main(["lock", "examples/laptop.xml", "-o", str(b)]) == 0
    text = a.read_text()
    assert text == b.read_text()
    facts = json.loads(text)
    lines = text.splitlines()
    # one line per device
    for key in facts["devices"]:
        assert sum(line.lstrip().startswith(json.dumps(key)) for line in lines) == 1
    assert facts["machine"] == "pc-i440fx-7.2" and facts["about"]["machine_written"] == "pc"
    assert facts["cpu"]["model"] == "qemu64" and facts["cpu"]["features"]["lm"] == "on"


def test_host_facts_name_their_source():
    host = "fixtures/hosts/laptop.xml"
    xml = ("<domain type='kvm'><name>h</name><memory unit='MiB'>64</memory><os><type "
           "arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os><cpu mode='host-model'/>"
           "<devices/></domain>")
    _, _, facts = compiled(xml, host=host)
    assert facts["from_host"] == {"cpu": f"--host {host}"}
    assert facts["cpu"]["features"]
    # a TCG guest's host-model CPU is what QEMU's TCG gives, whatever the host
    _, _, tcg = compiled(xml.replace("type='kvm'", "type='qemu'"), host=host)
    assert tcg["from_host"] == {"cpu": "QEMU 7.2.22's TCG (the profile)"}
    _, _, plain = compiled(xml.replace("<cpu mode='host-model'/>", ""))
    assert plain["from_host"] == {}


GOOD_ENTRY = {"kind": "controller", "implicit": True, "type": "pci", "index": 1,
              "model": "pcie-root-port",
              "address": {"type": "pci", "domain": "0x0000", "bus": "0x00", "slot": "0x02",
                          "function": "0x0"}}


@pytest.mark.parametrize("change, what", [
    ({"index": 70000}, "bad index"),
    ({"index": "1"}, "bad index"),
    ({"model": "pcie-root-port,addr=3"}, "bad model"),
    ({"alias": "pci.1,bus=x"}, "bad id"),
    ({"mac": "52:54:00:00:00"}, "bad mac"),
    ({"address": {"type": "pci", "bus": "0x100", "slot": "0x01"}}, "out of range"),
    ({"address": {"type": "pci", "bus": 1, "slot": "0x01"}}, "string number"),
    ({"address": {"type": "usb", "bus": "0", "port": "1,x"}}, "bad USB port"),
    ({"address": {"type": "x y"}}, "bad address type"),
    ({"kind": 3}, "kind must be a string"),
])
def test_hand_edited_lock_is_refused(tmp_path, capsys, change, what):
    lock = tmp_path / "h.lock"
    lock.write_text(json.dumps({"domc-lock": 1, "machine": "pc-q35-7.2",
                                "devices": {"controller:pci:1": {**GOOD_ENTRY, **change}}}))
    assert main(["compile", "examples/windows.xml", "--lock", str(lock)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"{lock}: error[lock-schema]: device ")
    assert what in err[0]


def test_the_good_entry_of_the_hostile_test_is_accepted(tmp_path):
    lock = tmp_path / "h.lock"
    lock.write_text(json.dumps({"domc-lock": 1, "machine": "pc-q35-7.2",
                                "devices": {"controller:pci:1": GOOD_ENTRY}}))
    assert main(["compile", "examples/windows.xml", "--lock", str(lock)]) in (0, 1)


def test_a_compile_skips_lock_keys_for_itself_only(tmp_path):
    """compile_file keys no device (nothing on the command line reads the keys), so
    facts_of refuses what it made; the Env it was given keys the next normalize as
    before, and those facts are the lock's."""
    from compiler.api import compile_file, normalize_file

    from .conftest import EXAMPLES

    env = make_env()
    compiled = compile_file(str(EXAMPLES / "laptop.xml"), env)
    assert all(d.lock_key is None for d in compiled.domain.devices)
    with pytest.raises(ValueError, match="without its devices' lock keys"):
        facts_of(compiled.domain, env)
    assert env.lock_keys
    dom, _ = normalize_file(str(EXAMPLES / "laptop.xml"), env)
    assert all(d.lock_key is not None for d in dom.devices)
    assert facts_of(dom, env)["devices"]

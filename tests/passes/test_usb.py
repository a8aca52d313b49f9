"""assign_usb_ports: ports, hubs libvirt adds when ports run out, and QEMU taking the
result.  Expected ports were read from libvirt 9.0 (../shared/tools/libvirt-oracle)."""

from __future__ import annotations

import json

import pytest

from compiler.api import make_env
from compiler.devices.hub import Hub
from compiler.emit.argv import emit_argv
from compiler.emit.xml import write_normalized
from compiler.parse import parse_bytes
from compiler.pipeline import normalize

from ..qemu import NO_QEMU, QEMU, ask_paused, bootable
from ._domains import domain_xml

THREE_INPUTS = ("<input type='tablet' bus='usb'/><input type='mouse' bus='usb'/>"
                "<input type='keyboard' bus='usb'/><redirdev bus='usb' type='spicevmc'/>"
                "<graphics type='spice'/>")


def compiled(devices: str, machine: str = "pc"):
    dom, root = parse_bytes(domain_xml(devices, machine), "t.xml")
    env = make_env()
    dom = normalize(dom, env)
    return dom, root, emit_argv(dom, env)


def usb_devices(argv: list[str]) -> list[tuple[str, str, str]]:
    out = []
    for o, v in zip(argv, argv[1:]):
        if o == "-device" and '"bus":"usb.0"' in v:
            d = json.loads(v)
            out.append((d["driver"], d["id"], d["port"]))
    return out


def test_a_hub_is_added_when_the_ports_run_out_and_filled_level_by_level():
    _, _, argv = compiled(THREE_INPUTS)
    assert usb_devices(argv) == [
        ("usb-hub", "hub0", "1"),          # hubs first
        ("usb-tablet", "input0", "2"),     # the controller's own free port before the hub's
        ("usb-mouse", "input1", "1.1"),
        ("usb-kbd", "input2", "1.2"),
        ("usb-redir", "redir0", "1.3"),
    ]


def test_no_hub_while_the_ports_last():
    _, _, argv = compiled("<input type='tablet' bus='usb'/><input type='mouse' bus='usb'/>")
    assert [d[0] for d in usb_devices(argv)] == ["usb-tablet", "usb-mouse"]


def test_hubs_needed_for_many_devices():
    # 2 root ports, 10 devices: libvirt's count is ceil((10 - 2 + 1) / 7) = 2 hubs
    dom, _, argv = compiled("<input type='tablet' bus='usb'/>" * 10)
    assert len(dom.devices_of(Hub)) == 2
    ports = [d[2] for d in usb_devices(argv)]
    assert ports[:2] == ["1", "2"] and len(set(ports)) == 12
    assert all(p.split(".")[0] in ("1", "2") for p in ports)


def test_a_users_hub_opens_its_ports():
    _, _, argv = compiled("<hub type='usb'><address type='usb' bus='0' port='2'/></hub>"
                          + "<input type='tablet' bus='usb'/>" * 3)
    assert usb_devices(argv)[0] == ("usb-hub", "hub0", "2")
    assert [d[2] for d in usb_devices(argv)[1:]] == ["1", "2.1", "2.2"]


@pytest.mark.parametrize("devices, hubs", [
    # the user's hub, placed or not, counts its 8 ports: no hub of libvirt's own
    ("<hub type='usb'/>" + "<input type='tablet' bus='usb'/>" * 2, 1),
    ("<hub type='usb'/>" * 3, 3),
    # every USB device counts, a placed one too: 3 tablets on 2 ports, one of them placed
    ("<input type='tablet' bus='usb'><address type='usb' bus='0' port='1'/></input>"
     + "<input type='tablet' bus='usb'/>" * 2, 1),
])
def test_hub_count_as_libvirt_counts(devices, hubs):
    dom, _, argv = compiled(devices)
    assert len(dom.devices_of(Hub)) == hubs
    ports = [d[2] for d in usb_devices(argv)]
    assert len(set(ports)) == len(ports)


def test_normalize_writes_the_added_hub():
    dom, root, _ = compiled(THREE_INPUTS)
    xml = write_normalized(root, dom).decode()
    assert '<hub type="usb">' in xml and '<address type="usb" bus="0" port="1"/>' in xml
    again, root2 = parse_bytes(xml.encode(), "t.xml")
    env = make_env()
    assert write_normalized(root2, normalize(again, env)).decode() == xml


@pytest.mark.skipif(QEMU is None, reason=NO_QEMU)
def test_qemu_builds_the_hub_tree(tmp_path):
    _, _, argv = compiled(THREE_INPUTS.replace("<graphics type='spice'/>", "")
                          .replace("<redirdev bus='usb' type='spicevmc'/>", ""))
    argv, _ = bootable(argv, tmp_path)

    async def ask(qmp):
        return await qmp.execute("human-monitor-command", {"command-line": "info usb"})

    info = ask_paused(argv, ask)
    ports = {line.split("Port ")[1].split(",")[0] for line in info.splitlines() if "Port " in line}
    assert ports == {"1", "2", "1.1", "1.2"}, info


def test_a_usb2_set_counts_its_masters_ports_once():
    usb2 = ("<controller type='usb' index='0' model='ich9-ehci1'/>"
            "<controller type='usb' index='0' model='ich9-uhci1'><master startport='0'/></controller>"
            "<controller type='usb' index='0' model='ich9-uhci2'><master startport='2'/></controller>")
    _, _, argv = compiled(usb2 + "<input type='tablet' bus='usb'/>" * 6, "q35")
    assert [d[2] for d in usb_devices(argv)] == ["1", "2", "3", "4", "5", "6"]
    _, _, argv = compiled(usb2 + "<input type='tablet' bus='usb'/>" * 7, "q35")
    assert usb_devices(argv)[0] == ("usb-hub", "hub0", "1")

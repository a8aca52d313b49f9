"""add_implicit_devices: what libvirt adds, and the values domc fills in."""

from __future__ import annotations

import pytest
from lxml import etree

from compiler.api import make_env
from compiler.devices.chardev import CharDevice
from compiler.devices.controller import Controller
from compiler.devices.input import Input
from compiler.devices.memballoon import Memballoon
from compiler.devices.net import Interface
from compiler.devices.video import Video
from compiler.diagnostics import DomcError
from compiler.emit.xml import write_normalized
from compiler.parse import parse_bytes
from compiler.pipeline import normalize

from ._domains import disk, domain_xml, normalized


def test_i440fx_defaults():
    dom = normalized("")
    ctrls = [(c.type, c.index, c.model) for c in dom.devices_of(Controller)]
    assert ctrls == [("usb", 0, "piix3-uhci"), ("pci", 0, "pci-root")]  # no IDE without IDE disks
    assert [(i.type, i.bus) for i in dom.devices_of(Input)] == [("mouse", "ps2"), ("keyboard", "ps2")]
    assert [b.model for b in dom.devices_of(Memballoon)] == ["virtio"]
    assert dom.devices_of(Video) == []


def test_graphics_bring_a_video_card():
    dom = normalized("<graphics type='vnc'/>")
    assert [v.model for v in dom.devices_of(Video)] == ["cirrus"]


def test_q35_defaults():
    dom = normalized("", machine="q35")
    ctrls = {(c.type, c.index, c.model) for c in dom.devices_of(Controller)}
    assert {("pci", 0, "pcie-root"), ("sata", 0, None), ("usb", 0, "qemu-xhci")} <= ctrls


def test_missing_macs_are_stable_distinct_and_in_qemus_range():
    devices = "<interface type='user'/>" * 3
    first = [n.mac for n in normalized(devices).devices_of(Interface)]
    again = [n.mac for n in normalized(devices).devices_of(Interface)]
    assert first == again
    assert len(set(first)) == 3
    assert all(m.startswith("52:54:00:") for m in first)


def test_a_given_mac_is_kept_and_never_generated_twice():
    dom = normalized("<interface type='user'><mac address='52:54:00:AA:bb:01'/></interface>"
                     "<interface type='user'/>")
    macs = [n.mac for n in dom.devices_of(Interface)]
    assert macs[0] == "52:54:00:aa:bb:01" and macs[1] != macs[0]


def test_guest_agent_channel_gets_a_socket_and_a_virtio_serial_controller():
    dom = normalized("<channel type='unix'><target type='virtio' "
                     "name='org.qemu.guest_agent.0'/></channel>")
    (ch,) = [d for d in dom.devices_of(CharDevice) if d.element == "channel"]
    assert ch.source.path == "/run/domc/channel/t/org.qemu.guest_agent.0"
    assert ch.source.mode == "bind"
    assert any(c.type == "virtio-serial" and c.index == 0 for c in dom.devices_of(Controller))


def test_the_chosen_socket_is_written_by_normalize_and_a_users_path_is_left_alone():
    def channel(xml: str):
        dom, root = parse_bytes(domain_xml(xml), "t.xml")
        out = etree.fromstring(write_normalized(root, normalize(dom, make_env())))
        return out.find("devices/channel")

    ch = channel("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/>"
                 "</channel>")
    assert [c.tag for c in ch] == ["source", "target", "alias", "address"]
    assert dict(ch.find("source").attrib) == {
        "mode": "bind", "path": "/run/domc/channel/t/org.qemu.guest_agent.0"}
    mine = channel("<channel type='unix'><source mode='bind' path='/s/ga' x='y'/>"
                   "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>")
    assert dict(mine.find("source").attrib) == {"mode": "bind", "path": "/s/ga", "x": "y"}


def test_disk_controllers_come_in_libvirts_order():
    dom = normalized(disk("hda", "ide") + disk("sda", "scsi") + disk("fda", "fdc",
                                                                       device="floppy"))
    assert [c.type for c in dom.devices_of(Controller)] == ["usb", "pci", "scsi", "fdc", "ide"]


def _lines(xml: bytes, *needles: str) -> list[int]:
    text = xml.decode().splitlines()
    return [next(n for n, line in enumerate(text, 1) if needle in line) for needle in needles]


def test_added_devices_point_at_what_caused_them_in_the_domain_file():
    devices = (disk("sda", "scsi") + "\n" + disk("sdz", "scsi") + "\n<graphics type='vnc'/>\n"
               "<console type='pty'/>\n<channel type='unix'><target type='virtio' "
               "name='org.qemu.guest_agent.0'/></channel>")
    xml = domain_xml(devices)
    dom, _ = parse_bytes(xml, "t.xml")
    out = normalize(dom, make_env())
    sda, sdz, graphics, console, channel = _lines(xml, "'sda'", "'sdz'", "<graphics", "<console",
                                                  "<channel")
    added = {(d.kind_tag, getattr(d, "type", None), getattr(d, "index", None)): d.span
             for d in out.devices if d.origin is None}
    assert all(s.file == "t.xml" and s.line > 0 for s in added.values()), added
    # the disk on an index causes its controller, the highest disk the ones below it
    assert added[("controller", "scsi", 0)].line == sda
    assert [added[("controller", "scsi", i)].line for i in (1, 2, 3)] == [sdz] * 3
    assert added[("controller", "virtio-serial", 0)].line == channel
    assert added[("video", None, None)].line == graphics
    assert added[("serial", None, None)].line == console
    # the machine's own devices point at <domain>
    domain_line = _lines(xml, "<domain")[0]
    for key in (("controller", "usb", 0), ("controller", "pci", 0), ("memballoon", None, None)):
        assert added[key].line == domain_line


def test_an_error_about_an_added_device_names_the_file_and_line():
    # every slot of the root bus taken by the user: the balloon libvirt adds has none left
    nics = "".join(f"<interface type='user'><address type='pci' domain='0' bus='0' "
                   f"slot='{slot}' function='0'/></interface>" for slot in range(2, 32))
    dom, _ = parse_bytes(domain_xml(nics), "t.xml")
    with pytest.raises(DomcError) as exc:
        normalize(dom, make_env())
    (err,) = [d for d in exc.value.diagnostics if "memballoon" in d.message]
    assert err.render().startswith("t.xml:1: error[pci-slots-exhausted]:")

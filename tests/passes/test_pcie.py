"""q35 PCI(e) layout, as libvirt 9.0 lays it out (layouts checked with libvirt-oracle)."""

import pytest

from compiler.api import make_env
from compiler.devices.controller import Controller
from compiler.diagnostics import DomcError
from compiler.model import PciAddr
from compiler.parse import parse_bytes
from compiler.pipeline import normalize

HEAD = """<domain type='qemu'><name>t</name><memory>131072</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='q35'>hvm</type></os>
<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>
"""


def layout(devices: str) -> dict[str, str]:
    """alias -> 'bus:slot.fn[+m|-m]' for every device with a PCI address."""
    dom, _ = parse_bytes((HEAD + devices + "</devices></domain>").encode(), "t.xml")
    dom = normalize(dom, make_env())
    out = {}
    for d in dom.devices:
        a = d.address
        if isinstance(a, PciAddr):
            mf = {True: "+m", False: "-m", None: ""}[a.multifunction]
            out[d.alias] = f"{a.bus}:{a.slot:02x}.{a.function}{mf}"
    return out


def errors(devices: str) -> list[tuple[str, str]]:
    with pytest.raises(DomcError) as exc:
        layout(devices)
    return [(d.code, d.message) for d in exc.value.diagnostics]


def controllers(devices: str) -> dict[str, Controller]:
    dom, _ = parse_bytes((HEAD + devices + "</devices></domain>").encode(), "t.xml")
    dom = normalize(dom, make_env())
    return {d.alias: d for d in dom.devices if isinstance(d, Controller) and d.type == "pci"}


LAYOUTS = [
    # nothing but the defaults: usb + balloon each get a root port, plus one for hotplug
    ("defaults", "", {
        "pci.1": "0:01.0+m", "pci.2": "0:01.1", "pci.3": "0:01.2",
        "usb": "1:00.0", "balloon0": "2:00.0", "ide": "0:1f.2"}),
    # the primary video takes 00:01.0, so root ports start at slot 2
    ("video", "<video><model type='vga'/></video>", {
        "video0": "0:01.0", "pci.1": "0:02.0+m", "pci.2": "0:02.1", "pci.3": "0:02.2",
        "usb": "1:00.0", "balloon0": "2:00.0", "ide": "0:1f.2"}),
    # conventional PCI NICs: a root port with a pcie-to-pci-bridge, slots from 1
    ("conventional", "<interface type='user'><model type='e1000'/></interface>"
     "<interface type='user'><model type='rtl8139'/></interface>"
     "<interface type='user'><model type='virtio'/></interface>", {
         "pci.1": "0:01.0+m", "pci.2": "1:00.0", "pci.3": "0:01.1", "pci.4": "0:01.2",
         "pci.5": "0:01.3", "pci.6": "0:01.4", "usb": "4:00.0", "net0": "2:01.0",
         "net1": "2:02.0", "net2": "3:00.0", "balloon0": "5:00.0", "ide": "0:1f.2"}),
    # ich9 sound at 00:1b, ich6 and a secondary qxl behind the bridge
    ("sound", "<video><model type='vga'/></video><video><model type='qxl'/></video>"
     "<sound model='ich9'/><sound model='ich6'/><watchdog model='i6300esb'/>", {
         "video0": "0:01.0", "sound0": "0:1b.0", "pci.1": "0:02.0+m", "pci.2": "1:00.0",
         "sound1": "2:01.0", "watchdog0": "2:02.0", "video1": "2:03.0", "pci.3": "0:02.1",
         "pci.4": "0:02.2", "pci.5": "0:02.3", "usb": "3:00.0", "balloon0": "4:00.0",
         "ide": "0:1f.2"}),
    # a user address on pcie.0 is kept; the other devices still get root ports
    ("user-address", "<interface type='user'><model type='virtio'/>"
     "<address type='pci' bus='0' slot='5'/></interface>", {
         "net0": "0:05.0", "pci.1": "0:01.0+m", "pci.2": "0:01.1", "pci.3": "0:01.2",
         "usb": "1:00.0", "balloon0": "2:00.0", "ide": "0:1f.2"}),
    # user root ports (no index): numbered 1, 2; no extra hotplug port, explicit on kept
    # (an explicit off beside function 1 is refused: see test_pci)
    ("user-ports", "<controller type='pci' model='pcie-root'/>"
     "<controller type='pci' model='pcie-root-port'>"
     "<address type='pci' slot='4' function='0' multifunction='on'/></controller>"
     "<controller type='pci' model='pcie-root-port'>"
     "<address type='pci' slot='4' function='1'/></controller>", {
         "pci.1": "0:04.0+m", "pci.2": "0:04.1", "usb": "1:00.0", "balloon0": "2:00.0",
         "ide": "0:1f.2"}),
    # a dmi-to-pci-bridge goes to 00:1e, a pci-bridge behind it at slot 0
    ("dmi", "<controller type='pci' index='0' model='pcie-root'/>"
     "<controller type='pci' index='1' model='dmi-to-pci-bridge'/>"
     "<controller type='pci' index='2' model='pci-bridge'/>"
     "<interface type='user'><model type='e1000'/></interface>", {
         "pci.1": "0:1e.0", "pci.2": "1:00.0", "net0": "2:01.0", "pci.3": "0:01.0+m",
         "pci.4": "0:01.1", "usb": "3:00.0", "balloon0": "4:00.0", "ide": "0:1f.2"}),
]


@pytest.mark.parametrize("name,devices,want", LAYOUTS, ids=[c[0] for c in LAYOUTS])
def test_layout(name, devices, want):
    assert layout(devices) == want


def test_root_port_chassis_and_port():
    c = controllers("<controller type='pci' index='0' model='pcie-root'/>"
                    "<controller type='pci' index='1' model='pcie-root-port'>"
                    "<target chassis='7' port='0x20' hotplug='off'/></controller>"
                    "<controller type='pci' index='2' model='pcie-root-port'/>")
    assert (c["pci.1"].chassis, c["pci.1"].port, c["pci.1"].hotplug) == (7, 0x20, False)
    # defaults: chassis = index, port = slot << 3 | function (00:01.1 here)
    assert (c["pci.2"].chassis, c["pci.2"].port) == (2, 0x9)


ERRORS = [
    ("conflict", "<interface type='user'><model type='virtio'/>"
     "<address type='pci' bus='0' slot='5'/></interface>"
     "<interface type='user'><model type='e1000'/>"
     "<address type='pci' bus='0' slot='5'/></interface>",
     "pci-address-conflict", ("interface", "line 4")),
    ("ich9-lpc", "<interface type='user'><model type='virtio'/>"
     "<address type='pci' bus='0' slot='0x1f' function='0'/></interface>",
     "pci-address-reserved", ("ICH9",)),
    ("sata-moved", "<controller type='sata' index='0'>"
     "<address type='pci' bus='0' slot='3'/></controller>",
     "pci-address-reserved", ("0000:00:1f.2",)),
    ("no-such-bus", "<interface type='user'><model type='virtio'/>"
     "<address type='pci' bus='3' slot='0'/></interface>",
     "pci-address-range", ("bus 3",)),
    ("port-on-port", "<controller type='pci' index='0' model='pcie-root'/>"
     "<controller type='pci' index='1' model='pcie-root-port'/>"
     "<controller type='pci' index='2' model='pcie-root-port'>"
     "<address type='pci' bus='1' slot='0'/></controller>",
     "pci-bus-mismatch", ("pcie-root-port",)),
    ("slot-on-port", "<controller type='pci' index='0' model='pcie-root'/>"
     "<controller type='pci' index='1' model='pcie-root-port'/>"
     "<interface type='user'><model type='virtio'/>"
     "<address type='pci' bus='1' slot='3'/></interface>",
     "pci-address-range", ("slot 3",)),
    # every pcie.0 slot taken by hand: the root port the last NIC needs has nowhere to go
    ("exhausted", "".join(
        f"<interface type='user'><model type='virtio'/>"
        f"<address type='pci' bus='0' slot='{s}'/></interface>" for s in range(1, 31))
     + "<interface type='user'><model type='virtio'/></interface>",
     "pci-slots-exhausted", ("pcie-root-port",)),
]


@pytest.mark.parametrize("name,devices,code,words", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors(name, devices, code, words):
    got = errors(devices)
    assert [c for c, _ in got] == [code], got
    assert all(w in got[0][1] for w in words), got[0][1]
    assert "\n" not in got[0][1]

"""How each device kind plugs into a PCI(e) bus (libvirt's
qemuDomainDeviceCalculatePCIConnectFlags), pinned per kind and model."""

import re

import pytest

from compiler.devices import DEVICE_KINDS, kind_for_element
from compiler.devices.controller import Controller
from compiler.parse import parse_bytes
from compiler.passes.pci_buses import Conn, connect_flags

HEAD = """<domain type='qemu'><name>t</name><memory>131072</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='q35'>hvm</type></os>
<devices>
"""

PCI = Conn.PCI_DEVICE | Conn.AUTOASSIGN
PCIE = Conn.PCIE_DEVICE | Conn.AUTOASSIGN

CASES = [
    # controllers: PCI controllers plug in by model, the rest are endpoints
    ("<controller type='pci' index='0' model='pci-root'/>", Conn(0)),
    ("<controller type='pci' index='0' model='pcie-root'/>", Conn(0)),
    ("<controller type='pci' index='1' model='pcie-root-port'/>", Conn.ROOT_PORT | Conn.AGGREGATE),
    ("<controller type='pci' index='1' model='pci-bridge'/>", Conn.PCI_BRIDGE),
    ("<controller type='pci' index='1' model='dmi-to-pci-bridge'/>", Conn.DMI_BRIDGE),
    ("<controller type='pci' index='1' model='pcie-to-pci-bridge'/>", Conn.PCIE_TO_PCI_BRIDGE),
    ("<controller type='pci' index='1' model='pcie-switch-upstream-port'/>", Conn.UPSTREAM_PORT),
    ("<controller type='pci' index='1' model='pcie-switch-downstream-port'/>",
     Conn.DOWNSTREAM_PORT),
    ("<controller type='pci' index='1' model='pci-expander-bus'/>", Conn.PCI_EXPANDER),
    ("<controller type='pci' index='1' model='pcie-expander-bus'/>", Conn.PCIE_EXPANDER),
    ("<controller type='usb' index='0' model='qemu-xhci'/>", PCIE),
    ("<controller type='usb' index='0' model='nec-xhci'/>", PCIE),
    ("<controller type='usb' index='0' model='piix3-uhci'/>", PCI),
    ("<controller type='usb' index='0' model='ich9-ehci1'/>", PCI),
    ("<controller type='scsi' index='0'/>", PCIE),
    ("<controller type='scsi' index='0' model='virtio-scsi'/>", PCIE),
    ("<controller type='scsi' index='0' model='virtio-non-transitional'/>", PCIE),
    ("<controller type='scsi' index='0' model='virtio-transitional'/>", PCI),
    ("<controller type='scsi' index='0' model='lsilogic'/>", PCI),
    ("<controller type='virtio-serial' index='0'/>", PCIE),
    ("<controller type='virtio-serial' index='0' model='virtio-transitional'/>", PCI),
    ("<controller type='sata' index='0'/>", PCI),
    ("<controller type='ide' index='0'/>", PCI),
    # disks
    ("<disk type='file' device='disk'><source file='/a.img'/><target dev='vda' bus='virtio'/>"
     "</disk>", PCIE),
    ("<disk type='file' device='disk' model='virtio-transitional'><source file='/a.img'/>"
     "<target dev='vda' bus='virtio'/></disk>", PCI),
    ("<disk type='file' device='disk' model='virtio-non-transitional'><source file='/a.img'/>"
     "<target dev='vda' bus='virtio'/></disk>", PCIE),
    # network
    ("<interface type='user'><model type='virtio'/></interface>", PCIE),
    ("<interface type='user'><model type='virtio-non-transitional'/></interface>", PCIE),
    ("<interface type='user'><model type='virtio-transitional'/></interface>", PCI),
    ("<interface type='user'><model type='e1000e'/></interface>", PCIE),
    ("<interface type='user'><model type='igb'/></interface>", PCIE),
    ("<interface type='user'><model type='e1000'/></interface>", PCI),
    ("<interface type='user'><model type='rtl8139'/></interface>", PCI),
    ("<interface type='user'/>", PCI),
    # video
    ("<video><model type='virtio'/></video>", PCIE),
    ("<video><model type='bochs'/></video>", PCIE),
    ("<video><model type='vga'/></video>", PCI),
    ("<video><model type='qxl'/></video>", PCI),
    ("<video><model type='cirrus'/></video>", PCI),
    # balloon, rng
    ("<memballoon model='virtio'/>", PCIE),
    ("<memballoon model='virtio-transitional'/>", PCI),
    ("<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>", PCIE),
    ("<rng model='virtio-transitional'><backend model='random'>/dev/urandom</backend></rng>",
     PCI),
    # input
    ("<input type='tablet' bus='virtio'/>", PCIE),
    ("<input type='tablet' bus='usb'/>", PCIE),
    # sound, watchdog
    ("<sound model='ich9'/>", PCI),
    ("<sound model='ich6'/>", PCI),
    ("<watchdog model='i6300esb'/>", PCI),
    # iommu
    ("<iommu model='intel'/>", PCIE | Conn.INTEGRATED),
    ("<iommu model='virtio'/>", PCIE | Conn.INTEGRATED),
    # hostdev, filesystem, vsock, memory
    ("<hostdev mode='subsystem' type='pci' managed='yes'><source>"
     "<address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/></source></hostdev>", PCIE),
    ("<filesystem type='mount'><source dir='/srv'/><target dir='srv'/></filesystem>", PCIE),
    ("<filesystem type='mount' model='virtio-transitional'><source dir='/srv'/>"
     "<target dir='srv'/></filesystem>", PCI),
    ("<vsock model='virtio'><cid auto='yes'/></vsock>", PCIE),
    ("<vsock model='virtio-transitional'><cid auto='yes'/></vsock>", PCI),
    ("<memory model='virtio-mem'><target><size unit='KiB'>131072</size><node>0</node>"
     "<block unit='KiB'>2048</block><requested unit='KiB'>0</requested></target></memory>", PCIE),
    ("<memory model='virtio-pmem'><source><path>/srv/p.img</path></source><target>"
     "<size unit='KiB'>131072</size></target></memory>", PCIE),
    ("<memory model='dimm'><target><size unit='KiB'>131072</size><node>0</node></target>"
     "</memory>", PCIE),
    # serial ports, ivshmem: conventional PCI (on q35 libvirt 9.0 puts the shmem behind
    # a pcie-to-pci-bridge it adds)
    ("<serial type='pty'><target type='pci-serial'/></serial>", PCI),
    ("<shmem name='s'><model type='ivshmem-plain'/></shmem>", PCI),
    ("<serial type='pty'/>", PCI),
    # kinds that never take a PCI slot plug into no bus
    ("<parallel type='pty'/>", Conn(0)),
    ("<console type='pty'/>", Conn(0)),
    ("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>",
     Conn(0)),
    ("<smartcard mode='passthrough' type='spicevmc'/>", Conn(0)),
    ("<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>", Conn(0)),
    ("<redirdev bus='usb' type='spicevmc'/>", Conn(0)),
    ("<hub type='usb'/>", Conn(0)),
    ("<panic model='isa'/>", Conn(0)),
    ("<graphics type='vnc'/>", Conn(0)),
    ("<audio id='1' type='none'/>", Conn(0)),
]


def _tag(snippet: str) -> str:
    """The kind the snippet's element (and its model, where kinds share an element) is."""
    m = re.match(r"<([a-z]+)(?:\s+model='([^']*)')?", snippet)
    return kind_for_element(m.group(1), m.group(2)).tag


def _device(snippet: str):
    dom, _ = parse_bytes((HEAD + snippet + "</devices></domain>").encode(), "t.xml")
    tag = _tag(snippet)
    devs = [d for d in dom.devices if d.kind_tag == tag]
    assert len(devs) == 1, (tag, dom.devices)
    return devs[0]


@pytest.mark.parametrize("snippet,flags", CASES, ids=[c[0][:60] for c in CASES])
def test_connect_flags(snippet, flags):
    assert connect_flags(_device(snippet)) == flags


def test_every_kind_is_pinned():
    pinned = {_tag(snippet) for snippet, _ in CASES}
    assert pinned >= {k.tag for k in DEVICE_KINDS}


@pytest.mark.parametrize("model,flags", [
    ("pcie-root-port", Conn.ROOT_PORT | Conn.AGGREGATE), ("pci-bridge", Conn.PCI_BRIDGE),
    ("pcie-to-pci-bridge", Conn.PCIE_TO_PCI_BRIDGE), ("no-such-model", Conn(0))])
def test_controllers_the_pass_adds(model, flags):
    assert connect_flags(Controller(type="pci", index=3, model=model)) == flags

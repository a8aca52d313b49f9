"""What libvirt 9.0 fills in for domains real clients write (virt-install, virt-manager
leave indexes and ids to libvirt).  Each expected value was read off the reference's
argv (`libvirt-oracle argv`); tests/hostile/test_oracle.py and tests/test_realclient.py
check the same rules against the live reference on generated domains."""

from __future__ import annotations

import json

import pytest

from .helpers import compile_snippet, devices_of

SCSI = "<controller type='scsi' model='virtio-scsi'/>"


def _scsi_disk(device: str = "disk", extra: str = "", dtype: str = "file") -> str:
    source = "<source dev='/dev/sdz'/>" if dtype == "block" else \
        "" if device == "cdrom" else "<source file='/a.img'/>"
    return (f"<disk type='{dtype}' device='{device}'>{source}<target dev='sda' bus='scsi'/>"
            f"{extra}</disk>")


@pytest.mark.parametrize("disk, driver, device_id", [
    (_scsi_disk(), "scsi-hd", "drive-scsi0-0-0-0"),
    (_scsi_disk(extra="<serial>ABC123</serial>"), "scsi-hd", "ABC123"),
    (_scsi_disk("cdrom"), "scsi-cd", "drive-scsi0-0-0-0"),
    (_scsi_disk("cdrom", "<serial>X</serial>"), "scsi-cd", "X"),
    (_scsi_disk(extra="<alias name='ua-foo'/>"), "scsi-hd", "drive-ua-foo"),
    (_scsi_disk("lun", dtype="block"), "scsi-block", None),  # passthrough: the LUN's own
])
def test_scsi_device_id(tmp_path, disk, driver, device_id):
    [dev] = devices_of(compile_snippet(tmp_path, SCSI + disk), driver)
    assert dev.get("device_id") == device_id


SERIAL = "<serial type='pty'/>"
VIRTIO_CONSOLE = "<console type='pty'><target type='virtio'/></console>"
SERIAL_CONSOLE = "<console type='pty'><target type='serial'/></console>"
PCI_SERIAL = "<serial type='pty'><target type='pci-serial'/></serial>"


@pytest.mark.parametrize("devices, ids", [
    (VIRTIO_CONSOLE, ["console0"]),
    # a serial port's console is console 0, even when only libvirt writes it
    (SERIAL + VIRTIO_CONSOLE, ["console1"]),
    (VIRTIO_CONSOLE + SERIAL, ["console1"]),
    (SERIAL + SERIAL_CONSOLE + VIRTIO_CONSOLE, ["console1"]),
    (SERIAL_CONSOLE + VIRTIO_CONSOLE, ["console1"]),
    (SERIAL + SERIAL + VIRTIO_CONSOLE + VIRTIO_CONSOLE, ["console1", "console2"]),
    # only an ISA serial port has that console: after a PCI, USB or debug one (the first
    # serial port decides) a virtio console is console 0
    (PCI_SERIAL + VIRTIO_CONSOLE, ["console0"]),
    (VIRTIO_CONSOLE + PCI_SERIAL + VIRTIO_CONSOLE, ["console0", "console1"]),
    ("<serial type='pty'><target type='usb-serial'/></serial>" + VIRTIO_CONSOLE, ["console0"]),
    ("<serial type='pty'><target type='isa-debug'/></serial>" + VIRTIO_CONSOLE, ["console0"]),
    (PCI_SERIAL + SERIAL + VIRTIO_CONSOLE, ["console0"]),
    (SERIAL + PCI_SERIAL + VIRTIO_CONSOLE, ["console1"]),
    ("<serial type='pty'><target type='isa-serial'/></serial>" + VIRTIO_CONSOLE, ["console1"]),
])
def test_virtio_console_ids(tmp_path, devices, ids):
    argv = compile_snippet(tmp_path, devices)
    consoles = devices_of(argv, "virtconsole")
    assert [d["id"] for d in consoles] == ids
    assert [d["chardev"] for d in consoles] == ["char" + i for i in ids]


EHCI = "<controller type='usb' model='ich9-ehci1'/>"
UHCI = "".join(f"<controller type='usb' model='ich9-uhci{n}'><master startport='{2 * n - 2}'/>"
               "</controller>" for n in (1, 2, 3))


@pytest.mark.parametrize("devices, masterbus", [
    # virt-install's USB2 set: no index anywhere; the companions join the EHCI's
    (EHCI + UHCI, "usb.0"),
    # after a controller of another kind the set starts at the next free index
    ("<controller type='usb' model='qemu-xhci'/>" + EHCI + UHCI, "usb1.0"),
])
def test_usb2_companions_without_index(tmp_path, devices, masterbus):
    argv = compile_snippet(tmp_path, devices)
    companions = [d for d in devices_of(argv) if d["driver"].startswith("ich9-usb-uhci")]
    assert [(d["masterbus"], d["firstport"]) for d in companions] == \
        [(masterbus, 0), (masterbus, 2), (masterbus, 4)]
    [ehci] = devices_of(argv, "ich9-usb-ehci1")
    assert ehci["id"] == masterbus[:-2]
    # one multifunction slot: function 0 of the first companion, 7 the master's
    slot = companions[0]["addr"]
    assert ehci["addr"] == slot + ".0x7"


def test_serial_console_mirrors_the_first_serial_port(tmp_path):
    """With a <serial>, a serial console brings no port of its own, whatever port it
    names (libvirt makes it the first serial port's console)."""
    argv = compile_snippet(tmp_path, "<serial type='pty'><target port='1'/></serial>"
                           "<console type='pty'><target type='serial' port='0'/></console>")
    assert [d["id"] for d in devices_of(argv, "isa-serial")] == ["serial0"]


@pytest.mark.parametrize("cache, write_cache", [
    ("none", "on"), ("writeback", "on"), ("unsafe", "on"),
    # each write reaches the disk before it completes: the guest's cache is off
    ("writethrough", "off"), ("directsync", "off"),
    ("default", None),
])
def test_the_guest_write_cache_follows_the_cache_mode(tmp_path, cache, write_cache):
    disk = (f"<disk type='file' device='disk'><driver name='qemu' type='raw' cache='{cache}'/>"
            "<source file='/a.img'/><target dev='vda' bus='virtio'/></disk>")
    [dev] = devices_of(compile_snippet(tmp_path, disk), "virtio-blk-pci")
    assert dev.get("write-cache") == write_cache


def test_a_pci_bridge_gets_its_chassis_number_on_i440fx(tmp_path):
    # libvirt 9.0 fills in chassisNr = index for a bridge written without one
    argv = compile_snippet(tmp_path, "<controller type='pci' index='1' model='pci-bridge'/>"
                           "<controller type='pci' index='2' model='pci-bridge'/>")
    assert [d.get("chassis_nr") for d in devices_of(argv, "pci-bridge")] == [1, 2]


@pytest.mark.parametrize("iotune, below", [
    ("", "libvirt-1-format"),
    # domc throttles with a filter node (libvirt 9.0 through QMP): the filter sits under it
    ("<iotune><total_bytes_sec>1000000</total_bytes_sec></iotune>", "libvirt-1-throttle"),
])
def test_copy_on_read_is_a_filter_node_the_device_reads_through(tmp_path, iotune, below):
    # libvirt 9.0: -blockdev {"driver":"copy-on-read","node-name":"libvirt-CoR-vda",
    # "file":"libvirt-1-format","discard":"unmap"} and the device's drive is that node
    disk = ("<disk type='file' device='disk'><driver name='qemu' type='qcow2' copy_on_read='on'/>"
            f"<source file='/a.qcow2'/><target dev='vda' bus='virtio'/>{iotune}</disk>")
    argv = compile_snippet(tmp_path, disk)
    nodes = [json.loads(v) for o, v in zip(argv, argv[1:]) if o == "-blockdev"]
    assert nodes[-1] == {"driver": "copy-on-read", "node-name": "libvirt-CoR-vda",
                         "file": below, "discard": "unmap"}
    [dev] = devices_of(argv, "virtio-blk-pci")
    assert dev["drive"] == "libvirt-CoR-vda"


def test_block_node_numbers_are_libvirts(tmp_path):
    # libvirt numbers the disks' images down from the total in its disk order (an empty
    # cdrom keeps its number: the sata cdroms here are 4 and 3), then the SCSI host
    # devices' backends up from the total (libvirt 9.0's argv for this domain)
    iscsi = ("<hostdev mode='subsystem' type='scsi'><source protocol='iscsi' "
             "name='iqn.2008-06.com.example:t/{lun}'><host name='192.0.2.1'/></source>"
             "<address type='drive' controller='0' bus='0' target='0' unit='{lun}'/></hostdev>")
    devices = ("<disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>"
               "<disk type='file' device='disk'><source file='/a.img'/><target dev='vda' "
               "bus='virtio'/></disk>"
               "<disk type='file' device='cdrom'><target dev='sdb' bus='sata'/></disk>"
               "<disk type='file' device='disk'><source file='/b.img'/><target dev='vdb' "
               "bus='virtio'/></disk>"
               "<controller type='scsi' model='virtio-scsi'/>"
               + iscsi.format(lun=1) + iscsi.format(lun=2))
    argv = compile_snippet(tmp_path, devices, machine="q35")
    assert [d["drive"] for d in devices_of(argv, "virtio-blk-pci")] == \
        ["libvirt-2-format", "libvirt-1-format"]
    assert [d["drive"] for d in devices_of(argv, "scsi-generic")] == \
        ["libvirt-5-backend", "libvirt-6-backend"]

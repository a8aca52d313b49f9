"""Drive addresses and the controllers they imply: table-driven."""

from __future__ import annotations

import pytest

from compiler.devices.controller import Controller
from compiler.devices.disk import Disk, disk_name_index
from compiler.diagnostics import DomcError
from compiler.model import DriveAddr

from ._domains import disk, normalized


@pytest.mark.parametrize("name, index", [
    ("hda", 0), ("sdb", 1), ("vdz", 25), ("sdaa", 26), ("sdzz", 701), ("fdb", 1),
    ("sd", None), ("vda1", None), ("xyz", None),
])
def test_disk_name_index(name, index):
    assert disk_name_index(name) == index


@pytest.mark.parametrize("dev, bus, addr, alias", [
    ("hda", "ide", DriveAddr(0, 0, 0, 0), "ide0-0-0"),
    ("hdb", "ide", DriveAddr(0, 0, 0, 1), "ide0-0-1"),
    ("hdc", "ide", DriveAddr(0, 1, 0, 0), "ide0-1-0"),
    ("hdd", "ide", DriveAddr(0, 1, 0, 1), "ide0-1-1"),
    ("sda", "scsi", DriveAddr(0, 0, 0, 0), "scsi0-0-0"),
    ("sdg", "scsi", DriveAddr(0, 0, 0, 6), "scsi0-0-6"),
    ("sdh", "scsi", DriveAddr(1, 0, 0, 0), "scsi1-0-0"),
    ("sdz", "scsi", DriveAddr(3, 0, 0, 4), "scsi3-0-4"),
    ("fda", "fdc", DriveAddr(0, 0, 0, 0), "fdc0-0-0"),
    ("fdb", "fdc", DriveAddr(0, 0, 0, 1), "fdc0-0-1"),
])
def test_address_and_alias_from_target_name(dev, bus, addr, alias):
    dom = normalized(disk(dev, bus, device="floppy" if bus == "fdc" else "disk"))
    (d,) = dom.devices_of(Disk)
    assert (d.address, d.alias) == (addr, alias)


def test_sdz_implies_four_scsi_controllers():
    dom = normalized(disk("sdz", "scsi"))
    scsi = [c for c in dom.devices_of(Controller) if c.type == "scsi"]
    assert [(c.index, c.model, c.alias) for c in scsi] == [
        (i, "lsilogic", f"scsi{i}") for i in range(4)]


def test_four_scsi_disks_share_one_controller():
    dom = normalized("".join(disk(f"sd{c}", "scsi") for c in "abcd"))
    assert [c.index for c in dom.devices_of(Controller) if c.type == "scsi"] == [0]


def test_virtio_scsi_alias_names_the_target():
    dom = normalized("<controller type='scsi' index='0' model='virtio-scsi'/>" + disk(
        "sda", "scsi", "<address type='drive' controller='0' bus='0' target='2' unit='5'/>"))
    (d,) = dom.devices_of(Disk)
    assert d.alias == "scsi0-0-2-5"


@pytest.mark.parametrize("devices, code", [
    # two disks on one address
    (disk("hda", "ide") + disk("hdb", "ide", "<address type='drive' controller='0' bus='0' "
                                              "target='0' unit='0'/>"), "drive-address-conflict"),
    # beyond what the controller has
    (disk("hda", "ide", "<address type='drive' controller='0' bus='0' target='0' unit='2'/>"),
     "drive-address-range"),
    (disk("hda", "ide", "<address type='drive' controller='0' bus='2' target='0' unit='0'/>"),
     "drive-address-range"),
    (disk("sda", "sata", "<address type='drive' controller='0' bus='0' target='0' unit='6'/>"),
     "drive-address-range"),
    (disk("sda", "scsi", "<address type='drive' controller='0' bus='0' target='0' unit='7'/>"),
     "drive-address-range"),
    (disk("fda", "fdc", "<address type='drive' controller='0' bus='0' target='0' unit='2'/>",
          device="floppy"), "drive-address-range"),
    # a SCSI host device on a disk's unit (an iSCSI one: a local adapter is refused by
    # the hostdev's own checks, before drive addresses are assigned)
    (disk("sda", "scsi") + "<hostdev mode='subsystem' type='scsi'><source protocol='iscsi' "
     "name='iqn.2014-01.com.example:t/1'><host name='192.0.2.1'/></source><address "
     "type='drive' controller='0' bus='0' target='0' unit='0'/></hostdev>",
     "drive-address-conflict"),
    # the same target twice
    (disk("vda", "virtio") + disk("vda", "virtio"), "duplicate-target"),
    # an address of the wrong kind
    (disk("hda", "ide", "<address type='pci' slot='5'/>"), "address-type"),
    # an IDE controller the i440fx does not have
    (disk("hde", "ide"), "unsupported-controller"),
])
def test_drive_errors(devices, code):
    with pytest.raises(DomcError) as exc:
        normalized(devices)
    codes = {d.code for d in exc.value.diagnostics}
    assert code in codes
    assert all(d.span.line > 0 for d in exc.value.diagnostics)

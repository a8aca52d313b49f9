"""assign_drive_addresses: drive addresses from target names, checked against the
capacity of the controller they land on; two disks on one address are rejected.

libvirt (virDomainDiskDefAssignAddress), for QEMU's narrow SCSI bus:
  ide   controller = i / 4, bus = (i % 4) / 2, unit = i % 2
  sata  controller = i / 6, unit = i % 6
  fdc   controller = i / 2, unit = i % 2
  scsi  controller = i / 7, unit = i % 7        ('sdz' = 25 -> controller 3, unit 4)
"""

from __future__ import annotations

from attrs import evolve

from ..devices.controller import FDC_UNITS, IDE_BUSES, IDE_UNITS, SATA_UNITS, SCSI_NARROW_UNITS, \
    Controller
from ..devices.disk import Disk, disk_name_index
from ..model import Domain, DriveAddr

DRIVE_BUSES = ("ide", "sata", "fdc", "scsi")

# SCSI limits per controller model: (buses, targets, units)
SCSI_LIMITS = {
    "lsilogic": (1, 1, 7),
    "virtio-scsi": (1, 256, 16384),
    "virtio-transitional": (1, 256, 16384),
    "virtio-non-transitional": (1, 256, 16384),
    "lsisas1068": (1, 1, 32),
    "lsisas1078": (1, 1, 32),
    "vmpvscsi": (1, 64, 1),
}
DEFAULT_SCSI_LIMITS = (1, 256, 16384)


def address_from_name(bus: str, index: int) -> DriveAddr:
    if bus == "ide":
        per = IDE_BUSES * IDE_UNITS
        return DriveAddr(index // per, (index % per) // IDE_UNITS, 0, index % IDE_UNITS)
    if bus == "sata":
        return DriveAddr(index // SATA_UNITS, 0, 0, index % SATA_UNITS)
    if bus == "fdc":
        return DriveAddr(index // FDC_UNITS, 0, 0, index % FDC_UNITS)
    return DriveAddr(index // SCSI_NARROW_UNITS, 0, 0, index % SCSI_NARROW_UNITS)


def capacity_error(bus: str, a: DriveAddr, scsi_model: str | None) -> str | None:
    """Why address ``a`` cannot exist on a controller of this bus, or None."""
    if bus == "ide":
        if a.bus >= IDE_BUSES or a.unit >= IDE_UNITS or a.target != 0:
            return (f"IDE controllers have {IDE_BUSES} buses of {IDE_UNITS} units and target 0; "
                    f"address {a} is outside that")
    elif bus == "sata":
        if a.bus != 0 or a.target != 0 or a.unit >= SATA_UNITS:
            return f"SATA controllers have bus 0, target 0 and units 0-{SATA_UNITS - 1}; " \
                   f"address {a} is outside that"
    elif bus == "fdc":
        if a.bus != 0 or a.target != 0 or a.unit >= FDC_UNITS:
            return f"floppy controllers have bus 0, target 0 and units 0-{FDC_UNITS - 1}; " \
                   f"address {a} is outside that"
    elif bus == "scsi":
        buses, targets, units = SCSI_LIMITS.get(scsi_model or "", DEFAULT_SCSI_LIMITS)
        if a.bus >= buses or a.target >= targets or a.unit >= units:
            return (f"a {scsi_model or 'SCSI'} controller has {buses} bus(es), "
                    f"{targets} target(s) and {units} unit(s); address {a} is outside that")
    return None


def _libvirt_disk_order(disks: list) -> list:
    """virDomainDiskInsert: libvirt keeps disks of one bus sorted by target name as it
    parses them, so vdb written before vda is still the second virtio disk."""
    out: list = []
    for disk in disks:
        at = None
        idx = disk_name_index(disk.target_dev)
        for j in range(len(out) - 1, -1, -1):
            if out[j].target_bus != disk.target_bus:
                continue
            other = disk_name_index(out[j].target_dev)
            if idx is not None and other is not None and other > idx:
                at = j
            elif at is None:
                break
        out.insert(len(out) if at is None else at, disk)
    return out


def assign_drive_addresses(dom: Domain, env) -> Domain:
    devices = list(dom.devices)
    disk_slots = [i for i, d in enumerate(devices) if isinstance(d, Disk)]
    for i, d in zip(disk_slots, _libvirt_disk_order([devices[i] for i in disk_slots])):
        devices[i] = d
    for i, d in enumerate(devices):
        if not isinstance(d, Disk) or d.target_bus not in DRIVE_BUSES:
            continue
        if d.address is None:
            idx = disk_name_index(d.target_dev)
            if idx is None:
                env.diag.error("disk-target", f"{d.describe()}: cannot derive a {d.target_bus} "
                               "address from this target name; expected e.g. hda, sdb, fda",
                               d.span)
                continue
            devices[i] = evolve(d, address=address_from_name(d.target_bus, idx))
        elif not isinstance(d.address, DriveAddr):
            env.diag.error("address-type", f"{d.describe()} on bus '{d.target_bus}' needs a drive "
                           f"address, not type '{getattr(d.address, 'type', 'pci')}'", d.span)
    # capacity and conflicts
    scsi_models = {c.index: c.model for c in dom.devices
                   if isinstance(c, Controller) and c.type == "scsi"}
    seen: dict[tuple, Disk] = {}
    targets: dict[str, Disk] = {}
    for d in devices:
        if not isinstance(d, Disk):
            continue
        other = targets.get(d.target_dev)
        if other is not None:
            env.diag.error("duplicate-target", f"{d.describe()} is defined twice (first at line "
                           f"{other.span.line})", d.span)
        targets[d.target_dev] = d
        if d.target_bus not in DRIVE_BUSES or not isinstance(d.address, DriveAddr):
            continue
        a = d.address
        why = capacity_error(d.target_bus, a, scsi_models.get(a.controller) or "lsilogic")
        if why:
            env.diag.error("drive-address-range", f"{d.describe()}: {why}", d.span)
            continue
        key = (d.target_bus if d.target_bus != "sata" else "sata", a.controller, a.bus, a.target,
               a.unit)
        if key in seen:
            first = seen[key]
            env.diag.error("drive-address-conflict", f"{d.describe()} and {first.describe()} "
                           f"(line {first.span.line}) both use {d.target_bus} address {a}",
                           d.span)
        else:
            seen[key] = d
    return evolve(dom, devices=tuple(devices))

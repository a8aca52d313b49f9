"""assign_drive_addresses: drive addresses from target names, checked against the
capacity of the controller they land on; two disks on one address are rejected.

libvirt (virDomainDiskDefAssignAddress), for QEMU's narrow SCSI bus:
  ide   controller = i / 4, bus = (i % 4) / 2, unit = i % 2
  sata  controller = i / 6, unit = i % 6
  fdc   controller = i / 2, unit = i % 2
  scsi  controller = i / 7, unit = i % 7        ('sdz' = 25 -> controller 3, unit 4)
"""

from __future__ import annotations

from ..record import evolve

from ..devices.controller import FDC_UNITS, IDE_BUSES, IDE_UNITS, SATA_UNITS, SCSI_NARROW_UNITS, \
    Controller
from ..devices.disk import Disk, disk_name_index
from ..model import Domain, DriveAddr, MachineFamily

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


def assign_drive_addresses(dom: Domain, env) -> Domain:
    devices = list(dom.devices)
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
    # the chipset's IDE controller is the only one there is
    ide_max = 0 if dom.os.family is MachineFamily.I440FX else -1
    for d in devices:
        if isinstance(d, Disk) and d.target_bus == "ide" and isinstance(d.address, DriveAddr) \
                and d.address.controller > ide_max:
            env.diag.error("unsupported-controller", f"{d.describe()} needs IDE controller "
                           f"{d.address.controller}, but this machine has "
                           f"{'only IDE controller 0' if ide_max == 0 else 'no IDE controller'}",
                           d.span)
    # capacity and conflicts
    scsi_models = {c.index: c.model for c in dom.devices
                   if isinstance(c, Controller) and c.type == "scsi"}
    seen: dict[tuple, Disk] = {}
    targets: dict[str, Disk] = {}
    for d in devices:
        if d.kind_tag == "hostdev" and isinstance(d.address, DriveAddr):
            # a SCSI host device sits on the same controller units as SCSI disks
            _claim(env, seen, ("scsi",) + _addr_key(d.address), d, "scsi")
            continue
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
        _claim(env, seen, (d.target_bus,) + _addr_key(a), d, d.target_bus)
    return dom.with_devices(devices)


def _addr_key(a: DriveAddr) -> tuple[int, int, int, int]:
    return (a.controller, a.bus, a.target, a.unit)


def _claim(env, seen: dict, key: tuple, d, bus: str) -> None:
    """Record that ``d`` uses drive address ``key``; a second user is a conflict."""
    first = seen.get(key)
    if first is None:
        seen[key] = d
        return
    env.diag.error("drive-address-conflict", f"{d.describe()} and {first.describe()} "
                   f"(line {first.span.line}) both use {bus} address {d.address}", d.span)

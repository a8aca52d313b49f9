"""validate_domain: user-facing checks that no later pass makes on its own."""

from __future__ import annotations

from ..devices.controller import Controller, SCSI_DRIVERS, USB_DRIVERS
from ..devices.disk import Disk
from ..model import Domain
from .machine import machine_family

MAX_MEMORY_KIB = 16 * 1024**3  # 16 TiB: far above any x86 host QEMU 7.2 runs on
MIN_MEMORY_KIB = 1024


def validate_domain(dom: Domain, env) -> Domain:
    diag = env.diag
    family = machine_family(dom.os.machine)
    mem = dom.memory
    if mem.max_kib < MIN_MEMORY_KIB:
        diag.error("memory-range", f"memory of {mem.max_kib} KiB is below the minimum of "
                   f"{MIN_MEMORY_KIB} KiB", mem.span)
    elif mem.max_kib > MAX_MEMORY_KIB:
        diag.error("memory-range", f"memory of {mem.max_kib} KiB is above domc's limit of "
                   f"{MAX_MEMORY_KIB} KiB (16 TiB)", mem.span)
    if mem.current_kib is not None and mem.current_kib > mem.max_kib:
        diag.error("memory-range", f"currentMemory ({mem.current_kib} KiB) is larger than "
                   f"memory ({mem.max_kib} KiB)", mem.span)
    topo = dom.cpu.topology if dom.cpu else None
    if topo is not None and topo.total != dom.vcpu.count:
        diag.error("cpu-topology", f"CPU topology {topo.sockets} sockets x {topo.dies} dies x "
                   f"{topo.cores} cores x {topo.threads} threads = {topo.total} CPUs does not "
                   f"match the {dom.vcpu.count} vCPUs of <vcpu>", topo.span)
    for d in dom.devices:
        if isinstance(d, Controller):
            _controller(d, family, diag)
        elif isinstance(d, Disk):
            _disk(d, diag)
    return dom


def _controller(c: Controller, family: str, diag) -> None:
    if c.type == "ide" and (family == "q35" or c.index > 0):
        diag.error("unsupported-controller", f"{c.describe()}: this machine has only its "
                   "built-in IDE controller (index 0, i440fx only)", c.span)
    elif c.type == "scsi" and c.model is not None and SCSI_DRIVERS.get(c.model) is None:
        diag.error("unsupported-controller", f"SCSI controller model '{c.model}' is not "
                   "supported on x86", c.span)
    elif c.type == "usb" and c.model not in (None, "none") and c.model not in USB_DRIVERS:
        diag.error("unsupported-controller", f"USB controller model '{c.model}' is not "
                   "supported on x86", c.span)
    elif c.type in ("xenbus", "isa"):
        diag.error("unsupported-controller", f"{c.describe()} does not exist on a QEMU x86 "
                   "guest", c.span)


def _disk(d: Disk, diag) -> None:
    if d.target_bus in ("sd", "xen", "uml"):
        diag.error("unsupported-disk", f"{d.describe()}: bus '{d.target_bus}' does not exist on "
                   "a QEMU x86 guest", d.span)
    if d.device == "floppy" and d.target_bus != "fdc":
        diag.error("unsupported-disk", f"{d.describe()}: a floppy must be on bus 'fdc'", d.span)
    if d.target_bus == "fdc" and d.device != "floppy":
        diag.error("unsupported-disk", f"{d.describe()}: bus 'fdc' takes only floppies", d.span)
    if d.device == "lun" and d.target_bus != "scsi":
        diag.error("unsupported-disk", f"{d.describe()}: device 'lun' needs bus 'scsi'", d.span)
    if d.device == "cdrom" and d.target_bus == "virtio":
        diag.error("unsupported-disk", f"{d.describe()}: a cdrom cannot be on bus 'virtio'", d.span)

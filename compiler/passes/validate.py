"""validate_domain: user-facing checks that no later pass makes on its own."""

from __future__ import annotations

import re

from ..devices import kind_of
from ..devices.controller import PCI_DRIVERS, USB2_COMPANIONS, VIRTIO_SERIAL_DRIVERS, Controller, \
    SCSI_DRIVERS, USB_DRIVERS
from ..devices.disk import Disk, disk_name_index
from ..devices.watchdog import Watchdog
from ..model import Domain, FirmwareKind, MachineFamily
from ..placement.hmat import check_hmat
from ..sysinfo import check_sysinfo
from ..tables.hypervisor import KVM_PROPS

MAX_MEMORY_KIB = 16 * 1024**3  # 16 TiB: far above any x86 host QEMU 7.2 runs on
MIN_MEMORY_KIB = 1024
# QEMU splits -cpu at every comma and has no ',,' escape there, so CPU model and
# feature names (and the Hyper-V vendor id) must be plain words
CPU_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# -cpu has no escape for ',', so the vendor id may hold anything printable but that
HV_VENDOR_RE = re.compile(r"^[\x20-\x2b\x2d-\x7e]+$")
HV_VENDOR_ID_MAX = 12  # libvirt's limit (VIR_DOMAIN_HYPERV_VENDOR_ID_MAX)


def validate_domain(dom: Domain, env) -> Domain:
    diag = env.diag
    family = dom.os.family
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
    _cpu_names(dom, diag)
    check_hmat(dom.cpu, diag)
    check_sysinfo(dom, diag)
    _features(dom, family, diag)
    _graphics(dom, diag)
    _nvram(dom, diag)
    for d in dom.devices:
        kind_of(d).validate(d, dom, diag)
        if isinstance(d, Controller):
            _controller(d, family, diag)
        elif isinstance(d, Disk):
            _disk(d, diag)
        elif isinstance(d, Watchdog) and d.action == "dump":
            diag.warning("watchdog-dump", "watchdog action 'dump': libvirt pauses the guest and "
                         "writes the dump itself; without a daemon the guest is only paused",
                         d.span)
    _iothread_refs(dom, diag)
    _timers(dom, diag)
    _numa_distances(dom, diag)
    if len(dom.devices_of(Watchdog)) > 1:
        diag.error("watchdog-count", "only one <watchdog> is supported (QEMU has one "
                   "-watchdog-action)", dom.devices_of(Watchdog)[1].span)
    for name, _ in dom.features.kvm:
        if name not in KVM_PROPS:
            diag.warning("ignored", f"KVM feature <{name}> is not used by domc; the compiled "
                         "guest does not have it", dom.features.span)
    for name in dom.features.other:
        diag.warning("ignored", f"feature <{name}> is not used by domc; the compiled guest does "
                     "not have it", dom.features.span)
    _usb_companions(dom, diag)
    return dom


# tick policies QEMU can follow, per timer (libvirt 9.0 refuses the others)
TICK_POLICIES = {"rtc": ("catchup", "delay"), "pit": ("catchup", "delay", "discard")}
TIMERS = ("rtc", "pit", "hpet", "kvmclock", "hypervclock", "tsc")


def _numa_distances(dom: Domain, diag) -> None:
    """A sibling is a cell of the guest; a cell is 10 from itself and 10 to 255 from
    the others (QEMU's range; libvirt 9.0 crashes on a bad sibling id)."""
    cells = dom.cpu.numa if dom.cpu is not None else ()
    ids = {c.id for c in cells}
    for c in cells:
        seen = set()
        for sibling, value, span in c.distances:
            if sibling not in ids:
                diag.error("numa-distance", f"cell {c.id}: sibling {sibling} is not a guest NUMA "
                           f"cell (cells: {', '.join(map(str, sorted(ids)))})", span)
            elif sibling in seen:
                diag.error("duplicate", f"cell {c.id}: the distance to cell {sibling} is given "
                           "twice", span)
            elif sibling == c.id and value != 10:
                diag.error("numa-distance", f"cell {c.id}: the distance of a cell to itself is "
                           f"10, not {value}", span)
            elif not 10 <= value <= 255:
                diag.error("numa-distance", f"cell {c.id}: distance {value} to cell {sibling} "
                           "is outside 10..255", span)
            seen.add(sibling)


def _timers(dom: Domain, diag) -> None:
    for t in dom.clock.timers:
        if t.name not in TIMERS:
            diag.error("unsupported-timer", f"timer '{t.name}' is not supported on QEMU x86",
                       dom.clock.span)
        elif t.tickpolicy is not None and t.tickpolicy not in TICK_POLICIES.get(t.name, ()):
            diag.error("unsupported-timer", f"{t.name} timer tickpolicy '{t.tickpolicy}' is not "
                       f"supported (QEMU's {t.name} takes: "
                       f"{', '.join(TICK_POLICIES.get(t.name, ())) or 'none'})", dom.clock.span)


def _iothread_refs(dom: Domain, diag) -> None:
    """A disk or controller served by an iothread needs that iothread, and a virtio one."""
    known = set(dom.tuning.iothread_ids)
    for d in dom.devices:
        n = getattr(d, "iothread", None)
        if n is None:
            continue
        virtio = (d.target_bus == "virtio" if isinstance(d, Disk)
                  else d.type == "scsi" and d.model in (None, "virtio-scsi"))
        if not virtio:
            diag.error("iothread-ref", f"{d.describe()}: iothreads serve only virtio disks and "
                       "virtio-scsi controllers", d.span)
        elif n not in known:
            have = ", ".join(map(str, sorted(known))) or "none"
            diag.error("iothread-ref", f"{d.describe()}: iothread {n} is not defined "
                       f"(<iothreads>/<iothreadids> give: {have})", d.span)


def _cpu_names(dom: Domain, diag) -> None:
    cpu = dom.cpu
    if cpu is not None and cpu.model is not None and not CPU_NAME_RE.match(cpu.model):
        diag.error("bad-cpu-name", f"CPU model {cpu.model!r} is not a plain name (letters, "
                   "digits, '_', '.', '-')", cpu.span)
    for f in cpu.features if cpu is not None else ():
        if not CPU_NAME_RE.match(f.name):
            diag.error("bad-cpu-name", f"CPU feature {f.name!r} is not a plain name (letters, "
                       "digits, '_', '.', '-')", f.span)
    for hv in dom.features.hyperv:
        if hv.name == "vendor_id" and hv.state:
            value = hv.value
            if not value or len(value) > HV_VENDOR_ID_MAX or not HV_VENDOR_RE.match(value):
                diag.error("bad-hyperv-vendor-id", f"Hyper-V vendor_id {value!r} must be 1 to "
                           f"{HV_VENDOR_ID_MAX} printable ASCII characters other than ','",
                           dom.features.span)


# PCI controllers whose hotplug QEMU can switch (pci-root through the PIIX4's ACPI)
HOTPLUG_SWITCHABLE = ("pci-root", "pcie-root-port", "pcie-switch-downstream-port")


def _controller(c: Controller, family: MachineFamily, diag) -> None:
    if c.type == "pci" and c.hotplug is not None and c.model not in HOTPLUG_SWITCHABLE:
        diag.error("unsupported-controller", f"{c.describe()}: hotplug cannot be switched on a "
                   f"'{c.model}' controller (only on {', '.join(HOTPLUG_SWITCHABLE)})", c.span)
    if c.type == "ide" and (family is MachineFamily.Q35 or c.index > 0):
        diag.error("unsupported-controller", f"{c.describe()}: this machine has only its "
                   "built-in IDE controller (index 0, i440fx only)", c.span)
    elif c.type == "scsi" and c.model is not None and SCSI_DRIVERS.get(c.model) is None:
        diag.error("unsupported-controller", f"SCSI controller model '{c.model}' is not "
                   "supported on x86", c.span)
    elif c.type == "usb" and c.model not in (None, "none") and c.model not in USB_DRIVERS:
        diag.error("unsupported-controller", f"USB controller model '{c.model}' is not "
                   "supported on x86", c.span)
    elif c.type == "virtio-serial" and c.model not in VIRTIO_SERIAL_DRIVERS:
        diag.error("unsupported-controller", f"virtio-serial controller model '{c.model}' is "
                   "not supported", c.span)
    elif c.type == "pci" and c.model is not None and c.model not in PCI_DRIVERS:
        diag.error("unsupported-controller", f"PCI controller model '{c.model}' is not "
                   f"supported; expected one of: {', '.join(PCI_DRIVERS)}", c.span)
    elif c.type in ("xenbus", "isa"):
        diag.error("unsupported-controller", f"{c.describe()} does not exist on a QEMU x86 "
                   "guest", c.span)


def _usb_companions(dom: Domain, diag) -> None:
    """A UHCI companion (ich9-uhci1..3) hangs off the bus of the USB controller of its
    index (masterbus=usbN.0); without one QEMU has no such bus.  libvirt refuses it too
    ("No master USB controller specified")."""
    usb = [d for d in dom.devices if isinstance(d, Controller) and d.type == "usb"]
    masters = {c.index for c in usb if c.model not in USB2_COMPANIONS}
    for c in usb:
        if c.model in USB2_COMPANIONS and c.index not in masters:
            diag.error("usb-companion-master", f"{c.describe()}: {c.model} is a companion "
                       f"of a USB2 controller, but there is no USB controller of index {c.index} "
                       "to be its master (add e.g. <controller type='usb' "
                       f"index='{c.index}' model='ich9-ehci1'/>)", c.span)


# image formats QEMU 7.2 opens (libvirt's names); 'iso' and 'cow' are refused as libvirt does
DISK_FORMATS = ("raw", "aio", "qcow2", "qcow", "qed", "vmdk", "vpc", "vdi", "vhdx", "luks", "bochs",
                "cloop", "dmg", "parallels", "ploop", "fat")
# the 8 and 16 byte limits of SCSI INQUIRY data
SCSI_VENDOR_MAX, SCSI_PRODUCT_MAX = 8, 16


def _no_credentials(what: str, user: str | None, span, diag) -> None:
    if user is not None:
        diag.warning("disk-auth", f"{what}: the password of user '{user}' lives in libvirt's "
                     "secret store; domc passes no credentials, so QEMU connects without them",
                     span)


def _nvram(dom: Domain, diag) -> None:
    src = dom.os.nvram_source
    if src is not None:
        _no_credentials("the NVRAM store", src.auth_user, dom.os.nvram_span, diag)


def _disk(d: Disk, diag) -> None:
    if d.source is not None:
        _no_credentials(d.describe(), d.source.auth_user, d.span, diag)
    if d.format == "iso":
        diag.error("disk-format", f"{d.describe()}: storage format 'iso' is not a QEMU format; "
                   "use 'raw'", d.span)
    elif d.format is not None and d.format not in DISK_FORMATS:
        diag.error("disk-format", f"{d.describe()}: storage format {d.format!r} is not "
                   f"supported; expected one of: {', '.join(DISK_FORMATS)}", d.span)
    if (d.vendor is not None or d.product is not None) and d.target_bus != "scsi":
        diag.error("disk-vpd", f"{d.describe()}: <vendor> and <product> exist only for SCSI "
                   "disks", d.span)
    for what, value, limit in (("vendor", d.vendor, SCSI_VENDOR_MAX),
                               ("product", d.product, SCSI_PRODUCT_MAX)):
        if value is not None and (len(value) > limit or not value.isprintable()):
            diag.error("disk-vpd", f"{d.describe()}: <{what}> must be at most {limit} printable "
                       "characters", d.span)
    if d.target_bus in ("sd", "xen", "uml"):
        diag.error("unsupported-disk", f"{d.describe()}: bus '{d.target_bus}' does not exist on "
                   "a QEMU x86 guest", d.span)
    if d.device == "floppy" and d.target_bus != "fdc":
        diag.error("unsupported-disk", f"{d.describe()}: a floppy must be on bus 'fdc'", d.span)
    if d.target_bus == "fdc" and d.device != "floppy":
        diag.error("unsupported-disk", f"{d.describe()}: bus 'fdc' takes only floppies", d.span)
    if d.device == "lun" and d.target_bus != "scsi":
        diag.error("unsupported-disk", f"{d.describe()}: device 'lun' needs bus 'scsi'", d.span)
    if d.target_bus in ("virtio", "usb") and disk_name_index(d.target_dev) is None:
        diag.error("disk-target", f"{d.describe()}: target name must be a disk name such as "
                   "vda or sdb (it numbers the device id)", d.span)
    if d.target_bus == "usb" and d.source is None:
        diag.error("unsupported-disk", f"{d.describe()}: QEMU's usb-storage cannot be empty; "
                   "give the USB disk a <source>", d.span)
    if d.device == "cdrom" and d.target_bus == "virtio":
        diag.error("unsupported-disk", f"{d.describe()}: a cdrom cannot be on bus 'virtio'", d.span)


def _features(dom: Domain, family: MachineFamily, diag) -> None:
    f = dom.features
    loader = dom.os.loader
    if not f.acpi and (dom.os.firmware is FirmwareKind.EFI
                       or (loader is not None and loader.type == "pflash")):
        diag.error("uefi-acpi", "UEFI firmware requires ACPI on x86: add <acpi/> to <features>",
                   loader.span if loader is not None else dom.os.span)
    if f.tseg_kib is not None:
        if family is not MachineFamily.Q35:
            diag.error("unsupported-feature", "an SMM TSEG size exists only on q35 machines",
                       f.span)
        elif f.tseg_kib % 1024:
            diag.error("unsupported-feature", f"the SMM TSEG size ({f.tseg_kib} KiB) must be a "
                       "whole number of MiB", f.span)
        elif not f.smm:
            diag.error("unsupported-feature", "an SMM TSEG size needs <smm state='on'>", f.span)


def _graphics(dom: Domain, diag) -> None:
    from ..devices.graphics import Graphics

    gfx = dom.devices_of(Graphics)
    egl = [g for g in gfx if g.type == "egl-headless"]
    if not egl:
        return
    others = [g for g in gfx if g.type != "egl-headless"]
    if any(g.type not in ("vnc", "spice") for g in others):
        diag.error("unsupported-graphics", "graphics type 'egl-headless' can only be combined "
                   "with 'vnc' or 'spice' graphics", egl[0].span)
    if len(egl) > 1 or any(g.gl for g in others):
        diag.error("unsupported-graphics", "QEMU supports only one OpenGL display: "
                   "'egl-headless' cannot be combined with another GL display", egl[0].span)

"""validate_domain: user-facing checks that no later pass makes on its own."""

from __future__ import annotations

import re

from ..devices import kind_of
from ..devices.blockdev import check_network_source, warn_credentials
from ..devices.chardev import implied_serial
from ..devices.disk import Disk
from ..model import Domain, FirmwareKind, MachineFamily, VirtType
from ..placement.hmat import check_hmat
from ..runtime import unsafe_component
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
    _vcpu_limits(dom, env)
    check_hmat(dom.cpu, diag)
    check_sysinfo(dom, diag)
    _features(dom, family, diag)
    _nvram(dom, diag)
    if dom.os.bios_serial and not any(getattr(d, "element", None) == "serial"
                                      for d in dom.devices) \
            and implied_serial(dom.devices) is None:  # a serial console brings one
        diag.error("bios-serial", "<bios useserial='yes'> needs a <serial> port for the BIOS "
                   "to write to", dom.os.span)
    for d in dom.devices:
        kind_of(d).validate(d, dom, diag)
        if isinstance(d, Disk):
            _disk_source(d, diag)
    _timers(dom, diag)
    _numa_distances(dom, diag)
    _launch_security(dom, diag)
    for name, _ in dom.features.kvm:
        if name not in KVM_PROPS:
            diag.warning("ignored", f"KVM feature <{name}> is not used by domc; the compiled "
                         "guest does not have it", dom.features.span)
    for name in dom.features.other:
        diag.warning("ignored", f"feature <{name}> is not used by domc; the compiled guest does "
                     "not have it", dom.features.span)
    return dom


def _launch_security(dom: Domain, diag) -> None:
    """SEV encrypts guest memory with the host's AMD secure processor, through KVM:
    under TCG QEMU 7.2 aborts at start-up (assertion 'machine->cgs->ready')."""
    ls = dom.launch_security
    if ls is None:
        return
    if dom.type is not VirtType.KVM:
        diag.error("launch-security", f"<launchSecurity type='{ls.type}'> needs <domain "
                   "type='kvm'>: SEV runs through KVM, and QEMU 7.2 aborts a TCG guest with it",
                   ls.span)
    why = unsafe_component(dom.name)
    if why is not None and (ls.dh_cert is not None or ls.session is not None):
        diag.error("unsafe-name", f"<launchSecurity>: the domain name {why}; the files QEMU "
                   "reads <dhCert> and <session> from live in a directory named after it",
                   ls.span)


def _disk_source(d: Disk, diag) -> None:
    """A disk that names no storage: libvirt 9.0 refuses it ("missing source
    information"), QEMU 7.2 a disk device without a drive.  Only a cdrom or floppy may
    be empty (its tray holds nothing); a USB disk and a vhost-user disk say so already."""
    if d.device in ("cdrom", "floppy") or d.type == "vhostuser":
        return
    src = d.source
    if src is None:
        empty = d.target_bus != "usb"  # the disk kind refuses an empty usb-storage
    elif d.type in ("file", "block", "dir"):
        empty = not src.path
    elif d.type == "volume":
        empty = not (src.pool and src.volume)
    else:
        empty = False
    if empty:
        diag.error("disk-source", f"{d.describe()}: a {d.device} needs a <source> naming its "
                   "storage (only a cdrom or floppy can be empty)", d.span)


APIC_IDS_WITHOUT_X2APIC = 255  # xAPIC ids 0..254 (255 is the broadcast id)


def _apic_id_limit(count: int, topo) -> int:
    """One more than the APIC ID of the last possible vCPU, as QEMU numbers them: each
    topology level takes a whole number of bits (3 cores per die take 2), so a
    topology with odd counts leaves gaps."""
    if topo is None:
        return count
    def bits(n: int) -> int:
        return (n - 1).bit_length()
    t, c, d = topo.threads, topo.cores, topo.dies
    i = count - 1
    thread, core, die, socket = i % t, i // t % c, i // (t * c) % d, i // (t * c * d)
    return ((socket << (bits(d) + bits(c) + bits(t))) | (die << (bits(c) + bits(t)))
            | (core << bits(t)) | thread) + 1


def _vcpu_limits(dom: Domain, env) -> None:
    """What QEMU 7.2 and libvirt 9.0 refuse at start-up: more vCPUs than the machine
    type takes (QEMU: "Invalid SMP CPUs"), more than 255 without the IOMMU's extended
    interrupt mode (libvirt), and under TCG an APIC ID above 254 (QEMU: "requires kernel
    irqchip and X2APIC API support")."""
    count = dom.vcpu.count
    machine = env.profile.machine(dom.os.machine) if dom.os.machine else None
    span = dom.vcpu.span
    if machine is not None and machine.max_cpus is not None and count > machine.max_cpus:
        env.diag.error("vcpu-max", f"{count} vCPUs are more than machine type "
                       f"'{machine.name}' takes: at most {machine.max_cpus} (QEMU "
                       f"{env.profile.emulator_version})", span)
        return
    if count > APIC_IDS_WITHOUT_X2APIC and not any(
            kind_of(d).tag == "iommu" and d.eim for d in dom.devices):
        env.diag.error("vcpu-max", f"{count} vCPUs: more than {APIC_IDS_WITHOUT_X2APIC} need "
                       "the IOMMU's extended interrupt mode (<iommu model='intel'><driver "
                       "intremap='on' eim='on'/></iommu>, with <ioapic driver='qemu'/>)", span)
        return
    limit = _apic_id_limit(count, dom.cpu.topology if dom.cpu else None)
    if dom.type is VirtType.QEMU and limit > APIC_IDS_WITHOUT_X2APIC:
        env.diag.error("vcpu-max", f"{count} vCPUs with this topology have APIC IDs up to "
                       f"{limit - 1}; under TCG (domain type 'qemu') QEMU takes APIC IDs up to "
                       f"{APIC_IDS_WITHOUT_X2APIC - 1} only (cores and threads counts that are "
                       "powers of two leave no gaps)", span)


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


def _nvram(dom: Domain, diag) -> None:
    """A network NVRAM store: credentials its driver takes, and, when the pflash
    loader makes emit open it, a source it can compile."""
    src, span = dom.os.nvram_source, dom.os.nvram_span
    if src is None:
        return
    warn_credentials("the NVRAM store", src, span, diag)
    loader = dom.os.loader
    if loader is not None and loader.path and loader.type == "pflash":
        check_network_source("the NVRAM store (<nvram type='network'>)", src, span, diag)


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


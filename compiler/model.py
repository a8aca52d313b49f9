"""The domain model: frozen attrs values, built by parse.py, changed by passes via evolve.

No XML lives here.  Every node carries a ``span`` (file and line it came from) that is
kept out of equality, so two domains that differ only in layout compare equal.
"""

from __future__ import annotations

import enum
from operator import is_ as _is
from typing import ClassVar

from .record import evolve, field, frozen

from .diagnostics import NOWHERE, Span, span_field
from .enums import CpuMatch, CpuMode, FeaturePolicy  # noqa: F401  (re-exported)
from .placement.tuning import EMPTY, Placement, Tuning

# --------------------------------------------------------------------------- addresses


@frozen
class PciAddr:
    domain: int = 0
    bus: int = 0
    slot: int = 0
    function: int = 0
    multifunction: bool | None = None

    @property
    def slot_key(self) -> tuple[int, int, int]:
        return (self.domain, self.bus, self.slot)

    def __str__(self) -> str:
        return f"{self.domain:04x}:{self.bus:02x}:{self.slot:02x}.{self.function:x}"

    def qemu_addr(self) -> str:
        """QEMU's ``addr`` property: slot[.function] in hex."""
        if self.function:
            return f"0x{self.slot:x}.0x{self.function:x}"
        return f"0x{self.slot:x}"


@frozen
class DriveAddr:
    controller: int = 0
    bus: int = 0
    target: int = 0
    unit: int = 0

    def __str__(self) -> str:
        return f"{self.controller}:{self.bus}:{self.target}:{self.unit}"


@frozen
class OtherAddr:
    """Addresses domc keeps but does not assign itself (usb, isa, virtio-serial, ccid...)."""

    type: str
    attrs: tuple[tuple[str, str], ...] = ()

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.attrs:
            if k == key:
                return v
        return default


Address = PciAddr | DriveAddr | OtherAddr

# --------------------------------------------------------------------------- devices


@frozen(kw_only=True)
class Device:
    """Common part of every device.

    ``origin`` is the position of the source element among the children of
    ``<devices>`` (None for devices the normalize passes added); the XML writer uses it
    to patch addresses and aliases into the original element.
    """

    tag: ClassVar[str] = ""

    alias: str | None = None
    address: Address | None = None
    boot_order: int | None = None
    acpi_index: int | None = None
    virtio_options: tuple[tuple[str, bool], ...] = ()  # (QEMU property, value)
    origin: int | None = None
    # the device's identity from compile to compile (passes/lock.py gives it, from the
    # device as written), and the fields a lockfile filled in, which later passes keep
    lock_key: str | None = field(default=None, eq=False, repr=False)
    locked: frozenset[str] = field(default=frozenset(), eq=False, repr=False)
    span: Span = span_field()

    @property
    def pci(self) -> PciAddr | None:
        return self.address if isinstance(self.address, PciAddr) else None

    @property
    def kind_tag(self) -> str:
        """The <devices> child element this device is (selects its DeviceKind)."""
        return self.tag

    def describe(self) -> str:
        """Short human name used in diagnostics ("disk 'vda'", "interface net0")."""
        return self.tag


# --------------------------------------------------------------------------- domain parts


class VirtType(enum.Enum):
    KVM = "kvm"
    QEMU = "qemu"


@frozen
class BootMenu:
    enable: bool | None = None
    timeout: int | None = None


@frozen
class Loader:
    path: str | None = None
    readonly: bool | None = None
    type: str | None = None
    secure: bool | None = None
    stateless: bool | None = None
    format: str | None = None
    span: Span = span_field()


class FirmwareKind(enum.Enum):
    """<os firmware=...>: ask libvirt (and domc) to pick the firmware."""

    BIOS = "bios"
    EFI = "efi"


@frozen
class FirmwareFeature:
    """<os><firmware><feature name=... enabled=.../>: a requirement on autoselection."""

    name: str  # secure-boot, enrolled-keys
    enabled: bool
    span: Span = span_field()


class SmbiosMode(enum.Enum):
    """<os><smbios mode=...>: where the guest's SMBIOS strings come from."""

    EMULATE = "emulate"  # QEMU's defaults
    HOST = "host"  # the host's own tables (needs the host: domc refuses it)
    SYSINFO = "sysinfo"  # the domain's <sysinfo type='smbios'>


class MachineFamily(enum.Enum):
    """The chipset a machine type emulates; set by canonicalize_machine."""

    I440FX = "i440fx"
    Q35 = "q35"

    @classmethod
    def of(cls, machine: str | None) -> MachineFamily:
        """``q35`` and ``pc-q35-*`` are Q35; every other machine type is run as i440fx."""
        m = machine or ""
        return cls.Q35 if m == "q35" or m.startswith("pc-q35") else cls.I440FX


@frozen
class Os:
    type: str = "hvm"
    arch: str = "x86_64"
    machine: str | None = None
    family: MachineFamily | None = None  # from the canonical machine (canonicalize_machine)
    # the machine type as the XML wrote it (an alias, or None), kept by canonicalize_machine
    machine_written: str | None = field(default=None, eq=False, repr=False)
    boot_devs: tuple[str, ...] = ()
    boot_menu: BootMenu | None = None
    bios_serial: bool | None = None  # <bios useserial=...>: SeaBIOS's output on the serial port
    reboot_timeout: int | None = None  # <bios rebootTimeout=...>: ms before a failed boot retries
    loader: Loader | None = None
    nvram: str | None = None
    nvram_template: str | None = None
    nvram_network: bool = False  # <nvram type='network'>: a remote store, no local path
    nvram_source: object | None = None  # its devices.blockdev.BlockSource
    nvram_block: bool = False  # <nvram type='block'>: a host block device
    nvram_span: Span = span_field()
    kernel: str | None = None
    initrd: str | None = None
    cmdline: str | None = None
    firmware: FirmwareKind | None = None
    firmware_features: tuple[FirmwareFeature, ...] = ()
    # the descriptor file firmware autoselection chose (set by select_firmware)
    firmware_file: str | None = None
    smbios_mode: SmbiosMode | None = None
    smbios_span: Span = span_field()
    span: Span = span_field()


@frozen
class Vcpu:
    count: int = 1
    current: int | None = None
    placement: Placement = Placement.STATIC
    cpuset: str | None = None
    # <vcpus>: the vCPUs online at start (None: the first ``online`` ones), and those of
    # them hotpluggable, in the order they are plugged (libvirt plugs them at start)
    enabled: tuple[int, ...] | None = None
    hotplug: tuple[int, ...] = ()
    span: Span = span_field()

    @property
    def online(self) -> int:
        if self.enabled is not None:
            return len(self.enabled)
        return self.current if self.current is not None else self.count

    def is_online(self, n: int) -> bool:
        return n in self.enabled if self.enabled is not None else n < self.online


@frozen
class CpuFeature:
    name: str
    policy: FeaturePolicy = FeaturePolicy.REQUIRE
    span: Span = span_field()


@frozen
class Topology:
    sockets: int = 1
    dies: int = 1
    cores: int = 1
    threads: int = 1
    span: Span = span_field()

    @property
    def total(self) -> int:
        return self.sockets * self.dies * self.cores * self.threads


class CacheAssociativity(enum.Enum):
    NONE = "none"
    DIRECT = "direct"
    FULL = "full"


class CachePolicy(enum.Enum):
    NONE = "none"
    WRITEBACK = "writeback"
    WRITETHROUGH = "writethrough"


class LinkKind(enum.Enum):
    """The element of an ``<interconnects>`` entry."""

    LATENCY = "latency"
    BANDWIDTH = "bandwidth"


class AccessType(enum.Enum):
    ACCESS = "access"
    READ = "read"
    WRITE = "write"


@frozen
class NumaCache:
    """<cell><cache>: a memory side cache of a guest NUMA cell (ACPI HMAT)."""

    level: int
    associativity: CacheAssociativity
    policy: CachePolicy
    size_kib: int
    line_bytes: int
    span: Span = span_field()


@frozen
class NumaLink:
    """<interconnects><latency|bandwidth>: latency (ns) or bandwidth (KiB/s) from an
    initiator cell to a target cell, at its memory (cache 0) or one of its caches."""

    kind: LinkKind
    initiator: int
    target: int
    access: AccessType
    value: int
    cache: int = 0
    span: Span = span_field()


@frozen
class NumaCell:
    id: int
    cpus: str
    memory_kib: int
    memaccess: str | None = None
    discard: bool | None = None
    caches: tuple[NumaCache, ...] = ()
    # <distances><sibling id= value=/>: (sibling cell id, distance, where), as written
    distances: tuple[tuple[int, int, Span], ...] = ()
    span: Span = span_field()


@frozen
class Cpu:
    mode: CpuMode = CpuMode.CUSTOM
    match: CpuMatch | None = None
    check: str | None = None
    migratable: bool | None = None
    model: str | None = None
    fallback: str | None = None
    vendor: str | None = None
    topology: Topology | None = None
    features: tuple[CpuFeature, ...] = ()
    numa: tuple[NumaCell, ...] = ()
    interconnects: tuple[NumaLink, ...] = ()
    span: Span = span_field()


@frozen
class Timer:
    name: str
    present: bool | None = None
    tickpolicy: str | None = None
    track: str | None = None


@frozen
class Clock:
    offset: str = "utc"
    adjustment: str | None = None
    basis: str | None = None
    timers: tuple[Timer, ...] = ()
    span: Span = span_field()


@frozen
class HypervFeature:
    """One <features><hyperv> child: its name, whether it is on, and its value when on
    (spinlocks: the retry count; vendor_id: the vendor string)."""

    name: str
    state: bool
    value: int | str | None = None


@frozen
class Features:
    """<features>: on/off switches; ``other`` holds names domc keeps but does not act on."""

    acpi: bool = False
    apic: bool = False
    apic_eoi: bool | None = None
    pae: bool = False
    hyperv: tuple[HypervFeature, ...] = ()  # in document order
    hyperv_mode: str | None = None
    kvm: tuple[tuple[str, str], ...] = ()
    pvspinlock: bool | None = None
    vmport: bool | None = None
    smm: bool | None = None
    tseg_kib: int | None = None
    pmu: bool | None = None
    vmcoreinfo: bool | None = None
    ioapic_driver: str | None = None  # kvm | qemu: where the IOAPIC is emulated
    # <pm>: guest suspend to RAM (S3) and to disk (S4); None leaves QEMU's default
    suspend_to_mem: bool | None = None
    suspend_to_disk: bool | None = None
    other: tuple[str, ...] = ()
    span: Span = span_field()


@frozen
class Memory:
    """Memory sizes in KiB."""

    max_kib: int = 0
    current_kib: int | None = None
    slots: int | None = None
    max_memory_kib: int | None = None
    span: Span = span_field()


class SysinfoType(enum.Enum):
    SMBIOS = "smbios"
    FWCFG = "fwcfg"


@frozen
class SmbiosTable:
    """One SMBIOS structure of <sysinfo type='smbios'> (<bios>, <system>, <baseBoard>,
    <chassis>): its non-empty entries as (name, value), in QEMU's field order."""

    entries: tuple[tuple[str, str], ...] = ()
    # where each entry was written, in the order of ``entries``
    entry_spans: tuple[Span, ...] = field(default=(), eq=False, repr=False)
    span: Span = span_field()

    def get(self, name: str) -> str | None:
        return next((v for k, v in self.entries if k == name), None)

    def where(self, name: str) -> Span:
        """The line of entry ``name`` (the structure's when unknown)."""
        for (k, _), span in zip(self.entries, self.entry_spans):
            if k == name:
                return span
        return self.span


@frozen
class FwCfgEntry:
    """<sysinfo type='fwcfg'><entry name=... [file=...]>value</entry>: one fw_cfg file."""

    name: str
    value: str | None = None
    file: str | None = None
    span: Span = span_field()


@frozen
class Sysinfo:
    """One <sysinfo>: SMBIOS structures (type smbios) or fw_cfg entries (type fwcfg).
    A structure with no entries is None (or left out of ``baseboards``)."""

    type: SysinfoType
    bios: SmbiosTable | None = None
    system: SmbiosTable | None = None
    baseboards: tuple[SmbiosTable, ...] = ()
    chassis: SmbiosTable | None = None
    oem_strings: tuple[str, ...] = ()
    fw_cfg: tuple[FwCfgEntry, ...] = ()
    span: Span = span_field()


@frozen
class QemuNamespace:
    """libvirt's qemu: namespace (http://libvirt.org/schemas/domain/qemu/1.0): what the
    user passes to QEMU past libvirt (compiler/qemu_namespace.py reads it)."""

    args: tuple[str, ...] = ()  # <qemu:commandline><qemu:arg value=...>
    env: tuple[tuple[str, str], ...] = ()  # <qemu:env name= value=>
    # <qemu:override><qemu:device alias=...><qemu:frontend><qemu:property ...>:
    # (device id, ((property, type, value), ...), span)
    overrides: tuple = ()
    deprecation: str | None = None  # <qemu:deprecation behavior=...>


@frozen
class LaunchSecurity:
    """<launchSecurity type='sev'>: AMD SEV memory encryption, QEMU's sev-guest object.
    ``dh_cert`` and ``session`` are the guest owner's base64 blobs, which QEMU reads
    from files (the launchers write them)."""

    type: str
    policy: int
    cbitpos: int
    reduced_phys_bits: int
    dh_cert: str | None = None
    session: str | None = None
    kernel_hashes: bool | None = None  # <launchSecurity kernelHashes=...>; None: QEMU's
    span: Span = span_field()


@frozen
class Domain:
    type: VirtType = VirtType.QEMU
    name: str = ""
    uuid: str | None = None
    genid: str | None = None  # <genid>: the VM generation ID (vmgenid device)
    memory: Memory = Memory()
    vcpu: Vcpu = Vcpu()
    os: Os = Os()
    features: Features = Features()
    cpu: Cpu | None = None
    clock: Clock = Clock()
    on_poweroff: str | None = None
    on_reboot: str | None = None
    on_crash: str | None = None
    emulator: str | None = None
    devices: tuple[Device, ...] = ()
    sysinfo: tuple[Sysinfo, ...] = ()
    # <cputune>, <numatune>, <iothreads>, <memoryBacking> (compiler/placement/tuning.py)
    tuning: Tuning = EMPTY
    qemu: QemuNamespace = QemuNamespace()
    launch_security: LaunchSecurity | None = None
    file: str = field(default="<input>", eq=False)
    # warnings from parsing: parts of the XML no reader used (see xmlread.Usage)
    ignored: tuple = field(default=(), eq=False, repr=False)
    span: Span = span_field()

    def devices_of(self, cls: type) -> list:
        return [d for d in self.devices if isinstance(d, cls)]

    def with_devices(self, devices) -> "Domain":
        """This domain with ``devices``; itself when they are the very devices it has
        (most passes change no device of most domains: no copy is made then)."""
        devices = tuple(devices)
        mine = self.devices
        if len(devices) == len(mine) and all(map(_is, devices, mine)):
            return self
        return evolve(self, devices=devices)


__all__ = [
    "NOWHERE",
    "AccessType",
    "CacheAssociativity",
    "CachePolicy",
    "LinkKind",
    "Address",
    "BootMenu",
    "Clock",
    "Cpu",
    "CpuFeature",
    "CpuMatch",
    "CpuMode",
    "Device",
    "Domain",
    "QemuNamespace",
    "DriveAddr",
    "FeaturePolicy",
    "Features",
    "FirmwareFeature",
    "FirmwareKind",
    "FwCfgEntry",
    "HypervFeature",
    "LaunchSecurity",
    "Loader",
    "MachineFamily",
    "Memory",
    "NumaCache",
    "NumaCell",
    "NumaLink",
    "Os",
    "OtherAddr",
    "PciAddr",
    "SmbiosMode",
    "SmbiosTable",
    "Span",
    "Sysinfo",
    "SysinfoType",
    "Timer",
    "Topology",
    "Vcpu",
    "VirtType",
]

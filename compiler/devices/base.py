"""What every device kind module provides, and the helpers they share."""

from __future__ import annotations

import enum
import json
from typing import TYPE_CHECKING, Callable

from ..record import define, field, frozen

from ..model import Device, DriveAddr, MachineFamily, OtherAddr, PciAddr
from ..runtime import Helper, HostDirs, SecretNeed, StateFile
from ..xmlread import Reader

if TYPE_CHECKING:
    from ..diagnostics import Collector
    from ..model import Domain


class PciGroup(enum.Enum):
    """libvirt's order of PCI slot assignment (qemuDomainAssignDevicePCISlots): devices
    without an address get the first free slot group by group (in value order),
    document order inside a group.  NONE: the kind's devices never take a PCI slot."""

    NONE = None
    PCI_CONTROLLER = 0
    FILESYSTEM = 1
    NET = 2
    SOUND = 3
    CONTROLLER = 4
    DISK = 5
    HOSTDEV = 6
    MEMBALLOON = 7
    RNG = 8
    WATCHDOG = 9
    VIDEO = 10
    SHMEM = 11
    INPUT = 12
    SERIAL = 13
    VSOCK = 14
    IOMMU = 15


class UsbOrder(enum.Enum):
    """libvirt's order of USB port assignment (virDomainUSBDeviceDefForeach): devices
    without a port get the first free one kind by kind (in value order), document
    order inside a kind.  Hubs come first, so that their ports exist for the rest."""

    HUB = 0
    HOSTDEV = 1
    DISK = 2
    CCID = 3  # <controller type='ccid'> (usb-ccid), the implicit one of a smartcard too
    INPUT = 4
    SERIAL = 5
    SOUND = 6
    REDIRDEV = 7


class PciConnect(enum.Enum):
    """How a device plugs into a PCI bus: the device half of libvirt's
    qemuDomainDeviceCalculatePCIConnectFlags.  The q35 allocator
    (passes/pci_buses.py) turns it into the connect flags a bus must accept."""

    NONE = "none"  # plugs into no bus (pci-root, pcie-root)
    PCI = "pci"  # conventional PCI endpoint
    PCIE = "pcie"  # PCI Express endpoint
    PCI_INTEGRATED = "pci-integrated"  # conventional, built into bus 0 (none on x86 yet)
    PCIE_INTEGRATED = "pcie-integrated"  # PCI Express, built into bus 0 (iommu)
    # PCI controllers, by what they are upstream
    PCI_BRIDGE = "pci-bridge"
    PCI_EXPANDER = "pci-expander-bus"
    PCIE_EXPANDER = "pcie-expander-bus"
    DMI_BRIDGE = "dmi-to-pci-bridge"
    PCIE_TO_PCI_BRIDGE = "pcie-to-pci-bridge"
    ROOT_PORT = "pcie-root-port"
    UPSTREAM_PORT = "pcie-switch-upstream-port"
    DOWNSTREAM_PORT = "pcie-switch-downstream-port"


class ArgvPosition(enum.Enum):
    """Where a kind's options go in the command line (libvirt's qemuBuildCommandLine)."""

    DEVICES = "devices"  # with the other devices, in registry order, before -sandbox
    LATE = "late"  # after -sandbox, at the very end (panic, vsock)


def virtio_connect(model: str | None) -> PciConnect:
    """A virtio device is PCI Express unless its model asks for the transitional
    (conventional PCI) variant."""
    return PciConnect.PCI if model == "virtio-transitional" else PciConnect.PCIE


@frozen
class FixedSlot:
    """Where the machine's chipset puts a device before any other device gets a PCI
    slot (libvirt's qemuDomainValidateDevicePCISlotsPIIX3 / ...Q35).

    addrs     the addresses to try, in order: the device takes the first one whose
              slot is still free
    chipset   the address is a function of the chipset itself (the PIIX3's IDE and
              UHCI, the ICH9's AHCI): the device takes addrs[0] without looking whether
              the slot is free, and a user address equal to it may sit in a slot the
              chipset reserves
    required  a user address other than addrs[0] is an error (the primary IDE / SATA)
    first     when no candidate is free, the device still gets a slot before every
              other device (QEMU's primary VGA)
    """

    addrs: tuple[PciAddr, ...]
    chipset: bool = False
    required: bool = False
    first: bool = False


@frozen
class XNode:
    """A minimal element description, for devices domc adds to the normalized XML."""

    tag: str
    attrs: tuple[tuple[str, str], ...] = ()
    children: tuple["XNode", ...] = ()
    text: str | None = None


def xnode(tag: str, *children: XNode, text: str | None = None, **attrs) -> XNode:
    return XNode(tag, tuple((k.rstrip("_").replace("_", "-") if k.endswith("_") else k, str(v))
                            for k, v in attrs.items() if v is not None), children, text)


@define
class EmitCtx:
    """State shared by the device emitters of one compile."""

    dom: "Domain"
    machine_family: MachineFamily
    # libvirt's block node numbers: the disks' images count down from the total, so the
    # last disk's is 1; the SCSI host devices' backends then count up from the total
    blockdev_index: int = 0
    backend_index: int = 0
    warnings: list[str] = field(factory=list)
    # where helper sockets and secret files are (a compile names them, never opens them)
    dirs: HostDirs = field(factory=HostDirs)

    def controller_alias(self, ctype: str, index: int) -> str | None:
        from .controller import Controller

        for d in self.dom.devices:
            if isinstance(d, Controller) and d.type == ctype and d.index == index:
                return d.alias
        return None

    def controller(self, ctype: str, index: int):
        from .controller import Controller

        for d in self.dom.devices:
            if isinstance(d, Controller) and d.type == ctype and d.index == index:
                return d
        return None

    def pci_bus_name(self, bus: int) -> str:
        from .controller import Controller

        for d in self.dom.devices:
            if isinstance(d, Controller) and d.type == "pci" and d.index == bus:
                if d.model in ("pci-root", "pcie-root"):
                    # QEMU names the root bus itself; a user alias cannot rename it
                    return "pcie.0" if d.model == "pcie-root" else "pci.0"
                return d.alias or f"pci.{bus}"
        return f"pci.{bus}"


def qjson(obj: dict) -> str:
    """QEMU JSON option value: compact, keys in insertion order, None dropped."""
    return _QJSON({k: v for k, v in obj.items() if v is not None})


def _not_json(o):
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


# What json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode writes: its
# encode makes a new C encoder on every call (half the cost of a -device argument), so
# the C encoder is made once here with the arguments encode would give it (no check
# for circular containers: these are plain dicts built a line before)
_C_QJSON = json.encoder.c_make_encoder and json.encoder.c_make_encoder(
    None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, True)
_QJSON = (lambda obj: "".join(_C_QJSON(obj, 0))) if _C_QJSON else \
    json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def pci_props(dev: Device, ctx: EmitCtx) -> dict:
    a = dev.address
    if isinstance(a, PciAddr):
        props = {"bus": ctx.pci_bus_name(a.bus)}
        if a.multifunction is not None:  # libvirt writes an explicit off as false
            props["multifunction"] = a.multifunction
        props["addr"] = a.qemu_addr()
        if dev.acpi_index is not None:
            props["acpi-index"] = dev.acpi_index
        props.update(dev.virtio_options)
        return props
    return {}


# libvirt writes a virtio device's transport options right after its driver (its
# qemuBuildVirtioDevProps starts every virtio device's properties), in this order
VIRTIO_FIRST = ("iommu_platform", "ats", "packed", "page-per-vq")
_VIRTIO_FIRST = frozenset(VIRTIO_FIRST)


def device_arg(driver: str, props: dict) -> list[str]:
    if not _VIRTIO_FIRST.isdisjoint(props):  # rare: most devices have none of them
        first = {k: props[k] for k in VIRTIO_FIRST if k in props}
        props = {**first, **{k: v for k, v in props.items() if k not in first}}
    return ["-device", qjson({"driver": driver, **props})]


def read_address(r: Reader):
    """<address type=...> under the device element -> model address (None if absent)."""
    a = r.child("address")
    if a is None:
        return None
    t = a.require("type")
    if t == "pci":
        return PciAddr(
            domain=a.attr_int("domain", 0, hi=0xFFFF),
            bus=a.attr_int("bus", 0, hi=0xFF),
            slot=a.attr_int("slot", 0, hi=0x1F),
            function=a.attr_int("function", 0, hi=7),
            multifunction=a.attr_bool("multifunction"),
        )
    if t == "drive":
        return DriveAddr(
            controller=a.attr_int("controller", 0, hi=2**31 - 1),
            bus=a.attr_int("bus", 0, hi=2**31 - 1),
            target=a.attr_int("target", 0, hi=2**31 - 1),
            unit=a.attr_int("unit", 0, hi=2**31 - 1),
        )
    attrs = []
    a.mark_all()
    for k, v in sorted(a.el.attrib.items()):
        if k == "type":
            continue
        if k in _NUMERIC_ADDRESS_KEYS.get(t, ()):
            v = str(a.attr_int(k, hi=2**31 - 1))
        elif t == "usb" and k == "port":
            parts = v.split(".")
            if not all(p.isdigit() and 0 < int(p) < 256 for p in parts) or len(parts) > 5:
                raise a.error("bad-number", f"USB port {v!r} must be a port number or a "
                              "dotted path of hub ports (1-255), like 1 or 1.3")
            v = ".".join(str(int(p)) for p in parts)
        attrs.append((k, v))
    return OtherAddr(t, tuple(attrs))


# address types whose attributes are plain numbers (decimal or 0x hex)
_NUMERIC_ADDRESS_KEYS = {
    "virtio-serial": ("controller", "bus", "port"),
    "usb": ("bus",),
    "ccid": ("controller", "slot"),
    "isa": ("iobase", "irq"),
}


def address_xnode(addr) -> XNode | None:
    if isinstance(addr, PciAddr):
        return xnode("address", type="pci", domain=f"0x{addr.domain:04x}", bus=f"0x{addr.bus:02x}",
                     slot=f"0x{addr.slot:02x}", function=f"0x{addr.function:x}",
                     multifunction="on" if addr.multifunction else None)
    if isinstance(addr, DriveAddr):
        return xnode("address", type="drive", controller=addr.controller, bus=addr.bus,
                     target=addr.target, unit=addr.unit)
    if isinstance(addr, OtherAddr):
        return XNode("address", (("type", addr.type),) + addr.attrs)
    return None


def usb_props(dev: Device, ctx: "EmitCtx") -> dict:
    """bus/port of a device on a USB controller (from its usb address)."""
    a = dev.address
    if isinstance(a, OtherAddr) and a.type == "usb":
        index = int(a.get("bus", "0"))
        props = {"bus": f"{ctx.controller_alias('usb', index) or 'usb'}.0"}
        if a.get("port"):
            props["port"] = a.get("port")
        return props
    return {}


# <driver> attributes every virtio device takes -> QEMU property
VIRTIO_OPTIONS = (("iommu", "iommu_platform"), ("ats", "ats"), ("packed", "packed"),
                  ("page_per_vq", "page-per-vq"))
ACPI_INDEX_MAX = 16383


def read_common(r: Reader) -> dict:
    """Fields every device may carry: address, alias, boot order, ACPI index, and the
    virtio transport options of <driver>."""
    alias = None
    a = r.child("alias")
    if a is not None:
        alias = a.attr("name")
    boot = None
    b = r.child("boot")
    if b is not None:
        boot = b.attr_int("order", lo=1, hi=2**31 - 1)
    acpi = r.child("acpi")
    drv = r.child("driver")
    virtio = ()
    if drv is not None:
        virtio = tuple((prop, v) for attr, prop in VIRTIO_OPTIONS
                       if (v := drv.attr_bool(attr)) is not None)
    return {"address": read_address(r), "alias": alias, "boot_order": boot,
            "acpi_index": acpi.attr_int("index", lo=1, hi=ACPI_INDEX_MAX)
            if acpi is not None else None,
            "virtio_options": virtio}


def _no_usb(d: Device, dom: "Domain") -> bool:
    return False


# The defaults of the hooks most kinds leave alone, named so that the generic code can
# tell a kind that has nothing to say (``kind.helpers is no_host_needs``) and skip the
# call: a compile asks every device, and most devices have nothing to answer.
def no_host_needs(d: Device, dom: "Domain", dirs: HostDirs) -> tuple:
    """helpers, secrets, state: none."""
    return ()


def no_absent_words(ctx: EmitCtx) -> list[str]:
    """emit_absent: nothing in the place of a kind the domain has no device of."""
    return []


def no_implicit(devices: tuple, dom: "Domain", family) -> tuple:
    """implicit: the devices as they are."""
    return devices


@frozen
class DeviceKind:
    """How domc handles one element under <devices>: every fact about a kind lives
    here, in the kind's module, and the generic passes and emitters read it.  The
    registry (devices/__init__.py DEVICE_KINDS) order is the argv order.

    tag        the kind's name: the element name under <devices>, unless ``element``
               says otherwise
    element    the element name when several kinds share one (<memory model=...>)
    models     the values of that element's ``model`` attribute this kind takes; the
               kind with no ``models`` takes the others
    cls        the model class (a Device) from_xml returns
    from_xml   Reader -> Device (address/alias/boot via read_common)
    emit       (device, ctx) -> argv words; emit only asserts: every user-facing
               check is in ``validate`` or in a pass

    PCI (required: a kind that forgot them would silently get a wrong slot or bus)
    pci_group  device -> PciGroup: its turn in libvirt's order of slot assignment;
               PciGroup.NONE for kinds that never take a PCI slot
    pci_connect   device -> PciConnect: how it plugs into a PCI bus (what kind of
               bus it needs on q35); PciConnect.NONE for kinds that never do
    wants_pci  (device, domain) -> bool: this device lives on a PCI bus
    fixed_slot (device, nth, family) -> FixedSlot | None: where the machine family's
               chipset (a MachineFamily) puts it before any other device (nth
               counts devices of this kind in document order); read by
               assign_pci_addresses / assign_pcie_addresses, kind by kind in
               registry order

    USB
    wants_usb  (device, domain) -> bool: the device plugs into a USB port
    usb_order  UsbOrder: its turn in libvirt's order of USB port assignment; a kind
               with ``wants_usb`` must have one (checked when the kind is defined)

    virtio_legacy  device -> its QEMU virtio device can be legacy (transitional): QEMU's
               legacy-capable virtio types are net, block, console, rng, balloon, scsi
               and 9p; every other one (GPU, input, vsock, virtio-fs, pmem, crypto,
               iommu) is modern-only on any bus (passes/virtio_transport.py)

    Checks, names, defaults
    validate   (device, domain, diag) -> None: the kind's checks of one device,
               reported through ``diag`` (a Collector); called for every device by
               the validate_domain pass, on the definition as the user wrote it
    alias      (device, nth, domain) -> the QEMU id libvirt gives it (nth counts
               devices of this kind in document order)
    implicit   (devices, domain, family) -> devices: the kind's devices libvirt adds
               (each with the span of the element that caused it, or of <domain>)
               and the defaults it fills into this kind's devices; add_implicit_devices
               calls every kind's in registry order, libvirt's order of adding them

    Lockfile (passes/lock.py, compiler/lockfile.py)
    lock_key   device -> the device's own name among its kind, from what the user
               wrote (a disk's target, a NIC's MAC, a controller's type and index),
               or None: the device is then known by its position among its kind
    lock_fields  names of the kind's guest-visible fields a lockfile records besides
               address, id and model (a NIC's MAC); a lock fills the ones the XML
               leaves open, and a device whose written value differs from the
               locked one is a different device to the lock
    from_lock  (LockedDevice, span) -> device, for kinds whose implicit devices a
               lock puts back before the passes run (controllers, hubs: the buses
               and ports locked addresses refer to); None for other kinds

    Normalized XML
    to_xml     device -> XNode, for devices the normalize passes add
    filled     device -> child elements normalize writes into the user's element
               (values the passes filled in, e.g. a generated MAC address)
    filled_attrs  device -> attributes normalize sets on the user's element

    Argv
    argv_position  ArgvPosition: with the other devices (DEVICES) or after -sandbox
               (LATE)
    argv_key   device -> sort key of the kind's devices in the argv, before
               document order (controllers: by type, then index)
    emit_absent   ctx -> argv words the kind writes in its place when the domain has
               none of its devices (audio: the default backend)
    machine_opts  device -> extra -machine options the device needs (nvdimm=on)
    cpu_props  device -> extra -cpu properties the device is (hyperv panic: hv-crash)

    Host (runtime.py; each takes (device, domain, HostDirs), all deterministic paths)
    helpers    the processes that must serve the device before QEMU starts (swtpm,
               virtiofsd, vhost-user-gpu): runtime.Helper
    secrets    the secret files QEMU or a helper reads for it: runtime.SecretNeed
    state      the user data it keeps between runs: runtime.StateFile
    """

    tag: str
    cls: type
    from_xml: Callable[[Reader], Device]
    emit: Callable[[Device, EmitCtx], list[str]]
    pci_group: Callable[[Device], PciGroup] = field(kw_only=True)
    element: str | None = field(default=None, kw_only=True)
    models: tuple[str, ...] = field(default=(), kw_only=True)
    pci_connect: Callable[[Device], PciConnect] = field(kw_only=True)
    validate: Callable[[Device, "Domain", "Collector"], None] = lambda d, dom, diag: None
    wants_pci: Callable[[Device, "Domain"], bool] = lambda d, dom: False
    alias: Callable[[Device, int, "Domain"], str | None] = lambda d, n, dom: None
    to_xml: Callable[[Device], XNode] | None = None
    wants_usb: Callable[[Device, "Domain"], bool] = _no_usb
    usb_order: UsbOrder | None = None
    virtio_legacy: Callable[[Device], bool] = lambda d: False
    filled: Callable[[Device], tuple[XNode, ...]] = lambda d: ()
    filled_attrs: Callable[[Device], tuple[tuple[str, str], ...]] = lambda d: ()
    machine_opts: Callable[[Device], tuple[str, ...]] = lambda d: ()
    cpu_props: Callable[[Device], tuple[str, ...]] = lambda d: ()
    argv_position: ArgvPosition = ArgvPosition.DEVICES
    argv_key: Callable[[Device], tuple] = lambda d: ()
    emit_absent: Callable[[EmitCtx], list[str]] = no_absent_words
    fixed_slot: Callable[[Device, int, str], FixedSlot | None] = lambda d, nth, family: None
    implicit: Callable[[tuple[Device, ...], "Domain", str], tuple[Device, ...]] = no_implicit
    lock_key: Callable[[Device], str | None] = lambda d: None
    lock_fields: tuple[str, ...] = ()
    from_lock: Callable | None = None
    helpers: Callable[[Device, "Domain", HostDirs], tuple[Helper, ...]] = no_host_needs
    secrets: Callable[[Device, "Domain", HostDirs], tuple[SecretNeed, ...]] = no_host_needs
    state: Callable[[Device, "Domain", HostDirs], tuple[StateFile, ...]] = no_host_needs

    def __post_init__(self) -> None:
        if self.wants_usb is not _no_usb and self.usb_order is None:
            raise TypeError(f"device kind <{self.tag}> plugs into USB ports but has no usb_order")


def check_iothread_ref(d: Device, virtio: bool, dom, diag) -> None:
    """A disk or controller served by an iothread (``d.iothread``) needs that iothread,
    and must be a virtio one (``virtio``)."""
    n = getattr(d, "iothread", None)
    if n is None:
        return
    known = set(dom.tuning.iothread_ids)
    if not virtio:
        diag.error("iothread-ref", f"{d.describe()}: iothreads serve only virtio disks and "
                   "virtio-scsi controllers", d.span)
    elif n not in known:
        have = ", ".join(map(str, sorted(known))) or "none"
        diag.error("iothread-ref", f"{d.describe()}: iothread {n} is not defined "
                   f"(<iothreads>/<iothreadids> give: {have})", d.span)

"""<controller>: ide, fdc, sata, scsi, usb, pci, virtio-serial, ccid."""

from __future__ import annotations

from ..record import evolve, frozen

from ..model import Device, DriveAddr, MachineFamily, PciAddr
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, FixedSlot, PciConnect, PciGroup, UsbOrder, XNode, \
    address_xnode, check_iothread_ref, device_arg, pci_props, read_common, usb_props, xnode
from .chardev import CharDevice
from .controller_options import EXPANDERS, ControllerOptions, check_bus_numbers, \
    check_controller_options, number_expander_buses, pci_driver, pci_props as pci_own_props, \
    pci_tail_props, read_chassis, read_controller_options, scsi_props
from .disk import Disk

TYPES = ("ide", "fdc", "sata", "scsi", "usb", "pci", "virtio-serial", "ccid", "xenbus", "isa")

# SCSI controller model -> QEMU device
SCSI_DRIVERS = {
    "virtio-scsi": "virtio-scsi-pci",
    "virtio-transitional": "virtio-scsi-pci-transitional",
    "virtio-non-transitional": "virtio-scsi-pci-non-transitional",
    "lsilogic": "lsi",
    "lsisas1068": "mptsas1068",
    "lsisas1078": "megasas",
    "vmpvscsi": "pvscsi",
    "ibmvscsi": None,
}

# USB controller model -> QEMU device
USB_DRIVERS = {
    "piix3-uhci": "piix3-usb-uhci",
    "piix4-uhci": "piix4-usb-uhci",
    "ehci": "usb-ehci",
    "ich9-ehci1": "ich9-usb-ehci1",
    "ich9-uhci1": "ich9-usb-uhci1",
    "ich9-uhci2": "ich9-usb-uhci2",
    "ich9-uhci3": "ich9-usb-uhci3",
    "vt82c686b-uhci": "vt82c686b-usb-uhci",
    "pci-ohci": "pci-ohci",
    "nec-xhci": "nec-usb-xhci",
    "qemu-xhci": "qemu-xhci",
}
USB2_COMPANIONS = ("ich9-uhci1", "ich9-uhci2", "ich9-uhci3")
# the first port of the master's a companion takes when the XML has no <master startport>
USB2_STARTPORTS = {"ich9-uhci1": 0, "ich9-uhci2": 2, "ich9-uhci3": 4}
# the PCI function each part of an ICH9 USB2 set takes in the slot the set shares
USB2_FUNCTIONS = {"ich9-ehci1": 7, "ich9-uhci1": 0, "ich9-uhci2": 1, "ich9-uhci3": 2}

VIRTIO_SERIAL_DRIVERS = {
    None: "virtio-serial-pci",
    "virtio": "virtio-serial-pci",
    "virtio-transitional": "virtio-serial-pci-transitional",
    "virtio-non-transitional": "virtio-serial-pci-non-transitional",
}

# PCI controller model -> (QEMU device, emits a device at all)
PCI_DRIVERS = {
    "pci-root": None,
    "pcie-root": None,
    "pci-bridge": "pci-bridge",
    "dmi-to-pci-bridge": "i82801b11-bridge",
    "pcie-root-port": "pcie-root-port",
    "pcie-switch-upstream-port": "x3130-upstream",
    "pcie-switch-downstream-port": "xio3130-downstream",
    "pci-expander-bus": "pxb",
    "pcie-expander-bus": "pxb-pcie",
    "pcie-to-pci-bridge": "pcie-pci-bridge",
}

# PCI controller model -> how it plugs in upstream (the roots plug in nowhere)
PCI_CONNECT = {
    "pci-bridge": PciConnect.PCI_BRIDGE,
    "pci-expander-bus": PciConnect.PCI_EXPANDER,
    "pcie-expander-bus": PciConnect.PCIE_EXPANDER,
    "dmi-to-pci-bridge": PciConnect.DMI_BRIDGE,
    "pcie-to-pci-bridge": PciConnect.PCIE_TO_PCI_BRIDGE,
    "pcie-root-port": PciConnect.ROOT_PORT,
    "pcie-switch-upstream-port": PciConnect.UPSTREAM_PORT,
    "pcie-switch-downstream-port": PciConnect.DOWNSTREAM_PORT,
}
# the order libvirt writes controllers in (qemuBuildControllersCommandLine): by type,
# then by index
ARGV_ORDER = ("pci", "usb", "scsi", "ide", "sata", "virtio-serial", "ccid")
EXPRESS_USB = ("qemu-xhci", "nec-xhci")
EXPRESS_VIRTIO = (None, "virtio", "virtio-scsi", "virtio-non-transitional")

# the chipsets' controllers: the PIIX3's IDE and UHCI functions (i440fx), the ICH9's
# AHCI, and the slots the ICH9 prefers for a USB2 set and a dmi-to-pci-bridge (q35)
PIIX3_IDE, PIIX3_UHCI = PciAddr(0, 0, 1, 1), PciAddr(0, 0, 1, 2)
ICH9_SATA = PciAddr(0, 0, 0x1F, 2)
ICH9_USB2_SLOTS = (0x1D, 0x1A)
ICH9_DMI_BRIDGE_SLOT = 0x1E

# libvirt's "units per bus" for drive addresses by controller type
IDE_BUSES, IDE_UNITS = 2, 2
SATA_UNITS = 6
FDC_UNITS = 2
SCSI_NARROW_UNITS = 7  # units per controller when an address comes from the target name


@frozen(kw_only=True)
class Controller(Device):
    tag = "controller"

    type: str
    index: int
    model: str | None = None
    ports: int | None = None
    vectors: int | None = None
    queues: int | None = None
    iothread: int | None = None  # virtio-scsi <driver iothread=N>
    master_startport: int | None = None  # USB2 companion: <master startport=.../>
    chassis: int | None = None  # <target chassis=... port=.../> of PCI controllers
    port: int | None = None
    busnr: int | None = None
    hotplug: bool | None = None
    options: ControllerOptions = ControllerOptions()  # model name, NUMA node, SCSI knobs

    def describe(self) -> str:
        return f"controller {self.type} index {self.index}"


def from_xml(r: Reader) -> Controller:
    ctype = r.attr_choice("type", TYPES, "ide")
    model = r.attr("model")
    drv = r.child("driver")
    master = r.child("master")
    target = r.child("target")
    model = r.attr("model")
    startport = master.attr_int("startport", hi=255) if master is not None else None
    if startport is None and ctype == "usb":
        # libvirt gives a companion without one its place in the set while parsing,
        # before the controllers are sorted (a master goes before its companions)
        startport = USB2_STARTPORTS.get(model)
    return Controller(
        type=ctype,
        index=r.attr_int("index", hi=2**31 - 1),  # None: numbered by number_controllers
        model=model,
        ports=r.attr_int("ports", hi=255),
        vectors=r.attr_int("vectors", hi=2048),
        queues=drv.attr_int("queues", lo=1, hi=1024) if drv is not None else None,
        iothread=drv.attr_int("iothread", lo=1) if drv is not None else None,
        master_startport=startport,
        chassis=read_chassis(target, model),
        port=target.attr_int("port", hi=255) if target is not None else None,
        busnr=target.attr_int("busNr", hi=255) if target is not None else None,
        hotplug=target.attr_bool("hotplug") if target is not None else None,
        options=read_controller_options(r, ctype, model),
        **read_common(r),
    )


USB2_SET = ("ich9-ehci1", *USB2_COMPANIONS)


def _is_usb2(c: Controller) -> bool:
    return c.type == "usb" and c.model in USB2_SET


def _insert(ordered: list[Controller], new: Controller) -> None:
    """libvirt's virDomainControllerInsertPreAlloced, at parse time (an index the XML
    leaves out is still unknown): by type, by index inside a type; one without an
    index goes after the last of its type; a USB master before the companions of its
    index."""
    at = None
    for i in range(len(ordered) - 1, -1, -1):
        cur = ordered[i]
        if cur.type != new.type:
            continue
        if new.index is None:
            at = i + 1
            break
        cur_index = -1 if cur.index is None else cur.index
        if cur_index > new.index:
            at = i
        elif (new.master_startport is None and cur.master_startport is not None
              and cur_index == new.index):
            at = i
        elif at is None:
            at = i + 1
    ordered.insert(len(ordered) if at is None else at, new)


def _lowest_unused(ordered: list[Controller], ctype: str) -> int:
    used = {c.index for c in ordered if c.type == ctype and c.index is not None}
    return next(i for i in range(len(used) + 1) if i not in used)


def number_controllers(devices: list) -> list:
    """The user's controllers in libvirt's order, each with its index.

    libvirt keeps them in one list sorted while parsing (``_insert``); that order is
    the argv order and the order PCI slots are handed out in.  A controller written
    without index= then gets the lowest index of its type nobody uses yet, in list
    order (virDomainAssignControllerIndexes) -- except a part of an ICH9 USB2 set
    (ich9-ehci1, ich9-uhci1..3) right after another part: it joins that part's index
    unless a controller of its own model already has it.  So virt-install's EHCI1 and
    three UHCI companions, none with an index, all get the EHCI's index."""
    slots = [i for i, d in enumerate(devices) if isinstance(d, Controller)]
    ordered: list[Controller] = []
    for i in slots:
        _insert(ordered, devices[i])
    for pos, c in enumerate(ordered):
        if c.index is not None:
            continue
        index = None
        if pos > 0 and _is_usb2(c):
            prev = next((p for p in reversed(ordered[:pos]) if p.type == "usb"), None)
            if prev is not None and _is_usb2(prev) and not any(
                    o.type == "usb" and o.index == prev.index and o.model == c.model
                    for o in ordered):
                index = prev.index
        if index is None:
            index = _lowest_unused(ordered, c.type)
        ordered[pos] = evolve(c, index=index)
    out = list(devices)
    for i, c in zip(slots, ordered):
        out[i] = c
    return out


# PCI controllers whose hotplug QEMU can switch (pci-root through the PIIX4's ACPI)
HOTPLUG_SWITCHABLE = ("pci-root", "pcie-root-port", "pcie-switch-downstream-port")


def validate(c: Controller, dom, diag) -> None:
    """The controller's checks, on the controllers the user wrote (before the implicit
    ones are added)."""
    if c.type == "pci" and c.hotplug is not None and c.model not in HOTPLUG_SWITCHABLE:
        diag.error("unsupported-controller", f"{c.describe()}: hotplug cannot be switched on a "
                   f"'{c.model}' controller (only on {', '.join(HOTPLUG_SWITCHABLE)})", c.span)
    if c.type == "ide" and (_is_q35(dom) or c.index > 0):
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
    if c.type == "usb" and c.model in USB2_COMPANIONS:
        _check_master(c, dom, diag)
    check_iothread_ref(c, c.type == "scsi" and c.model in (None, "virtio-scsi"), dom, diag)
    check_controller_options(c, dom, diag)
    if c.type == "pci" and c.model in EXPANDERS and c.busnr is None:
        # only an expander without busNr gets a number here: the others are checked
        # as written, without numbering the whole domain once per controller
        c = number_expander_buses(dom.devices)[dom.devices.index(c)]
    check_bus_numbers(c, diag)


def _check_master(c: Controller, dom, diag) -> None:
    """A UHCI companion hangs off the bus of the USB controller of its index
    (masterbus=usbN.0), which QEMU must have created before: the master comes first in
    the controller order (by index, then as written; a master goes before the
    companions of its index when both name it).  libvirt refuses a companion without
    a master too ("No master USB controller specified"); one written before its master
    it compiles, and QEMU 7.2 then refuses to start ("USB bus 'usb.0' not found")."""
    masters = [i for i, m in enumerate(dom.devices) if isinstance(m, Controller)
               and m.type == "usb" and m.index == c.index and m.model not in USB2_COMPANIONS]
    if not masters:
        diag.error("usb-companion-master", f"{c.describe()}: {c.model} is a companion "
                   f"of a USB2 controller, but there is no USB controller of index {c.index} "
                   "to be its master (add e.g. <controller type='usb' "
                   f"index='{c.index}' model='ich9-ehci1'/>)", c.span)
        return
    if next(i for i, d in enumerate(dom.devices) if d is c) < masters[0]:
        m = dom.devices[masters[0]]
        diag.error("usb-companion-order", f"{c.describe()}: {c.model} comes before its master "
                   f"{m.model} (line {m.span.line}), so QEMU would create it before the bus it "
                   f"joins and refuse to start (\"USB bus '{alias_for_index(c.index)}.0' not "
                   "found\"); write the master first or give both an index", c.span)


def alias_for_index(index: int) -> str:
    return "usb" if index == 0 else f"usb{index}"


def wants_pci(c: Controller, dom) -> bool:
    if c.type == "pci":
        return c.model not in ("pci-root", "pcie-root")
    if c.type == "usb":
        return c.model != "none"
    if c.type in ("fdc", "ccid", "xenbus", "isa"):
        return False
    return True  # the chipset's own IDE/SATA functions are placed by assign_pci_addresses


def pci_group(c: Controller) -> PciGroup:
    return PciGroup.PCI_CONTROLLER if c.type == "pci" else PciGroup.CONTROLLER


def _is_q35(dom) -> bool:
    return dom.os.family is MachineFamily.Q35


def _builtin_ide(dom) -> bool:
    return not _is_q35(dom)


def alias(c: Controller, nth: int, dom) -> str:
    if c.type == "pci":
        if c.model == "pcie-root":
            return "pcie.0"
        return f"pci.{c.index}"
    if c.type == "ide" and c.index == 0 and _builtin_ide(dom):
        return "ide"
    if c.type == "sata" and c.index == 0 and _is_q35(dom):
        return "ide"
    if c.type == "usb" and c.index == 0:
        return "usb"
    return f"{c.type}{c.index}"


def _usb_props(c: Controller, ctx: EmitCtx) -> dict:
    props = {}
    if c.model in USB2_COMPANIONS:
        master = ctx.controller("usb", c.index)
        # companions share the index of their EHCI master
        props["masterbus"] = f"{(master.alias if master else 'usb')}.0"
        props["firstport"] = c.master_startport or 0
    if c.ports is not None and c.model in ("qemu-xhci", "nec-xhci"):
        props["p2"] = c.ports
        props["p3"] = c.ports
    return props


def emit(c: Controller, ctx: EmitCtx) -> list[str]:
    # USB2 companions have no id: QEMU finds them through their master's bus
    common = {"id": None if c.model in USB2_COMPANIONS else c.alias, **pci_props(c, ctx)}
    if c.type == "usb":
        if c.model == "none":
            return []
        return device_arg(USB_DRIVERS[c.model], {**_usb_props(c, ctx), **common})
    if c.type == "scsi":
        props = {} if c.iothread is None else {"iothread": f"iothread{c.iothread}"}
        props["id"] = common.pop("id")
        if c.queues is not None:
            props["num_queues"] = c.queues
        props.update(scsi_props(c.options))
        return device_arg(SCSI_DRIVERS[c.model], {**props, **common})
    if c.type == "virtio-serial":
        props = {"id": common.pop("id")}
        if c.ports is not None:
            props["max_ports"] = c.ports
        if c.vectors is not None:
            props["vectors"] = c.vectors
        return device_arg(VIRTIO_SERIAL_DRIVERS[c.model], {**props, **common})
    if c.type == "sata":
        if c.index == 0 and _is_q35(ctx.dom):
            return []  # the ICH9's own AHCI
        return device_arg("ahci", common)
    if c.type == "pci":
        if c.model == "pci-root" and c.hotplug is not None:
            # ACPI hotplug on the i440fx root bus, a switch of the PIIX4 power management
            return ["-global", f"PIIX4_PM.acpi-root-pci-hotplug={'on' if c.hotplug else 'off'}"]
        driver = PCI_DRIVERS.get(c.model)
        if driver is None:
            return []
        props = {**pci_own_props(c), **common, **pci_tail_props(c)}
        if c.model == "pci-bridge":
            props["chassis_nr"] = c.chassis
        elif c.model in ("pcie-root-port", "pcie-switch-downstream-port"):
            props["port"] = c.port
            props["chassis"] = c.chassis
            props["hotplug"] = c.hotplug
        return device_arg(pci_driver(c, driver), _pci_controller_order(props))
    if c.type == "ccid":
        # a USB CCID reader, with or without a card in it (the card is the <smartcard>)
        return device_arg("usb-ccid", {"id": c.alias, **usb_props(c, ctx)})
    return []  # ide / fdc are built into the machine


def _pci_controller_order(props: dict) -> dict:
    # libvirt writes port/chassis before id, bus and addr; keep the look
    order = ["port", "chassis", "chassis_nr", "bus_nr", "id", "numa_node", "hotplug", "bus",
             "multifunction", "addr"]
    return {k: props[k] for k in order if props.get(k) is not None}


def to_xml(c: Controller) -> XNode:
    children = []
    if c.model in USB2_COMPANIONS and c.master_startport is not None:
        children.append(xnode("master", startport=c.master_startport))
    if c.type == "pci" and (c.chassis is not None or c.port is not None):
        children.append(xnode("target", chassis=c.chassis,
                              port=None if c.port is None else f"0x{c.port:x}"))
    addr = address_xnode(c.address)
    if addr is not None:
        children.append(addr)
    return xnode("controller", *children, type=c.type, index=c.index, model=c.model)


def is_pci_root(c: Device) -> bool:
    return isinstance(c, Controller) and c.type == "pci" and c.model in ("pci-root", "pcie-root")


def filled_attrs(c: Controller) -> tuple[tuple[str, str], ...]:
    """The index and model the passes settled on, written back by normalize."""
    out = (("index", str(c.index)),)
    return out + ((("model", c.model),) if c.model is not None else ())


def pci_connect(c: Controller) -> PciConnect:
    if c.type == "pci":
        return PCI_CONNECT.get(c.model, PciConnect.NONE)
    if c.type == "usb":
        return PciConnect.PCIE if c.model in EXPRESS_USB else PciConnect.PCI
    if c.type in ("scsi", "virtio-serial"):
        return PciConnect.PCIE if c.model in EXPRESS_VIRTIO else PciConnect.PCI
    return PciConnect.PCI


def fixed_slot(c: Controller, nth: int, family: MachineFamily) -> FixedSlot | None:
    if family is MachineFamily.Q35:
        if c.type == "sata" and c.index == 0:
            return FixedSlot((ICH9_SATA,), chipset=True, required=True)
        if c.type == "usb" and c.model == "ich9-uhci1":
            return FixedSlot(tuple(PciAddr(0, 0, slot, 0, multifunction=True)
                                   for slot in ICH9_USB2_SLOTS))
        if c.type == "pci" and c.model == "dmi-to-pci-bridge":
            return FixedSlot((PciAddr(0, 0, ICH9_DMI_BRIDGE_SLOT, 0),))
        return None
    if c.type == "ide" and c.index == 0:
        return FixedSlot((PIIX3_IDE,), chipset=True, required=True)
    if c.type == "usb" and c.index == 0 and c.model == "piix3-uhci":
        return FixedSlot((PIIX3_UHCI,), chipset=True)
    return None


DEFAULT_SCSI_MODEL = "lsilogic"


def insert_controller(devs: list, new: Controller) -> None:
    """A controller libvirt adds itself is appended to its controller list
    (virDomainDefAddController), whatever the indexes already there: an implicit scsi0
    comes after a user's scsi2 and after every other controller.  (The user's own
    controllers are sorted by type and index while parsing: order_devices.)"""
    last_ctrl = None
    for i, d in enumerate(devs):
        if isinstance(d, Controller):
            last_ctrl = i
    devs.insert(0 if last_ctrl is None else last_ctrl + 1, new)


def _ensure(devs: list, ctype: str, index: int, span) -> None:
    if not any(isinstance(d, Controller) and d.type == ctype and d.index == index for d in devs):
        insert_controller(devs, Controller(type=ctype, index=index, span=span))


def _disk_controllers(devs: list) -> None:
    """Every controller index up to the highest a disk's drive address uses (four SCSI
    disks sda..sdd -> scsi0; sdz -> scsi0..scsi3), caused by the disk on that index,
    else by the one on the highest."""
    for bus in ("scsi", "fdc", "ide", "sata"):  # virDomainDefAddDiskControllers order
        disks = [d for d in devs if isinstance(d, Disk) and d.target_bus == bus
                 and isinstance(d.address, DriveAddr)]
        if not disks:
            continue
        highest = max(disks, key=lambda d: d.address.controller)
        for index in range(highest.address.controller + 1):
            cause = next((d for d in disks if d.address.controller == index), highest)
            _ensure(devs, bus, index, cause.span)


def _virtio_serial(devs: list) -> None:
    """virtio-serial 0 for virtio consoles and channels (and the controller a
    chardev's virtio-serial address names)."""
    for d in list(devs):
        if isinstance(d, CharDevice) and d.target_type == "virtio":
            a = d.address
            index = int(a.get("controller", "0")) if getattr(a, "type", None) == "virtio-serial" \
                else 0
            if not any(isinstance(c, Controller) and c.type == "virtio-serial" for c in devs) \
                    or a is not None:
                _ensure(devs, "virtio-serial", index, d.span)


def _default_model(c: Controller, family: MachineFamily) -> str | None:
    if c.type == "scsi":
        return DEFAULT_SCSI_MODEL
    if c.type == "usb":
        return "qemu-xhci" if family is MachineFamily.Q35 else "piix3-uhci"
    if c.type == "pci" and c.index == 0:
        return "pcie-root" if family is MachineFamily.Q35 else "pci-root"
    return None


def _ccid(devs: list) -> None:
    """The CCID controller (a usb-ccid reader) a smartcard sits in."""
    from .smartcard import Smartcard, ccid_index

    for d in list(devs):
        if isinstance(d, Smartcard):
            _ensure(devs, "ccid", ccid_index(d), d.span)


def implicit(devices: tuple, dom, family: MachineFamily) -> tuple:
    """The controllers libvirt adds: the machine's own first (qemuDomainDefAddDefaultDevices:
    USB 0 unless the domain has one (of any model, 'none' too), SATA 0 on q35, the PCI root; i440fx
    gets IDE 0 only for IDE disks), then those the disks imply, then virtio-serial for
    virtio chardevs, then the CCID controller of a smartcard; their order decides PCI
    slots (and USB ports).  Controllers without a model get libvirt's default one."""
    devs = list(devices)
    _ensure(devs, "usb", 0, dom.span)  # also beside a user's USB controller 1
    if family is MachineFamily.Q35:
        _ensure(devs, "sata", 0, dom.span)
    _ensure(devs, "pci", 0, dom.span)
    _disk_controllers(devs)
    _virtio_serial(devs)
    _ccid(devs)
    return number_expander_buses(tuple(evolve(d, model=_default_model(d, family))
                                       if isinstance(d, Controller) and d.model is None else d
                                       for d in devs))


def argv_key(c: Controller) -> tuple[int, int]:
    """By type, then by index: libvirt appends the controllers it adds (an implicit
    scsi0 after the user's scsi2) and sorts them again when it reads its own XML back,
    so this is the order that survives a normalize."""
    return (ARGV_ORDER.index(c.type) if c.type in ARGV_ORDER else len(ARGV_ORDER), c.index)


def lock_key(c: Controller) -> str:
    """type:index -- a USB2 set's parts share their index and add their model."""
    key = f"{c.type}:{c.index}"
    return f"{key}:{c.model}" if c.type == "usb" and c.model in USB2_COMPANIONS else key


def from_lock(locked, span) -> Controller:
    """A controller the passes added, put back from a lockfile: the bus (or the port
    set) that locked addresses name."""
    f = locked.fields
    return Controller(type=str(f["type"]), index=int(f["index"]), span=span)


KIND = DeviceKind(tag="controller", cls=Controller, from_xml=from_xml, emit=emit,
                  validate=validate, wants_pci=wants_pci, pci_group=pci_group, alias=alias, to_xml=to_xml,
                  wants_usb=lambda c, dom: c.type == "ccid", usb_order=UsbOrder.CCID,
                  pci_connect=pci_connect, filled_attrs=filled_attrs, argv_key=argv_key,
                  fixed_slot=fixed_slot, implicit=implicit,
                  lock_key=lock_key, lock_fields=("type", "index", "chassis", "port"),
                  from_lock=from_lock,
                  virtio_legacy=lambda c: c.type in ("scsi", "virtio-serial"))

__all__ = ["Controller", "KIND", "PciAddr", "USB2_FUNCTIONS", "is_pci_root"]

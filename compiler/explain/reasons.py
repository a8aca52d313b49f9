"""Why a pass filled in a value: PCI slots, USB ports, drive addresses, boot indexes,
ids, and the devices the passes added.  The passes' notes (compiler/trace.py) give
the state at the moment of a stateful choice; everything else is derived from the
parsed and the normalized domain."""

from __future__ import annotations

from ..devices.controller import Controller
from ..devices.disk import Disk, disk_name_index
from ..model import DriveAddr, MachineFamily, PciAddr
from ..passes.drives import address_from_name
from ..passes.pci_buses import CONN_NAMES, Conn, compatible

PER_CONTROLLER = {"ide": "4 units (2 buses of 2)", "sata": "6 units", "fdc": "2 units",
                  "scsi": "7 units"}


def slot_text(bus: int, slot: int, fn: int) -> str:
    return f"{slot:02x}.{fn:x}" if fn else f"{slot:02x}"


def _owners_before(taken: dict, a: PciAddr) -> list[str]:
    """The holders of the slots of ``a``'s bus below ``a``, one entry per slot."""
    slots: dict[int, list[str]] = {}
    for (bus, slot, fn), owner in sorted(taken.items()):
        if bus == a.bus and (slot, fn) < (a.slot, a.function):
            names = slots.setdefault(slot, [])
            if owner not in names:
                names.append(owner)
    return [f"0x{s:x} ({n[0]}{f' + {len(n) - 1} more' if len(n) > 1 else ''})"
            for s, n in slots.items()]


def _listing(items: list[str]) -> str:
    if len(items) > 4:
        items = items[:2] + [f"... ({len(items) - 4} more)"] + items[-2:]
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _conn_name(flags: Conn) -> str:
    return next((n for f, n in CONN_NAMES if flags & f), "device")


def pci_reason(note: dict, d, bus_name: str, family: MachineFamily | None) -> str:
    """The sentence for a PCI address a pass chose (``note``: its trace facts)."""
    a = d.pci
    how = note["how"]
    at = f"{bus_name} slot 0x{a.slot:x}" + (f" function {a.function}" if a.function else "")
    chipset = "ICH9" if family is MachineFamily.Q35 else "PIIX3"
    if how == "chipset":
        return f"{at}: a function of the {chipset} chipset itself, libvirt's fixed place for " \
               f"the {d.describe()}"
    if how == "fixed":
        return f"{at}: the chipset's usual slot for the {d.describe()}, still free"
    if how == "first":
        return f"{at}: the primary video's usual slot was taken, so it gets the first free " \
               "slot before every other device"
    if how == "usb2":
        return f"{at}: a USB2 controller set shares one slot, each controller one function"
    if how != "first-free":
        return f"{at} ({how})"
    taken = note.get("taken", {})
    before = _owners_before(taken, a)
    if "buses" not in note:  # i440fx: one flat slot map
        return f"{at}: the first free slot on {bus_name}, after {_listing(before)}"
    flags = Conn(note["flags"])
    runs: list[list] = []  # [first bus, last bus, model, why]
    for n, (model, bus_flags) in enumerate(note["buses"][:a.bus]):
        why = compatible(Conn(bus_flags), flags, n, False)
        if why is None:
            why = "full"
        elif "automatically" in why:
            why = "takes no automatically placed device"
        else:
            why = why.replace("requires a controller that accepts a", "takes no")
        if runs and runs[-1][2:] == [model, why] and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n, model, why])
    skipped = [f"bus {lo} ({model}) {why}" if lo == hi else
               f"buses {lo}-{hi} ({model}) {why}" for lo, hi, model, why in runs]
    out = f"{at}: the first free slot for a {_conn_name(flags)} (libvirt's order)"
    if a.function:
        out += f"; root ports share slot 0x{a.slot:x}, one function each"
    elif before:
        out += f", after {_listing(before)}"
    if skipped:
        out += "; before it " + "; ".join(skipped)
    return out


def usb_reason(note: dict, bus: str, port: str) -> str:
    taken = [p for b, p in note.get("taken", []) if str(b) == bus]
    where = f"port {port} of USB controller {bus}"
    if "." in port:
        where += f" (behind the hub on port {port.rsplit('.', 1)[0]})"
    if taken:
        return f"{where}: the first free port; {_listing(taken)} were taken"
    return f"{where}: the first free port"


def drive_reason(d: Disk) -> str:
    idx = disk_name_index(d.target_dev)
    a = d.address
    assert isinstance(a, DriveAddr)
    if idx is None or address_from_name(d.target_bus, idx) != a:
        return f"drive address {a}"
    return (f"from the target name {d.target_dev}: {d.target_bus} disk number {idx} is "
            f"controller {a.controller}, bus {a.bus}, unit {a.unit} "
            f"({PER_CONTROLLER.get(d.target_bus, '')} per controller)")


def boot_reason(d, bootdevs: tuple[str, ...]) -> str:
    n = d.boot_order
    if not bootdevs:
        return f"no <boot>: libvirt boots from the first hard disk (boot index {n})"
    dev = bootdevs[n - 1] if 0 < n <= len(bootdevs) else "?"
    what = {"hd": "hard disk", "cdrom": "CD-ROM", "fd": "floppy", "network": "NIC"}.get(dev, dev)
    return f"<boot dev='{dev}'/> is boot entry {n}: the first {what} gets boot index {n}"


def added_reason(d, dom, trace) -> tuple[str, str]:
    """(pass, sentence) for a device the normalize passes added."""
    tag = d.kind_tag
    family = dom.os.family
    if isinstance(d, Controller):
        return "add_implicit_devices", _controller_reason(d, dom, trace)
    if tag == "hub":
        note = trace.get("usb-hubs", None) if trace else None
        if note:
            return "assign_usb_ports", (f"{note['needing']} USB devices and only "
                                        f"{note['free']} ports on the controllers and hubs: "
                                        f"libvirt adds {note['hubs']} hub(s) of 8 ports")
        return "assign_usb_ports", "more USB devices than ports: libvirt adds a hub"
    if tag == "input":
        return "add_implicit_devices", (f"the PS/2 {d.type} of the x86 machine's i8042: libvirt "
                                        "lists it for every x86 guest")
    if tag == "video":
        return "add_implicit_devices", ("the <graphics> needs a video card: libvirt adds one of "
                                        f"the default model ({d.model})")
    if tag == "memballoon":
        return "add_implicit_devices", ("libvirt adds a virtio memory balloon to every guest "
                                        "whose XML has no <memballoon>")
    if tag == "serial":
        return "add_implicit_devices", "the serial port behind a serial <console>"
    del family
    return "add_implicit_devices", f"added by libvirt's defaults for the {d.describe()}"


def _controller_reason(c: Controller, dom, trace) -> str:
    family = dom.os.family
    if c.type == "pci":
        if c.index == 0:
            return f"the machine's root bus ({c.model}): every guest has it"
        note = trace.get("pci-grow", c.index) if trace else None
        if note is not None:
            if note["device"] == "hotplug reserve":
                return ("one empty pcie-root-port kept free for hotplug: libvirt adds it when "
                        "it had to add buses and the XML names no PCI controller")
            return (f"no bus had a free slot for the {note['device']}: libvirt's dry run of the "
                    f"PCI addresses added this {c.model} (assign_pcie_addresses)")
        return f"bus index {c.index} has no controller in the XML: libvirt's default {c.model}"
    if c.type == "usb" and c.index == 0:
        return (f"libvirt adds USB controller 0 to every x86 guest that names none; the default "
                f"model on {family.value if family else 'this machine'} is {c.model}")
    if c.type == "sata" and c.index == 0 and family is MachineFamily.Q35:
        return "the ICH9's built-in AHCI controller: every q35 guest has SATA controller 0"
    if c.type in ("scsi", "ide", "sata", "fdc"):
        disks = [d for d in dom.devices if isinstance(d, Disk) and d.target_bus == c.type
                 and isinstance(d.address, DriveAddr)]
        on = [d for d in disks if d.address.controller == c.index]
        if on:
            why = drive_reason(on[0]) if len(on) == 1 else \
                f"disks {_listing([d.target_dev for d in on])} are on controller {c.index}"
            return f"implicit {c.type} controller {c.index} for {on[0].describe()}: {why}"
        top = max(disks, key=lambda d: d.address.controller, default=None)
        if top is not None:
            return (f"{c.type} controller indexes up to {top.address.controller} must exist "
                    f"because {top.describe()} uses controller {top.address.controller}")
    if c.type == "virtio-serial":
        return "the virtio-serial controller a virtio channel or console plugs into"
    return f"libvirt's implicit {c.type} controller {c.index}"

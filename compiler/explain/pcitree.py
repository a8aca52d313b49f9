"""The guest's PCI topology: buses, bridges and the function in every slot, built
from the normalized domain (and its argv, for the ids QEMU will know the devices by)
or from QEMU's ``query-pci`` of a running guest; and both drawn as text in the
form of ``lspci -t``, so that they can be compared line by line.

Bus numbers are the firmware's, not libvirt's controller indexes: SeaBIOS and OVMF
number the buses behind PCI-PCI bridges depth first, in slot order (a pxb root bus
starts at its ``busNr``).  QEMU creates some functions itself, whatever the command
line says (``CHIPSET``); they have no id, so both trees name them by the chipset
part they are.
"""

from __future__ import annotations

import json

from ..record import define, field

from ..devices.controller import Controller
from ..model import Domain, MachineFamily, PciAddr
from ..passes.pci_buses import BUS_MODELS, HOTPLUG_BUSES

# the functions QEMU's machine creates itself: (family, slot, function) -> name
CHIPSET = {
    (MachineFamily.I440FX, 0x00, 0): "i440FX host bridge",
    (MachineFamily.I440FX, 0x01, 0): "PIIX3 ISA bridge",
    (MachineFamily.I440FX, 0x01, 1): "PIIX3 IDE",
    (MachineFamily.I440FX, 0x01, 3): "PIIX4 ACPI",
    (MachineFamily.Q35, 0x00, 0): "Q35 host bridge",
    (MachineFamily.Q35, 0x1F, 0): "ICH9 LPC",
    (MachineFamily.Q35, 0x1F, 2): "ICH9 AHCI",
    (MachineFamily.Q35, 0x1F, 3): "ICH9 SMBus",
}
# the same parts by PCI vendor:device, as query-pci reports them
CHIPSET_IDS = {
    (0x8086, 0x1237): "i440FX host bridge", (0x8086, 0x7000): "PIIX3 ISA bridge",
    (0x8086, 0x7010): "PIIX3 IDE", (0x8086, 0x7113): "PIIX4 ACPI",
    (0x8086, 0x29C0): "Q35 host bridge", (0x8086, 0x2918): "ICH9 LPC",
    (0x8086, 0x2922): "ICH9 AHCI", (0x8086, 0x2930): "ICH9 SMBus",
}
# controller models with a bus behind a PCI-PCI bridge (the firmware numbers it)
BRIDGES = ("pci-bridge", "dmi-to-pci-bridge", "pcie-root-port", "pcie-to-pci-bridge",
           "pcie-switch-upstream-port", "pcie-switch-downstream-port")
EXPANDERS = ("pci-expander-bus", "pcie-expander-bus")
ROOTS = ("pci-root", "pcie-root")


@define
class Function:
    slot: int
    function: int
    label: str  # the QEMU id, or the chipset part
    state: str = "device"  # device | chipset
    driver: str | None = None
    what: str | None = None  # domc's description of the device
    line: int = 0
    added: bool = False  # the passes added it (no element of its own)
    child: "Bus | None" = None


@define
class Bus:
    number: int  # the firmware's bus number
    name: str = ""  # QEMU's bus id (pci.0, pcie.0, pci.3)
    model: str = ""
    index: int | None = None  # libvirt's controller index
    hotplug: bool = False
    min_slot: int = 0
    max_slot: int = 31
    functions: list[Function] = field(factory=list)
    subordinate: int = 0
    reserved: dict = field(factory=dict)  # slot -> why it cannot take a device

    def slot_state(self, slot: int) -> str:
        if any(f.slot == slot for f in self.functions):
            return "chipset" if all(f.state == "chipset" for f in self.functions
                                    if f.slot == slot) else "used"
        if slot in self.reserved or not self.min_slot <= slot <= self.max_slot:
            return "reserved"
        return "free-hotplug" if self.hotplug else "free"


@define
class Topology:
    roots: list[Bus]  # bus 0 first, then pxb root buses

    def buses(self) -> list[tuple[Bus, int]]:
        """(bus, depth) depth first, in slot order."""
        out = []

        def walk(b: Bus, depth: int) -> None:
            out.append((b, depth))
            for f in sorted(b.functions, key=lambda f: (f.slot, f.function)):
                if f.child is not None:
                    walk(f.child, depth + 1)
        for r in self.roots:
            walk(r, 0)
        return out


def _number(bus: Bus, counter: list[int]) -> None:
    """The firmware's numbering: each bridge's bus gets the next number, depth first."""
    for f in sorted(bus.functions, key=lambda f: (f.slot, f.function)):
        if f.child is not None:
            counter[0] += 1
            f.child.number = counter[0]
            _number(f.child, counter)
            f.child.subordinate = counter[0]
    bus.subordinate = max(bus.subordinate, counter[0])


def device_ids(argv) -> dict[tuple[str, str], tuple[str | None, str]]:
    """(bus, addr) -> (id, driver) of every -device placed on a PCI bus."""
    out = {}
    for opt, value in zip(argv, argv[1:]):
        if opt == "-device" and value.startswith("{"):
            d = json.loads(value)
            if "addr" in d and "bus" in d:
                out[(d["bus"], d["addr"])] = (d.get("id"), d["driver"])
    return out


def from_domain(dom: Domain, argv) -> Topology:
    family = dom.os.family
    ctrls = {d.index: d for d in dom.devices if isinstance(d, Controller) and d.type == "pci"}
    buses: dict[int, Bus] = {}
    for index, c in ctrls.items():
        flags_model = c.model if c.model in BUS_MODELS else "pci-root"
        _, lo, hi = BUS_MODELS[flags_model]
        name = "pcie.0" if c.model == "pcie-root" else ("pci.0" if c.model == "pci-root"
                                                        else c.alias or f"pci.{index}")
        buses[index] = Bus(0, name, c.model or "", index,
                           hotplug=c.model in HOTPLUG_BUSES and c.hotplug is not False,
                           min_slot=lo, max_slot=hi)
    if 0 not in buses:
        return Topology([])
    ids = device_ids(argv)
    for d in dom.devices:
        a = d.address
        if not isinstance(a, PciAddr) or a.bus not in buses:
            continue
        bus = buses[a.bus]
        emitted = ids.get((bus.name, a.qemu_addr()))
        chip = CHIPSET.get((family, a.slot, a.function)) if a.bus == 0 else None
        if emitted is None and chip is not None:
            continue  # a chipset function the domain lists (the built-in IDE / AHCI)
        label = (emitted[0] or emitted[1]) if emitted else (d.alias or d.describe())
        f = Function(a.slot, a.function, label, driver=emitted[1] if emitted else None,
                     what=d.describe(), line=d.span.line, added=d.origin is None)
        if isinstance(d, Controller) and d.type == "pci" and d.index in buses:
            if d.model in BRIDGES:
                f.child = buses[d.index]
        bus.functions.append(f)
    root = buses[0]
    for (fam, slot, fn), name in CHIPSET.items():
        if fam is family and not (fn == 3 and slot == 1 and not dom.features.acpi):
            root.functions.append(Function(slot, fn, name, state="chipset"))
    root.reserved = {0: "host bridge"}
    roots = [root]
    for index, c in ctrls.items():
        if c.model in EXPANDERS:
            b = buses[index]
            b.number = c.busnr or 0
            roots.append(b)
    for r in roots:
        counter = [r.number]
        _number(r, counter)
    return Topology(roots)


def from_query_pci(result: list) -> Topology:
    """The tree QEMU's ``query-pci`` describes (the firmware must have run, or the
    buses behind bridges have no numbers and QEMU lists nothing behind them)."""
    def bus_of(number: int, devices: list, name: str = "") -> Bus:
        b = Bus(number, name)
        for d in devices:
            ident = d.get("id", {})
            qdev = d.get("qdev_id") or ""
            label = qdev or CHIPSET_IDS.get((ident.get("vendor"), ident.get("device"))) or \
                f"[{ident.get('vendor', 0):04x}:{ident.get('device', 0):04x}]"
            f = Function(d["slot"], d["function"], label,
                         state="device" if qdev else "chipset")
            br = d.get("pci_bridge")
            if br is not None:
                sec = br["bus"]["secondary"]
                f.child = bus_of(sec, br.get("devices", []), qdev)
                f.child.subordinate = br["bus"]["subordinate"]
            b.functions.append(f)
        return b
    roots = [bus_of(r["bus"], r["devices"]) for r in result]
    return Topology(sorted(roots, key=lambda b: b.number))


def tree_text(topo: Topology) -> str:
    """``lspci -tv`` with labels for names: one line per function, bridges as
    ``-[secondary(-subordinate)]-`` followed by what is behind them."""
    lines: list[str] = []
    line = []  # the current line as a list of characters (lspci's line buffer)

    def emit(p: int) -> None:
        text = "".join(line[:p]).rstrip()
        lines.append(text)
        for i in range(p):
            line[i] = "|" if line[i] in "+|" else " "

    def put(p: int, s: str) -> int:
        while len(line) < p + len(s):
            line.append(" ")
        line[p:p + len(s)] = list(s)
        return p + len(s)

    def dev(f: Function, p: int) -> None:
        p = put(p, f"{f.slot:02x}.{f.function:x}")
        if f.child is not None:
            b = f.child
            rng = f"{b.number:02x}" if b.subordinate <= b.number else \
                f"{b.number:02x}-{b.subordinate:02x}"
            p = put(p, f"-[{rng}]--")
            bus(b, p)
            return
        p = put(p, f"  {f.label}")
        emit(p)

    def bus(b: Bus, p: int) -> None:
        fs = sorted(b.functions, key=lambda f: (f.slot, f.function))
        if not fs:
            emit(p)
        elif len(fs) == 1:
            dev(fs[0], put(p, "--"))
        else:
            for f in fs[:-1]:
                dev(f, put(p, "+-"))
            dev(fs[-1], put(p, "\\-"))

    roots = sorted(topo.roots, key=lambda b: -b.number)
    p = put(0, "-")
    if len(roots) == 1:
        bus(roots[0], put(p, f"[0000:{roots[0].number:02x}]-"))
    else:
        for r in roots[:-1]:
            bus(r, put(p, f"+-[0000:{r.number:02x}]-"))
        bus(roots[-1], put(p, f"\\-[0000:{roots[-1].number:02x}]-"))
    return "\n".join(lines) + "\n"

"""The PCI(e) bus model and slot allocator behind assign_pcie_addresses, after
libvirt's virDomainPCIAddressSet (src/conf/domain_addr.c).

A bus is a PCI controller with a *connect-flags* mask (``Conn``) saying what may plug
into it; a device's own flags come from its kind (``DeviceKind.pci_connect`` ->
``CONNECT_FLAGS``).  ``compatible`` decides whether a device may sit on a bus,
``AddressSet`` records the functions taken slot by slot, finds the first compatible
free slot, and in a dry run *grows* the bus set (virDomainPCIAddressSetGrow):

- a PCI Express endpoint gets a new pcie-root-port;
- a conventional PCI device gets a pcie-root-port + pcie-to-pci-bridge, or a
  pci-bridge when some bus already accepts bridges;
- a root port is a one-slot bus whose slot is shared (functions 0..7) by the root
  ports plugged into it (``Conn.AGGREGATE``).
"""

from __future__ import annotations

import enum
from collections import Counter

from ..record import define, field

from ..devices import DEVICE_KINDS, kind_of
from ..devices.base import FixedSlot, PciConnect, PciGroup
from ..model import MachineFamily, PciAddr

SLOTS = 32
FUNCTIONS = 8


class Conn(enum.IntFlag):
    """virDomainPCIConnectFlags: what a device is, and what a bus accepts."""

    HOTPLUGGABLE = 1 << 0
    PCI_DEVICE = 1 << 1
    PCIE_DEVICE = 1 << 2
    ROOT_PORT = 1 << 3
    UPSTREAM_PORT = 1 << 4
    DOWNSTREAM_PORT = 1 << 5
    DMI_BRIDGE = 1 << 6
    PCI_EXPANDER = 1 << 7
    PCIE_EXPANDER = 1 << 8
    PCI_BRIDGE = 1 << 9
    PCIE_TO_PCI_BRIDGE = 1 << 10
    AUTOASSIGN = 1 << 11
    AGGREGATE = 1 << 12
    INTEGRATED = 1 << 13


TYPES = ~(Conn.HOTPLUGGABLE | Conn.AUTOASSIGN | Conn.AGGREGATE | Conn.INTEGRATED)
ENDPOINT = Conn.PCI_DEVICE | Conn.PCIE_DEVICE
PCI = Conn.PCI_DEVICE | Conn.AUTOASSIGN
PCIE = Conn.PCIE_DEVICE | Conn.AUTOASSIGN

# controller model -> (what it accepts downstream, min slot, max slot)
BUS_MODELS: dict[str, tuple[Conn, int, int]] = {
    "pci-root": (Conn.AUTOASSIGN | Conn.PCI_DEVICE | Conn.PCI_BRIDGE | Conn.PCI_EXPANDER, 1, 31),
    "pci-bridge": (Conn.AUTOASSIGN | Conn.PCI_DEVICE | Conn.PCI_BRIDGE, 1, 31),
    "pci-expander-bus": (Conn.AUTOASSIGN | Conn.PCI_DEVICE | Conn.PCI_BRIDGE, 0, 31),
    "pcie-root": (Conn.PCIE_DEVICE | Conn.ROOT_PORT | Conn.DMI_BRIDGE | Conn.PCIE_EXPANDER, 1, 31),
    "dmi-to-pci-bridge": (Conn.PCI_DEVICE | Conn.PCI_BRIDGE, 0, 31),
    "pcie-to-pci-bridge": (Conn.AUTOASSIGN | Conn.PCI_DEVICE | Conn.PCI_BRIDGE, 1, 31),
    "pcie-root-port": (Conn.AUTOASSIGN | Conn.PCIE_DEVICE | Conn.UPSTREAM_PORT
                       | Conn.PCIE_TO_PCI_BRIDGE, 0, 0),
    "pcie-switch-downstream-port": (Conn.AUTOASSIGN | Conn.PCIE_DEVICE | Conn.UPSTREAM_PORT
                                    | Conn.PCIE_TO_PCI_BRIDGE, 0, 0),
    "pcie-switch-upstream-port": (Conn.DOWNSTREAM_PORT, 0, 31),
    "pcie-expander-bus": (Conn.ROOT_PORT | Conn.DMI_BRIDGE, 0, 31),
}
HOTPLUG_BUSES = ("pci-root", "pci-bridge", "pci-expander-bus", "pcie-to-pci-bridge",
                 "pcie-root-port", "pcie-switch-downstream-port")

CONN_NAMES = (
    (Conn.PCI_DEVICE, "standard PCI device"), (Conn.PCIE_DEVICE, "PCI Express device"),
    (Conn.ROOT_PORT, "pcie-root-port"), (Conn.UPSTREAM_PORT, "pcie-switch-upstream-port"),
    (Conn.DOWNSTREAM_PORT, "pcie-switch-downstream-port"), (Conn.DMI_BRIDGE, "dmi-to-pci-bridge"),
    (Conn.PCIE_TO_PCI_BRIDGE, "pcie-to-pci-bridge"), (Conn.PCI_EXPANDER, "pci-expander-bus"),
    (Conn.PCIE_EXPANDER, "pcie-expander-bus"), (Conn.PCI_BRIDGE, "pci-bridge"),
)



# how a device plugs in (its kind says, devices.base.PciConnect) -> connect flags
CONNECT_FLAGS: dict[PciConnect, Conn] = {
    PciConnect.NONE: Conn(0),
    PciConnect.PCI: PCI,
    PciConnect.PCIE: PCIE,
    PciConnect.PCI_INTEGRATED: PCI | Conn.INTEGRATED,
    PciConnect.PCIE_INTEGRATED: PCIE | Conn.INTEGRATED,
    PciConnect.PCI_BRIDGE: Conn.PCI_BRIDGE,
    PciConnect.PCI_EXPANDER: Conn.PCI_EXPANDER,
    PciConnect.PCIE_EXPANDER: Conn.PCIE_EXPANDER,
    PciConnect.DMI_BRIDGE: Conn.DMI_BRIDGE,
    PciConnect.PCIE_TO_PCI_BRIDGE: Conn.PCIE_TO_PCI_BRIDGE,
    PciConnect.ROOT_PORT: Conn.ROOT_PORT | Conn.AGGREGATE,
    PciConnect.UPSTREAM_PORT: Conn.UPSTREAM_PORT,
    PciConnect.DOWNSTREAM_PORT: Conn.DOWNSTREAM_PORT,
}
assert set(CONNECT_FLAGS) == set(PciConnect), "a PciConnect has no connect flags"


def connect_flags(d) -> Conn:
    """qemuDomainDeviceCalculatePCIConnectFlags for a machine with pcie-root and a QEMU
    that knows the (non-)transitional virtio devices; the device's kind decides."""
    return CONNECT_FLAGS[kind_of(d).pci_connect(d)]


def slot_group(d) -> int:
    """Where the device comes in libvirt's order of slot assignment (its kind's
    PciGroup); only devices that take a PCI slot are asked."""
    group = kind_of(d).pci_group(d)
    assert group is not PciGroup.NONE, f"{d.describe()} wants a PCI slot but its kind has none"
    return group.value


_RANK: list = [None, {}]  # [the DEVICE_KINDS it was made of, kind tag -> position]


def _registry_rank() -> dict[str, int]:
    """Each kind's position in the registry: made once, again only when DEVICE_KINDS
    is another tuple (a test may register a kind)."""
    if _RANK[0] is not DEVICE_KINDS:
        _RANK[:] = [DEVICE_KINDS, {k.tag: r for r, k in enumerate(DEVICE_KINDS)}]
    return _RANK[1]


def fixed_slots(devices, family: MachineFamily) -> list[tuple[int, FixedSlot]]:
    """(index, fixed slot) of every device whose kind gives it one on this machine
    family (DeviceKind.fixed_slot), kind by kind in registry order -- the order of
    libvirt's chipset checks: controllers, then the primary video, then sound --
    document order inside a kind."""
    rank = _registry_rank()
    counts: Counter = Counter()
    out = []
    for i, d in enumerate(devices):
        nth = counts[d.kind_tag]
        counts[d.kind_tag] += 1
        fixed = kind_of(d).fixed_slot(d, nth, family)
        if fixed is not None:
            out.append((i, fixed))
    return sorted(out, key=lambda p: (rank[devices[p[0]].kind_tag], p[0]))


def _conn_name(flags: Conn) -> str:
    return next((n for f, n in CONN_NAMES if flags & f), "device")


@define
class Bus:
    model: str
    flags: Conn
    min_slot: int
    max_slot: int
    functions: list[int] = field(factory=lambda: [0] * SLOTS)
    aggregate: list[bool] = field(factory=lambda: [False] * SLOTS)

    @classmethod
    def of(cls, model: str, hotplug: bool = True) -> "Bus":
        flags, lo, hi = BUS_MODELS[model]
        if hotplug and model in HOTPLUG_BUSES:
            flags |= Conn.HOTPLUGGABLE
        return cls(model, flags, lo, hi)

    def empty(self) -> bool:
        return not any(self.functions[self.min_slot:self.max_slot + 1])


# the flags as plain ints for the checks below, which run for every slot tried:
# arithmetic on IntFlag members makes a new member each time and costs ~20x more
_INTEGRATED, _AUTOASSIGN, _PCI_BRIDGE, _PCI_DEVICE, _AGGREGATE = (
    int(Conn.INTEGRATED), int(Conn.AUTOASSIGN), int(Conn.PCI_BRIDGE), int(Conn.PCI_DEVICE),
    int(Conn.AGGREGATE))
_ENDPOINT, _TYPES = int(ENDPOINT), int(TYPES)


def _mismatch(bus_flags: int, dev_flags: int, bus: int, from_config: bool) -> int:
    """0 when the device may plug in, else which rule of compatible() it breaks."""
    if dev_flags & _INTEGRATED:
        if bus != 0:
            return 1
        bus_flags |= _AUTOASSIGN
    if from_config:
        if bus_flags & _ENDPOINT:
            bus_flags |= _ENDPOINT
        if dev_flags & _PCI_BRIDGE:
            dev_flags |= _PCI_DEVICE
    elif dev_flags & _AUTOASSIGN and not bus_flags & _AUTOASSIGN:
        return 2
    if not (dev_flags & bus_flags & _TYPES):
        return 3
    return 0


def compatible(bus_flags: Conn, dev_flags: Conn, bus: int, from_config: bool) -> str | None:
    """virDomainPCIAddressFlagsCompatible: None when the device may plug in, else why not."""
    why = _mismatch(int(bus_flags), int(dev_flags), bus, from_config)
    if why == 1:
        return "must be an integrated device (bus 0)"
    if why == 2:
        return "does not take automatically placed devices"
    if why == 3:
        if from_config and dev_flags & _PCI_BRIDGE:
            dev_flags = int(dev_flags) | _PCI_DEVICE
        return f"requires a controller that accepts a {_conn_name(Conn(int(dev_flags)))}"
    return None


class AddressSet:
    """virDomainPCIAddressSet: buses, the functions taken in each slot, and by whom."""

    def __init__(self, buses: list[Bus], dry_run: bool):
        self.buses = buses
        self.dry_run = dry_run
        self.owner: dict[tuple[int, int, int], str] = {}

    def slot_in_use(self, bus: int, slot: int) -> bool:
        return bus < len(self.buses) and bool(self.buses[bus].functions[slot])

    def check(self, a: PciAddr, flags: Conn, from_config: bool) -> str | None:
        if a.domain != 0:
            return f"PCI domain {a.domain} does not exist; only domain 0 does"
        if a.bus >= len(self.buses):
            return f"PCI bus {a.bus} does not exist (buses: 0..{len(self.buses) - 1})"
        bus = self.buses[a.bus]
        why = compatible(bus.flags, flags, a.bus, from_config)
        if why:
            return f"cannot be plugged into PCI controller index {a.bus} ({bus.model}): it {why}"
        if not bus.min_slot <= a.slot <= bus.max_slot:
            rng = f"{bus.min_slot}" if bus.min_slot == bus.max_slot else \
                f"{bus.min_slot}..{bus.max_slot}"
            return f"slot {a.slot} does not exist on PCI controller index {a.bus} ({bus.model}); " \
                f"slots: {rng}"
        return None

    def take(self, a: PciAddr, flags: Conn, owner: str) -> None:
        bus = self.buses[a.bus]
        if not bus.functions[a.slot] and int(flags) & _AGGREGATE:
            bus.aggregate[a.slot] = True
        bus.functions[a.slot] |= 1 << a.function
        self.owner[(a.bus, a.slot, a.function)] = owner

    def who(self, a: PciAddr) -> str | None:
        if a.bus < len(self.buses) and self.buses[a.bus].functions[a.slot] & (1 << a.function):
            return self.owner.get((a.bus, a.slot, a.function), "another device")
        return None

    def _find_on_bus(self, n: int, flags: Conn, function: int) -> PciAddr | None:
        bus = self.buses[n]
        if _mismatch(int(bus.flags), int(flags), n, False):
            return None
        aggregate = int(flags) & _AGGREGATE
        for slot in range(bus.min_slot, bus.max_slot + 1):
            used = bus.functions[slot]
            if not used:
                return PciAddr(0, n, slot, max(function, 0))
            if aggregate and bus.aggregate[slot]:
                fns = range(FUNCTIONS) if function == -1 else (function,)
                for fn in fns:
                    if not used & (1 << fn):
                        return PciAddr(0, n, slot, fn)
        return None

    def next_addr(self, flags: Conn, function: int = -1) -> PciAddr | None:
        for n in range(len(self.buses)):
            a = self._find_on_bus(n, flags, function)
            if a is not None:
                return a
        if self.dry_run:
            return self._grow(flags, function)
        return None

    def _grow(self, flags: Conn, function: int) -> PciAddr | None:
        """virDomainPCIAddressSetGrow: add the controller(s) that give the device a slot."""
        n = len(self.buses)
        if flags & Conn.PCI_DEVICE:
            if not any(b.flags & Conn.PCI_BRIDGE for b in self.buses):
                port = Bus.of("pcie-root-port")
                port.flags = Conn.PCIE_TO_PCI_BRIDGE  # reserved for the bridge below
                self.buses += [port, Bus.of("pcie-to-pci-bridge")]
                n += 1
            else:
                self.buses.append(Bus.of("pci-bridge"))
        elif flags & (Conn.PCIE_DEVICE | Conn.UPSTREAM_PORT):
            self.buses.append(Bus.of("pcie-root-port"))
        else:
            return None
        return PciAddr(0, n, self.buses[n].min_slot, max(function, 0))


__all__ = ["AddressSet", "Bus", "CONNECT_FLAGS", "Conn", "PCI", "PCIE", "compatible",
           "connect_flags"]

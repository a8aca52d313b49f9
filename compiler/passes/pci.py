"""assign_pci_addresses: every PCI device gets a unique slot, libvirt's way.

Order (qemuDomainAssignPCIAddresses on i440fx):
1. reserve every address the user wrote; reject duplicates, unknown buses, and clashes
   with the host bridge (00.0) and the PIIX3 (slot 1);
2. the chipset's fixed slots, each kind's ``fixed_slot`` (devices.base.FixedSlot): the
   PIIX3 functions (primary IDE at 01.1, the first UHCI controller at 01.2), the
   primary video at slot 2 -- or, when 2 is taken, the next free slot before anything
   else;
3. everything else, group by group (see devices.base.PciGroup), document order within a
   group, in the first free slot.  No free slot left is an error.

q35 machines go to assign_pcie_addresses (pcie.py, with the bus model of
pci_buses.py).  i440fx keeps its own flat slot map: every bus takes every device, so
connect flags, bus growth and the dry run have nothing to decide here.
"""

from __future__ import annotations

from ..record import evolve

from ..devices import kind_of
from ..devices.controller import USB2_COMPANIONS, USB2_FUNCTIONS, Controller
from ..model import Domain, MachineFamily, PciAddr
from .pci_buses import FUNCTIONS, SLOTS, fixed_slots, slot_group
from .pcie import assign_pcie_addresses, controller_defaults

PIIX3_SLOT = 1
HOST_BRIDGE_SLOT = 0


class SlotMap:
    """Which (bus, slot, function) is taken, and by whom."""

    def __init__(self, buses: list[int], min_slot: dict[int, int]):
        self.buses = buses
        self.min_slot = min_slot
        self.owner: dict[tuple[int, int, int], str] = {}
        self.reserved_slots: dict[tuple[int, int], str] = {}

    def slot_used(self, bus: int, slot: int) -> bool:
        if (bus, slot) in self.reserved_slots:
            return True
        return any((bus, slot, f) in self.owner for f in range(FUNCTIONS))

    def who(self, bus: int, slot: int, fn: int) -> str | None:
        return self.owner.get((bus, slot, fn)) or self.reserved_slots.get((bus, slot))

    def take(self, a: PciAddr, owner: str) -> None:
        self.owner[(a.bus, a.slot, a.function)] = owner

    def snapshot(self) -> dict[tuple[int, int, int], str]:
        """Who holds what, as plain values (for Env.trace)."""
        return {**{(b, s, 0): o for (b, s), o in self.reserved_slots.items()}, **self.owner}

    def next_free(self) -> PciAddr | None:
        for bus in self.buses:
            for slot in range(self.min_slot.get(bus, 1), SLOTS):
                if not self.slot_used(bus, slot):
                    return PciAddr(0, bus, slot, 0)
        return None


def _buses(dom: Domain) -> tuple[list[int], dict[int, int]]:
    buses, min_slot = [], {}
    for d in dom.devices:
        if isinstance(d, Controller) and d.type == "pci":
            buses.append(d.index)
            min_slot[d.index] = 1 if d.model in ("pci-root", "pci-bridge", "pcie-root") else 0
    return sorted(set(buses)), min_slot


def assign_pci_addresses(dom: Domain, env) -> Domain:
    family = dom.os.family
    if family is MachineFamily.Q35:
        return assign_pcie_addresses(dom, env)
    devices = list(dom.devices)
    chipset_slots = fixed_slots(devices, family)
    fixed_at = dict(chipset_slots)
    buses, min_slot = _buses(dom)
    slots = SlotMap(buses, min_slot)
    diag = env.diag

    def name(i: int) -> str:
        d = devices[i]
        line = f" (line {d.span.line})" if d.span.line else ""
        return f"{d.describe()}{line}"

    # the chipset's own slots
    slots.reserved_slots[(0, HOST_BRIDGE_SLOT)] = "the host bridge"
    slots.reserved_slots[(0, PIIX3_SLOT)] = "the PIIX3 chipset functions"

    # 1. user addresses
    wanted = []
    for i, d in enumerate(devices):
        kind = kind_of(d)
        needs = kind.wants_pci(d, dom)
        a = d.address
        if isinstance(a, PciAddr):
            if not needs:
                diag.error("address-type", f"{d.describe()} is not a PCI device and cannot have "
                           f"PCI address {a}", d.span)
                continue
            if a.domain != 0:
                diag.error("pci-address-range", f"{d.describe()}: PCI domain {a.domain} does not "
                           "exist; only domain 0 does", d.span)
                continue
            if a.bus not in buses:
                diag.error("pci-address-range", f"{d.describe()}: PCI bus {a.bus} does not exist "
                           f"(buses: {', '.join(map(str, buses)) or 'none'})", d.span)
                continue
            if a.slot < min_slot.get(a.bus, 1):
                diag.error("pci-address-reserved", f"{d.describe()}: slot {a.slot} of bus "
                           f"{a.bus} is not usable", d.span)
                continue
            fixed = fixed_at.get(i)
            at_fixed = fixed is not None and evolve(a, multifunction=None) == fixed.addrs[0]
            if fixed is not None and fixed.required and not at_fixed:
                diag.error("pci-address-reserved", f"{d.describe()} is built into the chipset "
                           f"and must have PCI address {fixed.addrs[0]}, not {a}", d.span)
                continue
            builtin_ok = at_fixed and fixed.chipset
            reserved = slots.reserved_slots.get((a.bus, a.slot))
            if reserved and not builtin_ok:
                diag.error("pci-address-reserved", f"{d.describe()} wants PCI address {a}, "
                           f"which is reserved for {reserved}", d.span)
                continue
            other = slots.owner.get((a.bus, a.slot, a.function))
            if other is not None:
                diag.error("pci-address-conflict", f"{d.describe()} and {other} both want PCI "
                           f"address {a}", d.span)
                continue
            slots.take(a, name(i))
        elif needs:
            wanted.append(i)

    # 2. the chipset's fixed slots; a device that lost its slot but must come first
    # (the primary video) then takes the first free one, before any other device
    rest = set(wanted)
    first = []

    def why(i: int, a: PciAddr, how: str) -> None:
        env.trace.note("pci", (a.bus, a.slot, a.function), "assign_pci_addresses", how=how,
                       device=name(i), taken=slots.snapshot())

    def put(i: int, a: PciAddr, how: str) -> None:
        if env.trace:
            why(i, a, how)
        devices[i] = evolve(devices[i], address=a)
        slots.take(a, name(i))
        rest.discard(i)

    for i, fixed in chipset_slots:
        if i not in rest:
            continue
        a = fixed.addrs[0] if fixed.chipset else \
            next((c for c in fixed.addrs if not slots.slot_used(c.bus, c.slot)), None)
        if a is not None:
            put(i, a, "chipset" if fixed.chipset else "fixed")
        elif fixed.first:
            first.append(i)
    for i in first:
        a = slots.next_free()
        if a is not None:
            put(i, a, "first")

    # 3. everything else, group by group
    rest = sorted(rest, key=lambda i: (slot_group(devices[i]), i))
    usb2_slots: dict[int, PciAddr] = {}
    for i in rest:
        d = devices[i]
        if isinstance(d, Controller) and d.type == "usb" and d.model in USB2_FUNCTIONS:
            base = usb2_slots.get(d.index)
            how = "usb2" if base is not None else "first-free"
            if base is None:
                base = slots.next_free()
                if base is None:
                    _exhausted(diag, d)
                    break
                usb2_slots[d.index] = base
            fn = USB2_FUNCTIONS[d.model]
            a = PciAddr(0, base.bus, base.slot, fn,
                        multifunction=True if d.model == "ich9-uhci1" else None)
            if slots.owner.get((a.bus, a.slot, a.function)):
                diag.error("pci-address-conflict", f"{d.describe()}: two USB2 controllers of "
                           f"index {d.index} want function {fn}", d.span)
                continue
        else:
            how = "first-free"
            a = slots.next_free()
            if a is None:
                _exhausted(diag, d)
                break
        if env.trace:
            why(i, a, how)
        devices[i] = evolve(d, address=a)
        slots.take(a, name(i))
    # bridges and ports get their chassis (and port) numbers, as on q35
    return dom.with_devices(controller_defaults(devices, diag))


def _exhausted(diag, d) -> None:
    diag.error("pci-slots-exhausted", f"no free PCI slot left for {d.describe()}: every slot "
               "of every PCI bus is taken (add a <controller type='pci' model='pci-bridge'/>)",
               d.span)


__all__ = ["assign_pci_addresses", "USB2_COMPANIONS"]

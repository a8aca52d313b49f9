"""reserve_hotplug_ports: room to hot-plug devices later, added *after* every device
has its address, so reserving it never moves one (``--hotplug N``).

A PCI Express device is hot-plugged into an empty pcie-root-port (or switch downstream
port); pcie-root itself takes none.  libvirt 9.0 leaves one empty root port on a q35
guest whose PCI controllers it added itself, and none when the XML names any; with
``--hotplug N`` domc adds root ports until N are empty, each in the first free
function of pcie-root.  On i440fx every free slot of pci-root (or of a pci-bridge)
takes a hot-plugged device; when fewer than N are free, domc adds pci-bridges.

``headroom`` counts what is free; ``domc lock`` records it and ``abi-diff`` shows it.
"""

from __future__ import annotations

from ..record import evolve

from ..devices.controller import Controller, insert_controller
from ..model import Domain, MachineFamily, PciAddr
from .pci_buses import BUS_MODELS, SLOTS, AddressSet, Bus, connect_flags
from .pcie import controller_defaults, set_multifunction

PORT_MODELS = ("pcie-root-port", "pcie-switch-downstream-port")
SLOT_MODELS = ("pci-root", "pci-bridge", "pcie-to-pci-bridge", "pci-expander-bus")
# pci-root's slots 0 (host bridge) and 1 (the PIIX3) never take a device
PCI_ROOT_RESERVED = (0, 1)


def headroom(dom: Domain) -> dict[str, int]:
    """Free hotplug places: empty hotpluggable PCI Express ports (``pcie_ports``) and
    free slots of hotpluggable conventional PCI buses (``pci_slots``)."""
    used: dict[int, set[int]] = {}
    for d in dom.devices:
        if isinstance(d.address, PciAddr):
            used.setdefault(d.address.bus, set()).add(d.address.slot)
    ports = slots = 0
    for c in dom.devices:
        if not (isinstance(c, Controller) and c.type == "pci") or c.hotplug is False:
            continue
        taken = used.get(c.index, set())
        if c.model in PORT_MODELS:
            ports += not taken
        elif c.model in SLOT_MODELS:
            lo, hi = BUS_MODELS[c.model][1], BUS_MODELS[c.model][2]
            reserved = PCI_ROOT_RESERVED if c.model == "pci-root" else ()
            slots += sum(1 for s in range(lo, hi + 1) if s not in taken and s not in reserved)
    return {"pcie_ports": ports, "pci_slots": slots}


def _next_index(devices: list) -> int:
    return 1 + max((d.index for d in devices if isinstance(d, Controller) and d.type == "pci"),
                   default=0)


def _pcie_address(devices: list, flags) -> PciAddr | None:
    """The first free place for a new controller, every current address taken."""
    ctrls = {d.index: d for d in devices if isinstance(d, Controller) and d.type == "pci"}
    buses = [Bus.of(ctrls[i].model if i in ctrls and ctrls[i].model in BUS_MODELS
                    else ("pcie-root" if i == 0 else "pcie-root-port"))
             for i in range(max(ctrls, default=0) + 1)]
    addrs = AddressSet(buses, dry_run=False)
    for d in devices:
        a = d.address
        if isinstance(a, PciAddr) and a.bus < len(buses):
            addrs.take(a, connect_flags(d), d.describe())
            if "address" in d.locked and a.function == 0 and not a.multifunction:
                buses[a.bus].aggregate[a.slot] = False
    for slot, fn in ((0x1F, 0), (0x1F, 3)):  # the ICH9's own functions
        addrs.take(PciAddr(0, 0, slot, fn), flags, "the ICH9 chipset functions")
    return addrs.next_addr(flags)


def _pci_root_slot(devices: list) -> PciAddr | None:
    used = {d.address.slot for d in devices
            if isinstance(d.address, PciAddr) and d.address.bus == 0}
    free = [s for s in range(SLOTS) if s not in used and s not in PCI_ROOT_RESERVED]
    return PciAddr(0, 0, free[0], 0) if free else None


def reserve_hotplug_ports(dom: Domain, env) -> Domain:
    want = env.hotplug
    if want <= 0 or not any(isinstance(d, Controller) and d.type == "pci" for d in dom.devices):
        return dom
    devices = list(dom.devices)
    q35 = dom.os.family is MachineFamily.Q35
    key = "pcie_ports" if q35 else "pci_slots"
    while headroom(evolve(dom, devices=tuple(devices)))[key] < want:
        index = _next_index(devices)
        model = "pcie-root-port" if q35 else "pci-bridge"
        new = Controller(type="pci", index=index, model=model, span=dom.span)
        a = _pcie_address(devices, connect_flags(new)) if q35 else _pci_root_slot(devices)
        if a is None:
            env.diag.error("pci-slots-exhausted", f"--hotplug {want}: no free PCI slot is left "
                           f"for another {model}", dom.os.span)
            return dom
        insert_controller(devices, evolve(new, address=a))
    devices = controller_defaults(set_multifunction(devices), env.diag)
    return dom.with_devices(devices)


__all__ = ["headroom", "reserve_hotplug_ports"]

"""assign_pcie_addresses: PCI addresses on a machine with a pcie-root (q35), libvirt's way.

libvirt 9.0 (qemuDomainAssignPCIAddresses with virDomainPCIAddressSet) works in two
passes over a set of buses, each bus a PCI controller with a *connect-flags* mask that
says what may plug into it:

1. a dry run: reserve the user's addresses and the chipset's slots, then find a slot
   for every device in libvirt's order; when no bus accepts a device, *grow* the set:
   a PCI Express endpoint gets a new pcie-root-port, a conventional PCI device gets a
   pcie-root-port + pcie-to-pci-bridge (or a pci-bridge when something already
   accepts bridges).  When buses were added and the user wrote no PCI controller of
   their own, one more empty pcie-root-port is added for hotplug.  Every added
   controller then needs a slot itself (root ports share slots, functions 0..7).
   A primary video that lost slot 1 is placed first, and -- the dry run writes no
   addresses back -- once more in its usual turn, so it may cost an extra root port;
2. the real run over all buses: same order, first compatible free slot, no growth.

Rules that decide the layout:
- pcie-root (bus 0) does not auto-assign endpoints: only root ports, the
  dmi-to-pci-bridge and the chipset's fixed functions land there by themselves;
- the ICH9 owns 00:1f (LPC 1f.0, SMBus 1f.3; the kinds' ``fixed_slot`` hooks add
  SATA 1f.2); the first ich9-uhci1 goes to 00:1d (else 00:1a), a dmi-to-pci-bridge
  to 00:1e, the primary video to 00:01.0, an ich9 sound card to 00:1b, each only
  when that slot is still free;
- a root port is a one-slot bus; a pcie-to-pci-bridge / pci-bridge offers slots 1..31,
  a dmi-to-pci-bridge slots 0..31 (bridges only, no endpoints by themselves);
- afterwards: multifunction=on on function 0 of every shared slot (unless the user
  said off), pcie-root-port chassis=index, port=(slot << 3) + function,
  pci-bridge chassis_nr=index.

The bus model and the slot allocator live in pci_buses.py; this module holds the
pass: libvirt's order, the ICH9 chipset's slots and the two runs.
"""

from __future__ import annotations

from ..record import evolve

from ..devices import kind_of
from ..devices.controller import USB2_FUNCTIONS, Controller, insert_controller
from ..diagnostics import NOWHERE
from ..model import Domain, MachineFamily, PciAddr
from .pci_buses import BUS_MODELS, PCIE, AddressSet, Bus, Conn, connect_flags, fixed_slots, \
    slot_group

# the ICH9 functions no device of the domain stands for
ICH9_LPC, ICH9_SMBUS = (0x1F, 0), (0x1F, 3)


def _name(d) -> str:
    line = f" (line {d.span.line})" if d.span.line else ""
    return f"{d.describe()}{line}"


def _buses_of(devices: list) -> tuple[list[Bus], int]:
    """One Bus per PCI controller index; gaps become pcie-root-ports (libvirt's default
    model for a bus with no controller when the root is pcie-root)."""
    ctrls = {d.index: d for d in devices if isinstance(d, Controller) and d.type == "pci"}
    max_idx = max(ctrls, default=-1)
    buses = []
    for i in range(max_idx + 1):
        c = ctrls.get(i)
        model = c.model if c is not None and c.model in BUS_MODELS else \
            ("pcie-root" if i == 0 else "pcie-root-port")
        buses.append(Bus.of(model, hotplug=not (c is not None and c.hotplug is False)))
    return buses, max_idx


def _wants(d, dom) -> bool:
    return kind_of(d).wants_pci(d, dom)


class _Run:
    """One pass of libvirt's assignment over ``devices`` (a list it may update)."""

    def __init__(self, dom: Domain, devices: list, buses: list[Bus], dry_run: bool, diag,
                 trace=None):
        self.dom, self.devices, self.diag = dom, devices, diag
        self.addrs = AddressSet(buses, dry_run)
        self.placed: dict[int, PciAddr] = {}
        self.trace = trace  # Env.trace: None unless `domc explain` asks why
        self.known = len(buses)  # buses that were there before the dry run grew any

    def why(self, a: PciAddr, how: str, device: str, flags: Conn) -> None:
        """Env.trace: the real run chose ``a``; the dry run grew buses (key: bus index)."""
        if self.addrs.dry_run:
            for n in range(self.known, len(self.addrs.buses)):
                self.trace.note("pci-grow", n, "assign_pcie_addresses", device=device,
                                model=self.addrs.buses[n].model)
            self.known = len(self.addrs.buses)
            return
        self.trace.note("pci", (a.bus, a.slot, a.function), "assign_pcie_addresses", how=how,
                        device=device, flags=int(flags), taken=dict(self.addrs.owner),
                        buses=[(b.model, int(b.flags)) for b in self.addrs.buses])

    def reserve_user(self, report: bool) -> None:
        """qemuDomainCollectPCIAddress: every address the XML (or the chipset step of
        the dry run) already holds."""
        for i, d in enumerate(self.devices):
            a = d.address
            if not isinstance(a, PciAddr):
                continue
            if not _wants(d, self.dom):
                if report:
                    self.diag.error("address-type", f"{d.describe()} is not a PCI device and "
                                    f"cannot have PCI address {a}", d.span)
                continue
            flags = connect_flags(d)
            why = self.addrs.check(a, flags, from_config=True)
            if why is not None:
                if report:
                    code = "pci-address-range" if "does not exist" in why else "pci-bus-mismatch"
                    self.diag.error(code, f"{d.describe()} at PCI address {a}: {why}", d.span)
                continue
            other = self.addrs.who(a)
            if other is not None:
                if report:
                    self.diag.error("pci-address-conflict", f"{d.describe()} and {other} both "
                                    f"want PCI address {a}", d.span)
                continue
            self.addrs.take(a, flags, _name(d))
            if "address" in d.locked and a.function == 0 and not a.multifunction:
                # a locked single-function slot stays one: no new function joins it
                self.addrs.buses[a.bus].aggregate[a.slot] = False

    def fix(self, i: int, a: PciAddr, how: str) -> None:
        d = self.devices[i]
        if self.trace:  # the dry run writes these addresses; the real run keeps them
            self.trace.note("pci", (a.bus, a.slot, a.function), "assign_pcie_addresses",
                            how=how, device=_name(d))
        self.devices[i] = evolve(d, address=a)
        self.addrs.take(a, connect_flags(d), _name(d))

    def chipset(self) -> list[int]:
        """qemuDomainValidateDevicePCISlotsQ35: the kinds' fixed slots, then the ICH9's
        own functions.  Returns the devices that lost their slot but must be placed
        before everything else (the primary video)."""
        diag, addrs = self.diag, self.addrs
        first = []
        for i, fixed in fixed_slots(self.devices, MachineFamily.Q35):
            d = self.devices[i]
            if isinstance(d.address, PciAddr):
                want = fixed.addrs[0]
                if fixed.required and evolve(d.address, multifunction=None) != want:
                    diag.error("pci-address-reserved", f"{d.describe()} is built into the "
                               f"ICH9 chipset and must have PCI address {want}, not "
                               f"{d.address}", d.span)
                continue
            if d.address is not None or not _wants(d, self.dom):
                continue
            a = fixed.addrs[0] if fixed.chipset else \
                next((c for c in fixed.addrs if not addrs.slot_in_use(c.bus, c.slot)), None)
            if a is not None:
                self.fix(i, a, "chipset" if fixed.chipset else "fixed")
            elif fixed.first:
                first.append(i)
        for slot, fn in (ICH9_LPC, ICH9_SMBUS):
            a = PciAddr(0, 0, slot, fn)
            other = addrs.who(a)
            if other is not None:
                diag.error("pci-address-reserved", f"{other} wants PCI address {a}, which is "
                           "reserved for the ICH9 chipset functions", _span_at(self.devices, a))
            else:
                addrs.take(a, PCIE, "the ICH9 chipset functions")
        return first

    def place(self, i: int, function: int = -1, flags: Conn | None = None,
              how: str = "first-free") -> bool:
        d = self.devices[i]
        flags = connect_flags(d) if flags is None else flags
        a = self.addrs.next_addr(flags, function)
        if a is None:
            return False
        if self.trace:
            self.why(a, how, _name(d), flags)
        self.addrs.take(a, flags, _name(d))
        self.placed[i] = a
        if not self.addrs.dry_run:
            self.devices[i] = evolve(d, address=a)
        return True

    def assign_all(self, first: list[int]) -> int | None:
        """qemuDomainAssignDevicePCISlots.  Returns the index of a device that found no
        slot (only possible outside the dry run), else None."""
        for i in first:
            if not self.place(i, how="first"):
                return i
        # the dry run does not write addresses back, so libvirt meets the late primary
        # video again in its place in the order and gives it a second slot (on q35 often
        # a pcie-root-port of its own); the real run keeps the address it wrote
        again = self.addrs.dry_run
        order = [i for i, d in enumerate(self.devices)
                 if d.address is None and (i not in first or again) and _wants(d, self.dom)]
        order.sort(key=lambda i: (slot_group(self.devices[i]), i))
        for i in order:
            d = self.devices[i]
            if isinstance(d, Controller) and d.type == "usb" and d.model in USB2_FUNCTIONS:
                fn = USB2_FUNCTIONS[d.model]
                # a companion joins the slot of an already addressed part of its set
                base = next((e.address for e in self.devices
                             if isinstance(e, Controller) and e.type == "usb"
                             and e.model in USB2_FUNCTIONS and e.index == d.index
                             and isinstance(e.address, PciAddr)), None)
                if base is not None:
                    a = PciAddr(0, base.bus, base.slot, fn,
                                multifunction=True if fn == 0 else None)
                    if self.addrs.who(a):
                        self.diag.error("pci-address-conflict", f"{d.describe()}: PCI address "
                                        f"{a} is already taken by {self.addrs.who(a)}", d.span)
                        continue
                    if self.trace:
                        self.why(a, "usb2", _name(d), connect_flags(d))
                    self.addrs.take(a, connect_flags(d), _name(d))
                    self.placed[i] = a
                    if not self.addrs.dry_run:
                        self.devices[i] = evolve(d, address=a)
                    continue
                if not self.place(i, function=fn):
                    return i
                if fn == 0 and not self.addrs.dry_run:
                    self.devices[i] = evolve(self.devices[i], address=evolve(
                        self.devices[i].address, multifunction=True))
                continue
            if not self.place(i):
                return i
        return None


def _span_at(devices: list, a: PciAddr):
    for d in devices:
        if isinstance(d.address, PciAddr) and (d.address.bus, d.address.slot,
                                                d.address.function) == (a.bus, a.slot, a.function):
            return d.span
    return NOWHERE


def assign_pcie_addresses(dom: Domain, env) -> Domain:
    diag = env.diag
    devices = list(dom.devices)
    buses, max_idx = _buses_of(devices)
    if not buses:
        return dom
    errors_before = len(diag.errors)

    # 1. the dry run: how many buses, of which models
    dry = _Run(dom, devices, buses, dry_run=True, diag=diag, trace=env.trace)
    dry.reserve_user(report=True)
    first = dry.chipset()
    if len(diag.errors) > errors_before:
        return dom
    failed = dry.assign_all(first)
    if failed is not None:
        _exhausted(diag, devices[failed])
        return dom
    grown = dry.addrs.buses
    if max_idx <= 0 and len(grown) > max_idx + 1:
        a = dry.addrs.next_addr(PCIE)  # one empty root port, kept free for hotplug
        if a is not None and env.trace:
            dry.why(a, "grow", "hotplug reserve", PCIE)
        if a is not None:
            dry.addrs.take(a, PCIE, "hotplug reserve")
    for n in range(max(max_idx + 1, 1), len(grown)):
        new = Controller(type="pci", index=n, model=grown[n].model, span=dom.span)
        insert_controller(devices, new)
        flags = connect_flags(new)
        a = dry.addrs.next_addr(flags)
        if a is None:
            diag.error("pci-slots-exhausted", f"a {new.model} is needed for more PCI slots, "
                       "but no free slot is left to plug it into", dom.os.span)
            return dom
        dry.addrs.take(a, flags, new.describe())

    # 2. the real run over every bus
    buses, _ = _buses_of(devices)
    run = _Run(dom, devices, buses, dry_run=False, diag=diag, trace=env.trace)
    run.reserve_user(report=False)
    first = run.chipset()
    failed = run.assign_all(first)
    if failed is not None:
        _exhausted(diag, devices[failed])
        return dom
    devices = set_multifunction(devices)
    devices = controller_defaults(devices, diag)
    return dom.with_devices(devices)


def _exhausted(diag, d) -> None:
    diag.error("pci-slots-exhausted", f"no free PCI slot left for {d.describe()}: every slot "
               "that accepts it is taken (add a <controller type='pci' model='pcie-root-port'/>)",
               d.span)


def set_multifunction(devices: list) -> list:
    """virDomainPCIAddressSetAllMulti: function 0 of a shared slot gets multifunction=on
    unless the user wrote off (a locked address is kept as it is)."""
    shared = {(d.address.bus, d.address.slot) for d in devices
              if isinstance(d.address, PciAddr) and d.address.function != 0}
    out = []
    for d in devices:
        a = d.address
        if isinstance(a, PciAddr) and a.function == 0 and (a.bus, a.slot) in shared \
                and a.multifunction is None and "address" not in d.locked:
            d = evolve(d, address=evolve(a, multifunction=True))
        out.append(d)
    return out


def controller_defaults(devices: list, diag) -> list:
    """Bridges get chassis_nr=index, ports chassis=index and port=(slot << 3) + function."""
    out = []
    for d in devices:
        if isinstance(d, Controller) and d.type == "pci" and isinstance(d.address, PciAddr):
            a = d.address
            if d.model == "pci-bridge":
                if d.chassis is None:
                    d = evolve(d, chassis=d.index)
                if d.index <= a.bus:
                    diag.error("pci-bridge-index", f"{d.describe()} sits on PCI bus {a.bus}; "
                               "a pci-bridge's index must be larger than its bus", d.span)
            elif d.model == "pcie-root-port":
                d = evolve(d, chassis=d.index if d.chassis is None else d.chassis,
                           port=(a.slot << 3) + a.function if d.port is None else d.port)
            elif d.model == "pcie-switch-downstream-port":
                d = evolve(d, chassis=d.index if d.chassis is None else d.chassis,
                           port=a.slot if d.port is None else d.port)
        out.append(d)
    return out


__all__ = ["assign_pcie_addresses", "controller_defaults", "set_multifunction"]

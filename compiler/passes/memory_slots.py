"""assign_memory_slots: the memory slot of every dimm and nvdimm (qemuDomainAssignMemorySlots).

A slot the user wrote (<address type='dimm' slot='N'/>) is kept; the devices without
one take the free slots of <maxMemory slots=...> in device order.  The slot is
stored on the device (``MemoryDevice.slot``) for the alias (dimmN) and the argv
(slot=N); the normalized XML does not show it.
"""

from __future__ import annotations

from ..record import evolve

from ..devices.memory import MemoryDevice, takes_slot
from ..model import Domain, OtherAddr


BAD = object()  # a slot that is not a number (reported; the device takes no slot)


def _user_slot(m: MemoryDevice, diag) -> int | object | None:
    """The slot the user wrote, None if there is none, BAD if it is not a number."""
    a = m.address
    if not (isinstance(a, OtherAddr) and a.type == "dimm" and a.get("slot") is not None):
        return None
    try:
        return int(a.get("slot"), 0)
    except ValueError:
        diag.error("bad-number", f"DIMM slot {a.get('slot')!r} is not a number", m.span)
        return BAD


def assign_memory_slots(dom: Domain, env) -> Domain:
    slots = dom.memory.slots or 0
    if not slots or dom.memory.max_memory_kib is None:
        return dom  # validate_domain refused every memory device already
    wanted = [i for i, d in enumerate(dom.devices)
              if isinstance(d, MemoryDevice) and takes_slot(d)]
    # a slot the user wrote, else one a lockfile pinned (passes/lock.py)
    given = {i: _user_slot(dom.devices[i], env.diag) for i in wanted}
    given = {i: dom.devices[i].slot if s is None and "slot" in dom.devices[i].locked else s
             for i, s in given.items()}
    taken = set(given.values())
    free = iter([s for s in range(slots) if s not in taken])
    devices = list(dom.devices)
    for i in wanted:
        m, slot = devices[i], given[i]
        if slot is None:
            slot = next(free, None)
            if slot is None:
                env.diag.error("memory-slots", f"{m.describe()}: no free memory slot left "
                               f"(maxMemory has {slots})", m.span)
                continue
        if slot is not BAD:
            devices[i] = evolve(m, slot=slot)
    return dom.with_devices(devices)

"""apply_lock and lock_implicit_devices: a lockfile's addresses, ids, MACs and models
become values the user wrote, before any address is assigned.

Every device gets its identity (``Device.lock_key``, devices/identity.py) from the XML
as written -- whether or not a lock is given, so ``domc lock`` files devices under
the keys a later compile finds them by.  Only a compile that just emits, without a
lock (``Env.lock_keys`` off: api.compile_file), skips the keys: nothing reads them.

With a lock (``env.lock``):

- a device the lock knows gets the locked address, id and kind fields (a NIC's MAC,
  a controller's model ...) that the XML leaves open, and they are marked
  ``Device.locked``; the address passes then reserve them first, exactly as they
  reserve addresses the user wrote, so a device the lock does not know gets a free
  slot, port or unit and moves nobody;
- a device whose written kind fields differ from the locked ones (another disk bus,
  another NIC model, another MAC) is a different device: the lock pins nothing of it;
- the controllers and hubs the passes added when the lock was written (root ports,
  bridges, a USB hub ...) are put back first, with their locked index and address:
  they are the buses and ports the locked addresses name.  They stay, even empty,
  while the lock names them (``domc lock`` again drops what nothing needs).

``apply_lock`` runs before drive addresses and implicit devices are assigned;
``lock_implicit_devices`` after the kinds' implicit devices were added, for those.
What the lock pins but the compile still changes (a machine type, a CPU feature, an
address the user rewrote) is not an error here: ``compile --lock`` compares the
result with the lock and exits 1 with the differences (compiler/emit/abidiff.py).
"""

from __future__ import annotations

from types import SimpleNamespace

from ..record import evolve

from ..devices import BY_TAG, kind_of
from ..devices.identity import IMPLICIT, USER_ALIAS_PREFIX, device_keys
from ..model import Domain, MachineFamily, OtherAddr, PciAddr


def _fits(addr, d, dom: Domain) -> bool:
    """Whether the locked address is of a type this device can still have."""
    kind = kind_of(d)
    if isinstance(addr, PciAddr):
        return kind.wants_pci(d, dom)
    if isinstance(addr, OtherAddr) and addr.type == "usb":
        return kind.wants_usb(d, dom)
    return True


def _fields(d) -> tuple[str, ...]:
    return ("model",) + kind_of(d).lock_fields


def _apply(d, locked, dom: Domain):
    """``d`` with the lock's values where the XML leaves them open."""
    if locked.kind != d.kind_tag:
        return d
    for f in _fields(d):
        have = getattr(d, f, None)
        if have is not None and f in locked.fields and locked.fields[f] != have:
            return d  # another device under the same name: nothing of it is pinned
    changes, pinned = {}, set(d.locked)
    if d.address is None and locked.address is not None and _fits(locked.address, d, dom):
        changes["address"] = locked.address
        pinned.add("address")
    if locked.alias and not (d.alias or "").startswith(USER_ALIAS_PREFIX):
        changes["alias"] = locked.alias
        pinned.add("alias")
    for f in _fields(d):
        if hasattr(d, f) and getattr(d, f) is None and locked.fields.get(f) is not None:
            changes[f] = locked.fields[f]
            pinned.add(f)
    if not changes:
        return d
    return evolve(d, **changes, locked=frozenset(pinned))


def _keyed(devices) -> list:
    keys = device_keys(devices)
    return [d if d.lock_key == k else evolve(d, lock_key=k) for d, k in zip(devices, keys)]


def _lock_applies(dom: Domain, lock) -> bool:
    """A lock made for another chipset says nothing about this one's buses."""
    return lock is not None and (lock.machine is None
                                 or MachineFamily.of(lock.machine) is dom.os.family)


def _restore(devices: list, lock, dom: Domain) -> list:
    """Put back the locked controllers and hubs the passes added and the domain lacks."""
    have = {d.lock_key for d in devices}
    for key, locked in lock.devices.items():
        kind = BY_TAG.get(locked.kind)
        if not locked.implicit or key in have or kind is None or kind.from_lock is None:
            continue
        new = evolve(kind.from_lock(locked, dom.span), lock_key=key)
        last = max((i for i, d in enumerate(devices) if d.kind_tag == locked.kind), default=None)
        devices.insert(len(devices) if last is None else last + 1, new)
    return devices


def _entry_names(lock) -> dict[str, str]:
    """Another name of each locked device: the one its kind gives it from the values the
    lock recorded (a NIC's MAC): the key a device gets once those values are written
    into the XML (``domc normalize`` writes the MAC it derived)."""
    out = {}
    for key, e in lock.devices.items():
        kind = BY_TAG.get(e.kind)
        if kind is None:
            continue
        view = SimpleNamespace(**e.fields, address=e.address, alias=e.alias, kind_tag=e.kind)
        try:
            own = kind.lock_key(view)
        except (AttributeError, TypeError):
            continue  # the kind names its devices by something the lock does not record
        if own is not None:
            out.setdefault(e.kind if own == "" else f"{e.kind}:{own}", key)
    return out


def _compatible(d, locked, dom: Domain) -> bool:
    """Whether a lock entry filed under another name can be this device: nothing it
    recorded contradicts what the XML says, and its address is one the device takes."""
    for f in _fields(d):
        have = getattr(d, f, None)
        if have is not None and f in locked.fields and locked.fields[f] != have:
            return False
    return locked.address is None or _fits(locked.address, d, dom)


def _matched(devices: list, lock, dom: Domain) -> list:
    """Point every device at its lock entry: the one under its own key; else the entry
    of the same device under another name -- its recorded MAC now written in the XML,
    or the same position, once added by the compile and now written out (or back)."""
    def fits(key, d):
        e = lock.devices.get(key)
        return e is not None and e.kind == d.kind_tag

    claimed = {d.lock_key for d in devices if fits(d.lock_key, d)}
    names = _entry_names(lock)
    out = []
    for d in devices:
        key = d.lock_key
        if not fits(key, d):
            twin = key[len(IMPLICIT):] if key.startswith(IMPLICIT) else IMPLICIT + key
            for other in (names.get(key), twin):
                if other is not None and other not in claimed and fits(other, d) \
                        and _compatible(d, lock.devices[other], dom):
                    claimed.add(other)
                    d = evolve(d, lock_key=other)
                    break
        out.append(d)
    return out


def _unkeyed(env) -> bool:
    """No lock, and no one to read the keys (``Env.lock_keys``): nothing to do here."""
    return env.lock is None and not env.lock_keys


def apply_lock(dom: Domain, env) -> Domain:
    """Key the devices the XML wrote; with a lock, give them its values and put back
    the locked implicit devices the domain lacks."""
    return _lock_pass(dom, env, restore=True)


def lock_implicit_devices(dom: Domain, env) -> Domain:
    """Key the devices the passes added; with a lock, give them its values too."""
    return _lock_pass(dom, env, restore=False)


def _lock_pass(dom: Domain, env, restore: bool) -> Domain:
    if _unkeyed(env):
        return dom
    devices = _keyed(dom.devices)
    lock = env.lock
    if _lock_applies(dom, lock):
        devices = _matched(devices, lock, dom)
        if restore:
            devices = _restore(devices, lock, dom)
        # a device an earlier pass locked keeps what it got (only this module locks)
        devices = [_apply(d, lock.devices[d.lock_key], dom)
                   if d.lock_key in lock.devices and not d.locked else d for d in devices]
    return dom.with_devices(devices)


__all__ = ["apply_lock", "lock_implicit_devices"]

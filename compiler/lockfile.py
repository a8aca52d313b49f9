"""The lockfile: every guest-visible fact one compile decided, as reviewable JSON.

``domc lock`` writes it (compiler/emit/facts.py builds the facts); ``--lock FILE``
reads it back here.  A compile with a lock treats the locked addresses, ids, MACs
and models of the devices it still has like values the user wrote
(passes/lock.py), so a device added later gets a free slot and moves nobody; what
the lock pins but the compile would still change is reported by ``abi-diff``
(compiler/emit/abidiff.py).

Addresses are written as the attributes of libvirt's ``<address>`` element::

    {"type": "pci", "domain": "0x0000", "bus": "0x01", "slot": "0x00", "function": "0x0"}
"""

from __future__ import annotations

from attrs import frozen

from .diagnostics import Span, fail
from .inputs import read_json_file
from .model import Address, DriveAddr, OtherAddr, PciAddr

LOCK_FORMAT = 1


def address_attrs(addr: Address | None) -> dict | None:
    """An address as the attributes of its XML element (strings, XML order)."""
    if isinstance(addr, PciAddr):
        out = {"type": "pci", "domain": f"0x{addr.domain:04x}", "bus": f"0x{addr.bus:02x}",
               "slot": f"0x{addr.slot:02x}", "function": f"0x{addr.function:x}"}
        if addr.multifunction is not None:
            out["multifunction"] = "on" if addr.multifunction else "off"
        return out
    if isinstance(addr, DriveAddr):
        return {"type": "drive", "controller": str(addr.controller), "bus": str(addr.bus),
                "target": str(addr.target), "unit": str(addr.unit)}
    if isinstance(addr, OtherAddr):
        return {"type": addr.type, **dict(addr.attrs)}
    return None


def address_from_attrs(attrs: dict) -> Address:
    """The inverse of address_attrs.  Raises ValueError / KeyError on a bad entry."""
    t = attrs["type"]
    if t == "pci":
        mf = attrs.get("multifunction")
        return PciAddr(int(attrs.get("domain", "0"), 0), int(attrs["bus"], 0),
                       int(attrs["slot"], 0), int(attrs.get("function", "0"), 0),
                       None if mf is None else mf == "on")
    if t == "drive":
        return DriveAddr(*(int(attrs.get(k, "0"), 0) for k in ("controller", "bus", "target",
                                                                 "unit")))
    return OtherAddr(t, tuple((k, str(v)) for k, v in attrs.items() if k != "type"))


def address_text(attrs: dict | None) -> str:
    """Short form for people: ``pci 0000:01:00.0``, ``drive 0:0:0:1``, ``usb 0/1.2``."""
    if not attrs:
        return "no address"
    t = attrs["type"]
    if t in ("pci", "drive"):
        a = address_from_attrs(attrs)
        extra = "" if attrs.get("multifunction") != "on" else " multifunction"
        return f"{t} {a}{extra}"
    rest = " ".join(f"{k}={v}" for k, v in attrs.items() if k != "type")
    return f"{t} {rest}".strip()


@frozen
class LockedDevice:
    """One device of a lockfile: its key, kind, address, id and the kind's own locked
    fields (``fields``: the MAC, the model, the memory slot ...)."""

    key: str
    kind: str
    implicit: bool
    address: Address | None
    alias: str | None
    fields: dict
    facts: dict  # the entry as written, for diffs


@frozen
class Lock:
    path: str
    facts: dict
    devices: dict  # key -> LockedDevice

    @property
    def machine(self) -> str | None:
        return self.facts.get("machine")


def lock_from_facts(facts: dict, path: str = "<lock>") -> Lock:
    """A Lock from a facts document (a lockfile's JSON).  Raises DomcError
    ``lock-schema`` when the document is not one domc wrote."""
    span = Span(path)
    if not isinstance(facts, dict) or facts.get("domc-lock") != LOCK_FORMAT:
        raise fail("lock-schema", f"not a domc lockfile (format {LOCK_FORMAT}): no "
                   f"\"domc-lock\": {LOCK_FORMAT}", span)
    devices = {}
    entries = facts.get("devices", {})
    if not isinstance(entries, dict):
        raise fail("lock-schema", "\"devices\" must be an object of key -> device", span)
    for key, e in entries.items():
        try:
            addr = e.get("address")
            devices[key] = LockedDevice(
                key=key, kind=str(e["kind"]), implicit=bool(e.get("implicit", False)),
                address=address_from_attrs(addr) if addr is not None else None,
                alias=e.get("alias"),
                fields={k: v for k, v in e.items()
                        if k not in ("kind", "implicit", "address", "alias")},
                facts=e)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise fail("lock-schema", f"device {key!r}: bad entry "
                       f"({type(exc).__name__}: {exc})", span) from None
    return Lock(path, facts, devices)


def load_lock(path: str) -> Lock:
    return lock_from_facts(read_json_file(path), path)


__all__ = ["LOCK_FORMAT", "Lock", "LockedDevice", "address_attrs", "address_from_attrs",
           "address_text", "load_lock", "lock_from_facts"]

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

import re

from .record import frozen

from .diagnostics import Span, fail
from .inputs import read_json_file
from .model import Address, DriveAddr, OtherAddr, PciAddr

LOCK_FORMAT = 1

# What a lockfile may say, checked when it is read: it is input like the XML (a
# hand-edited lock must not put a comma into a QEMU id or a bus 70000 into the argv).
_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # ids domc writes: pci.1, virtio-disk0, ua-x
_WORD_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_USB_PORT_RE = re.compile(r"^[1-9][0-9]{0,2}(\.[1-9][0-9]{0,2}){0,4}$")
_NUMBER_FIELDS = {"index": 255, "chassis": 255, "port": 0xFFFF, "slot": 0xFFFF,
                  "size_kib": 2**44}
_WORD_FIELDS = ("model", "type", "target_bus", "device")


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


def _number(attrs: dict, key: str, hi: int, default: str | None = None) -> int:
    v = attrs.get(key, default)
    if not isinstance(v, str):
        raise ValueError(f"address {key} must be a string number, not {v!r}")
    n = int(v, 0)
    if not 0 <= n <= hi:
        raise ValueError(f"address {key} {v} is out of range 0..{hi}")
    return n


def address_from_attrs(attrs: dict) -> Address:
    """The inverse of address_attrs.  Raises ValueError / KeyError / TypeError on an
    entry domc would not have written."""
    t = attrs["type"]
    if t == "pci":
        mf = attrs.get("multifunction")
        if mf not in (None, "on", "off"):
            raise ValueError(f"multifunction must be on or off, not {mf!r}")
        return PciAddr(_number(attrs, "domain", 0, "0"), _number(attrs, "bus", 0xFF),
                       _number(attrs, "slot", 0x1F), _number(attrs, "function", 7, "0"),
                       None if mf is None else mf == "on")
    if t == "drive":
        return DriveAddr(*(_number(attrs, k, 2**31 - 1, "0")
                           for k in ("controller", "bus", "target", "unit")))
    if not isinstance(t, str) or not _WORD_RE.match(t):
        raise ValueError(f"bad address type {t!r}")
    out = []
    for k, v in attrs.items():
        if k == "type":
            continue
        if not isinstance(k, str) or not re.match(r"^[a-z]{1,16}$", k) or not isinstance(v, str):
            raise ValueError(f"bad address attribute {k!r}={v!r}")
        if t == "usb" and k == "port":
            if not _USB_PORT_RE.match(v):
                raise ValueError(f"bad USB port {v!r}")
        else:
            _number(attrs, k, 2**64 - 1)  # a DIMM's base may be above 4 GiB
        out.append((k, v))
    return OtherAddr(t, tuple(out))


def _field(key: str, value):
    """A device's locked field as domc writes it, or ValueError."""
    if key == "mac":
        ok = isinstance(value, str) and _MAC_RE.match(value)
    elif key in _NUMBER_FIELDS:
        ok = isinstance(value, int) and not isinstance(value, bool) \
            and 0 <= value <= _NUMBER_FIELDS[key]
    elif key in _WORD_FIELDS:
        ok = isinstance(value, str) and _WORD_RE.match(value)
    else:
        ok = isinstance(value, (str, int, bool)) and len(str(value)) <= 256
    if not ok:
        raise ValueError(f"bad {key} {value!r}")
    return value


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
    machine = facts.get("machine")
    if machine is not None and not (isinstance(machine, str) and _WORD_RE.match(machine)):
        raise fail("lock-schema", f"\"machine\" must be a machine type name, not {machine!r}",
                   span)
    devices = {}
    entries = facts.get("devices", {})
    if not isinstance(entries, dict):
        raise fail("lock-schema", "\"devices\" must be an object of key -> device", span)
    for key, e in entries.items():
        try:
            addr = e.get("address")
            alias = e.get("alias")
            if alias is not None and not (isinstance(alias, str) and _ID_RE.match(alias)):
                raise ValueError(f"bad id {alias!r}")
            if not isinstance(e["kind"], str):
                raise TypeError("kind must be a string")
            devices[key] = LockedDevice(
                key=key, kind=e["kind"], implicit=e.get("implicit", False) is True,
                address=address_from_attrs(addr) if addr is not None else None,
                alias=alias,
                fields={k: _field(k, v) for k, v in e.items()
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

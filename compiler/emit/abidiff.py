"""What the guest would see change between two sets of facts (compiler/emit/facts.py):
the machine version, each device added, removed, moved or changed (paired by key,
devices/identity.py), CPU features gained and lost, topology, memory, firmware,
SMBIOS identity, <features> and the clock.  Where it can, a change says why: a
moved device's old address is now another device's, a floating machine type
resolves differently on another QEMU, a QEMU lacks a CPU property.

``abi_diff`` gives the changes; ``lock_changes`` the ones a lockfile forbids (all
but added devices); ``render_text`` / ``render_json`` print them.
"""

from __future__ import annotations

import json

from ..record import asdict, field, frozen

from ..devices.identity import key_order
from ..lockfile import address_text
from .facts import NOT_COMPARED

SECTIONS = ("machine", "cpu", "topology", "memory", "firmware", "smbios", "features")


@frozen
class Change:
    """One thing the guest sees change.  ``section``: a fact section or ``device``;
    ``subject``: the device key or the fact; ``change``: changed, added, removed or
    moved; ``details``: what exactly, one phrase each."""

    section: str
    subject: str
    change: str
    details: tuple[str, ...] = ()
    why: str | None = None
    old: object = field(default=None)
    new: object = field(default=None)

    def text(self) -> str:
        if self.section != "device":
            out = f"{self.subject}: " + "; ".join(self.details or (self.change,))
        else:
            out = f"device {self.subject}: {self.change}"
            if self.details:
                sep = " " if self.change in ("added", "removed") else ": "
                out += sep + "; ".join(self.details)
        if self.why:
            out += f" ({self.why})"
        return out


def _flat(value, prefix: str = "") -> dict[str, object]:
    """Nested objects -> {'a.b': leaf}."""
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def _show(v) -> str:
    return "(none)" if v is None else json.dumps(v) if not isinstance(v, str) else v


def _name(key: str, entry: dict) -> str:
    return f"{key} ({entry['alias']})" if entry.get("alias") else key


def _section_changes(name: str, a, b, about_a: dict, about_b: dict) -> list[Change]:
    if a == b:
        return []
    if name == "machine":
        why = None
        wa, wb = about_a.get("machine_written"), about_b.get("machine_written")
        if wa == wb and about_a.get("qemu") != about_b.get("qemu"):
            written = f"'{wa}'" if wa else "no machine type"
            why = (f"{written} means {a} on QEMU {about_a.get('qemu')} and {b} on QEMU "
                   f"{about_b.get('qemu')}")
        return [Change("machine", "machine", "changed", (f"{_show(a)} -> {_show(b)}",), why, a, b)]
    if name == "cpu":
        return [_cpu_change(a or {}, b or {}, about_a, about_b)]
    fa, fb = _flat(a or {}), _flat(b or {})
    details = []
    for k in sorted(set(fa) | set(fb)):
        if fa.get(k) != fb.get(k):
            details.append(f"{k} {_show(fa.get(k))} -> {_show(fb.get(k))}")
    return [Change(name, name, "changed", tuple(details), None, a, b)]


def _cpu_change(a: dict, b: dict, about_a: dict, about_b: dict) -> Change:
    details = []
    if a.get("model") != b.get("model"):
        details.append(f"model {_show(a.get('model'))} -> {_show(b.get('model'))}")
    if a.get("model_features") != b.get("model_features"):
        details.append(f"model features: {a.get('model_features') or 'known'} -> "
                       f"{b.get('model_features') or 'known'}")
    fa, fb = a.get("features", {}), b.get("features", {})
    gained = sorted(k for k in fb if fb[k] == "on" and fa.get(k) != "on")
    lost = sorted(k for k in fa if fa[k] == "on" and fb.get(k) != "on")
    if gained:
        details.append("features gained: " + ", ".join(gained))
    if lost:
        details.append("features lost: " + ", ".join(lost))
    other = sorted(k for k in set(fa) | set(fb)
                   if k not in gained and k not in lost and fa.get(k) != fb.get(k))
    for k in other:
        details.append(f"{k} {_show(fa.get(k))} -> {_show(fb.get(k))}")
    why = None
    if about_a.get("qemu") != about_b.get("qemu"):
        why = (f"QEMU {about_a.get('qemu')} -> {about_b.get('qemu')}: the model's definition "
               "and the CPU properties each QEMU has")
    return Change("cpu", "cpu", "changed", tuple(details), why, a, b)


def _same(a: dict, b: dict) -> bool:
    """Two entries under different keys that are one device: same kind and MAC, or
    equal but for being implicit (a device one side added and the other wrote out)."""
    if a.get("kind") != b.get("kind"):
        return False
    if a.get("mac") is not None and a.get("mac") == b.get("mac"):
        return True
    strip = lambda e: {k: v for k, v in e.items() if k != "implicit"}  # noqa: E731
    return strip(a) == strip(b)


def _paired(da: dict, db: dict) -> dict:
    """``db`` with the devices only it has renamed to the key ``da`` files the same
    device under (see _same)."""
    only_a = [k for k in da if k not in db]
    out = dict(db)
    for kb in [k for k in db if k not in da]:
        ka = next((k for k in only_a if _same(da[k], db[kb])), None)
        if ka is not None:
            only_a.remove(ka)
            out[ka] = out.pop(kb)
    return out


def _device_changes(da: dict, db: dict) -> list[Change]:
    db = _paired(da, db)
    out = []
    holder_b = {}
    for k, e in db.items():
        if e.get("address"):
            holder_b[json.dumps(e["address"], sort_keys=True)] = k
    for key in sorted(set(da) | set(db), key=key_order):
        a, b = da.get(key), db.get(key)
        if a is None:
            out.append(Change("device", _name(key, b), "added",
                              (f"at {address_text(b.get('address'))}",) if b.get("address")
                              else (), None, None, b))
            continue
        if b is None:
            out.append(Change("device", _name(key, a), "removed",
                              (f"from {address_text(a.get('address'))}",) if a.get("address")
                              else (), None, a, None))
            continue
        ia = {k: v for k, v in a.items() if k != "implicit"}
        ib = {k: v for k, v in b.items() if k != "implicit"}
        if ia == ib:
            continue
        details, why, change = [], None, "changed"
        if a.get("address") != b.get("address"):
            change = "moved"
            details.append(f"{address_text(a.get('address'))} -> {address_text(b.get('address'))}")
            old = json.dumps(a.get("address"), sort_keys=True) if a.get("address") else None
            other = holder_b.get(old) if old else None
            if other is not None and other != key:
                what = "the new device" if other not in da else "the device"
                why = f"its old address is taken by {what} {_name(other, db[other])}"
        for k in sorted((set(ia) | set(ib)) - {"address"}):
            if ia.get(k) != ib.get(k):
                label = "id" if k == "alias" else k
                details.append(f"{label} {_show(ia.get(k))} -> {_show(ib.get(k))}")
        out.append(Change("device", _name(key, a), change, tuple(details), why, a, b))
    return out


def abi_diff(a: dict, b: dict) -> list[Change]:
    """Everything the guest sees change from facts ``a`` to facts ``b``."""
    about_a, about_b = a.get("about", {}), b.get("about", {})
    out: list[Change] = []
    for name in SECTIONS:
        out += _section_changes(name, a.get(name), b.get(name), about_a, about_b)
    extra = sorted((set(a) | set(b)) - set(SECTIONS) - {"devices"} - set(NOT_COMPARED))
    for name in extra:
        out += _section_changes(name, a.get(name), b.get(name), about_a, about_b)
    out += _device_changes(a.get("devices", {}), b.get("devices", {}))
    return out


def lock_changes(lock: dict, now: dict) -> list[Change]:
    """The changes a lockfile forbids: everything but devices it does not know."""
    return [c for c in abi_diff(lock, now) if c.change != "added"]


def headroom_text(a: dict | None, b: dict | None) -> str:
    def one(h: dict) -> tuple[int, int]:
        return h.get("pcie_ports", 0), h.get("pci_slots", 0)

    parts = []
    for label, idx in (("empty PCIe hotplug ports", 0), ("free PCI hotplug slots", 1)):
        va = one(a)[idx] if a is not None else None
        vb = one(b)[idx] if b is not None else None
        if va is None or vb is None or va == vb:
            parts.append(f"{label}: {vb if vb is not None else va}")
        else:
            parts.append(f"{label}: {va} -> {vb}")
    return "hotplug headroom: " + ", ".join(parts)


def render_text(changes: list[Change], a: dict | None = None, b: dict | None = None) -> str:
    lines = [c.text() for c in changes]
    if a is not None or b is not None:
        lines.append(headroom_text((a or {}).get("hotplug"), (b or {}).get("hotplug")))
    return "".join(line + "\n" for line in lines)


def change_dict(c: Change) -> dict:
    """A change as JSON: its fields (empty ones left out) and its text."""
    out = {k: v for k, v in asdict(c).items() if v is not None and v != []}
    out["text"] = c.text()
    return out


def render_json(changes: list[Change], a: dict | None = None, b: dict | None = None) -> str:
    doc = {
        "identical": not changes,
        "changes": [change_dict(c) for c in changes],
        "hotplug": {"a": (a or {}).get("hotplug"), "b": (b or {}).get("hotplug")},
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


__all__ = ["Change", "abi_diff", "change_dict", "headroom_text", "lock_changes", "render_json",
           "render_text"]

"""A device's identity from one compile to the next: the key a lockfile files it
under, and by which ``abi-diff`` pairs the devices of two compiles.

In order of preference:

1. a user alias: ``alias:ua-boot-disk``;
2. the kind's own name for the device (``DeviceKind.lock_key``), taken from what the
   user wrote: ``disk:vda``, ``interface:52:54:00:12:34:56``, ``controller:pci:3``,
   ``channel:org.qemu.guest_agent.0``;
3. its position among the devices of its kind and model (or type), in document order:
   ``video:vga#0``, ``input:tablet#0``; devices the compile added are counted apart
   (``implicit input:mouse#0``), so that they never shift the user's own.

A device known by position only is what a device inserted before it in the XML
(of the same kind and model) takes the place of; a MAC, a target name or a user
alias keeps it.
"""

from __future__ import annotations

import re

from . import kind_of

USER_ALIAS_PREFIX = "ua-"
IMPLICIT = "implicit "  # the prefix of the positional keys of devices the compile added


def natural_key(d) -> str | None:
    """The device's own name (1 or 2 above), or None."""
    if d.alias and d.alias.startswith(USER_ALIAS_PREFIX):
        return f"alias:{d.alias}"
    own = kind_of(d).lock_key(d)
    if own is None:
        return None
    return d.kind_tag if own == "" else f"{d.kind_tag}:{own}"


def _group(d) -> str:
    hint = getattr(d, "model", None) or getattr(d, "type", None)
    name = d.kind_tag if not isinstance(hint, str) or not hint else f"{d.kind_tag}:{hint}"
    return name if d.origin is not None else f"{IMPLICIT}{name}"


def device_keys(devices) -> list[str]:
    """The key of every device: the one it already carries (``Device.lock_key``), its
    natural key, else the first free position of its group.  A natural key two
    devices share gets a position suffix on the second."""
    keys: list[str | None] = []
    used: set[str] = set()
    for d in devices:
        k = d.lock_key or natural_key(d)
        if k is not None and k in used and d.lock_key is None:
            k = _positional(k, used)
        keys.append(k)
        if k is not None:
            used.add(k)
    counters: dict[str, int] = {}
    for i, d in enumerate(devices):
        if keys[i] is None:
            group = _group(d)
            n = counters.get(group, 0)
            while f"{group}#{n}" in used:
                n += 1
            keys[i] = f"{group}#{n}"
            used.add(keys[i])
            counters[group] = n + 1
    return keys


def key_order(key: str) -> tuple:
    """Sort key for device keys: numbers in them compare as numbers (pci:2 < pci:10)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", key))


def _positional(key: str, used: set[str]) -> str:
    n = 1
    while f"{key}#{n}" in used:
        n += 1
    return f"{key}#{n}"


__all__ = ["IMPLICIT", "USER_ALIAS_PREFIX", "device_keys", "key_order", "natural_key"]

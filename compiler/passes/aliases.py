"""assign_aliases: the QEMU ids libvirt gives devices (ide0-0-0, scsi3-0-4,
virtio-disk0, net0, video0, balloon0, usb, scsi0, pci.1 ...).  A user alias
(libvirt's ``ua-`` prefix) is kept, and so is an id a lockfile pinned
(passes/lock.py): a new device whose usual id a locked one holds takes the next
number (a new NIC beside a locked net0 is net1).  Two devices with one id are
rejected."""

from __future__ import annotations

import re
from collections import Counter

from ..record import evolve

from ..devices import kind_of
from ..devices.controller import USB2_COMPANIONS, Controller
from ..model import Domain

USER_ALIAS_PREFIX = "ua-"
# libvirt's USER_ALIAS_CHARS: the alias becomes a QEMU id and part of QemuOpts strings
USER_ALIAS_RE = re.compile(r"^ua-[A-Za-z0-9_-]+$")


def _is_usb_companion(d) -> bool:
    """UHCI companions share their EHCI master's id (and emit none of their own)."""
    return isinstance(d, Controller) and d.type == "usb" and d.model in USB2_COMPANIONS


def _alias(kind, d, nth: int, dom: Domain, pinned: set[str]) -> str | None:
    """The kind's id for the nth device, or the next free number's when a locked
    device holds it (kinds whose ids do not count devices keep theirs)."""
    alias = kind.alias(d, nth, dom)
    for bump in range(1, 1024):
        if alias is None or alias not in pinned:
            break
        other = kind.alias(d, nth + bump, dom)
        if other == alias:
            break
        if other not in pinned:
            return other
    return alias


def assign_aliases(dom: Domain, env) -> Domain:
    counts: Counter = Counter()
    devices = []
    pinned = {d.alias for d in dom.devices if "alias" in d.locked and d.alias}
    for d in dom.devices:
        kind = kind_of(d)
        nth = counts[d.kind_tag]
        counts[d.kind_tag] += 1
        if d.alias and d.alias.startswith(USER_ALIAS_PREFIX):
            if not USER_ALIAS_RE.match(d.alias):
                env.diag.error("bad-alias", f"{d.describe()}: alias {d.alias!r} has characters "
                               "other than letters, digits, '_' and '-'", d.span)
            devices.append(d)
            continue
        if "alias" in d.locked:
            devices.append(d)
            continue
        alias = _alias(kind, d, nth, dom, pinned)
        # a bumped id is pinned too (with nothing pinned, none is bumped)
        if pinned and alias is not None and kind.alias(d, nth, dom) != alias:
            pinned.add(alias)
        devices.append(evolve(d, alias=alias))
    seen = {}
    for d in devices:
        if d.alias is None or _is_usb_companion(d):
            continue
        if d.alias in seen:
            first = seen[d.alias]
            env.diag.error("duplicate-alias", f"{d.describe()} and {first.describe()} (line "
                           f"{first.span.line}) would both get the QEMU id '{d.alias}'", d.span)
        else:
            seen[d.alias] = d
    return evolve(dom, devices=tuple(devices))

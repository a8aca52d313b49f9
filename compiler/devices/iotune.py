"""<iotune>: a disk's I/O limits.

libvirt 9.0 applies them once QEMU runs (block_set_io_throttle on the guest device;
disks with one <group_name> share a throttle group, and must have the same limits).
domc puts the same limits on the command line: one ``throttle-group`` object per
group (per disk without a group name) with QEMU's ThrottleLimits, and a
``throttle`` filter node between the guest device and the disk's format node.
QEMU's checks of the limits (throttle_is_valid) become compile errors.
"""

from __future__ import annotations

import re

from ..record import frozen

from ..diagnostics import Span
from ..xmlread import Reader
from .base import qjson

# <iotune> element -> QEMU ThrottleLimits member
LIMITS = (
    ("total_bytes_sec", "bps-total"), ("read_bytes_sec", "bps-read"),
    ("write_bytes_sec", "bps-write"), ("total_iops_sec", "iops-total"),
    ("read_iops_sec", "iops-read"), ("write_iops_sec", "iops-write"),
    ("total_bytes_sec_max", "bps-total-max"), ("read_bytes_sec_max", "bps-read-max"),
    ("write_bytes_sec_max", "bps-write-max"), ("total_iops_sec_max", "iops-total-max"),
    ("read_iops_sec_max", "iops-read-max"), ("write_iops_sec_max", "iops-write-max"),
    ("size_iops_sec", "iops-size"),
    ("total_bytes_sec_max_length", "bps-total-max-length"),
    ("read_bytes_sec_max_length", "bps-read-max-length"),
    ("write_bytes_sec_max_length", "bps-write-max-length"),
    ("total_iops_sec_max_length", "iops-total-max-length"),
    ("read_iops_sec_max_length", "iops-read-max-length"),
    ("write_iops_sec_max_length", "iops-write-max-length"),
)
# QEMU's THROTTLE_VALUE_MAX
VALUE_MAX = 1_000_000_000_000_000


@frozen
class IoTune:
    limits: tuple[tuple[str, int], ...]  # (QEMU member, value), non-zero values only
    group: str | None
    span: Span


def read_iotune(r: Reader) -> IoTune | None:
    t = r.child("iotune")
    if t is None:
        return None
    limits = []
    for tag, key in LIMITS:
        v = t.text_int(tag, hi=VALUE_MAX)
        if v:  # libvirt: 0 means no limit
            limits.append((key, v))
    return IoTune(tuple(limits), t.text("group_name"), t.span)


def check_iotune(what: str, t: IoTune, diag) -> None:
    """libvirt's and QEMU's checks (virDomainDiskDefIotuneParse, throttle_is_valid)."""
    lim = dict(t.limits)
    for kind in ("bps", "iops"):
        for suffix in ("", "-max", "-max-length"):
            total = f"{kind}-total{suffix}"
            if total in lim and (f"{kind}-read{suffix}" in lim or f"{kind}-write{suffix}" in lim):
                diag.error("disk-iotune", f"{what}: <iotune> cannot limit {kind} in total and "
                           "per direction at once", t.span)
        for way in ("total", "read", "write"):
            avg, mx = lim.get(f"{kind}-{way}"), lim.get(f"{kind}-{way}-max")
            length = lim.get(f"{kind}-{way}-max-length")
            if mx is not None and avg is None:
                diag.error("disk-iotune", f"{what}: the burst limit {kind}-{way}-max needs "
                           f"the limit {kind}-{way}", t.span)
            elif mx is not None and mx < avg:
                diag.error("disk-iotune", f"{what}: the burst limit {kind}-{way}-max ({mx}) "
                           f"is below the limit {kind}-{way} ({avg})", t.span)
            if length is not None and length > 1 and mx is None:
                diag.error("disk-iotune", f"{what}: a burst length {kind}-{way}-max-length "
                           f"needs the burst limit {kind}-{way}-max", t.span)


def check_iotune_group(d, devices, diag) -> None:
    """Disks of one <group_name> share one set of limits (libvirt refuses others)."""
    t = d.options.iotune
    if t is None or t.group is None:
        return
    first = next(x for x in devices if x.kind_tag == "disk" and x.options.iotune is not None
                 and x.options.iotune.group == t.group)
    if first is not d and first.options.iotune.limits != t.limits:
        diag.error("disk-iotune", f"{d.describe()}: its <iotune> limits differ from those of "
                   f"{first.describe()}, which is in the same group '{t.group}'", t.span)


_ID = re.compile(r"[^A-Za-z0-9_.-]")


def group_ids(disks) -> dict[str, str]:
    """QOM ids of the groups by <group_name>: ``iotune-`` and the name when it is a
    valid id, else the group's number (ids take letters, digits, '-', '.', '_')."""
    out: dict[str, str] = {}
    for d in disks:
        t = d.options.iotune
        if t is None or t.group is None or t.group in out:
            continue
        name = t.group if not _ID.search(t.group) else f"group{len(out)}"
        out[t.group] = f"iotune-{name}"
    return out


def throttle_args(d, fmt_node: str, ctx) -> tuple[list[str], str]:
    """The throttle group object (when this disk creates it) and the filter node in
    front of ``fmt_node``; returns (argv, the node the device uses)."""
    t: IoTune = d.options.iotune
    # the throttled disks with a medium (an empty drive has no node to throttle)
    disks = [x for x in ctx.dom.devices if x.kind_tag == "disk" and x.source is not None
             and x.options.iotune is not None]
    ids = group_ids(disks)
    argv = []
    if t.group is None:
        gid = f"iotune-{d.alias}"
        limits = dict(t.limits)
        argv += ["-object", qjson({"qom-type": "throttle-group", "id": gid, "limits": limits})]
    else:
        gid = ids[t.group]
        members = [x for x in disks if x.options.iotune.group == t.group]
        if members[0] is d:  # the group's limits are one (check_iotune_groups)
            argv += ["-object", qjson({"qom-type": "throttle-group", "id": gid,
                                       "limits": dict(t.limits)})]
    node = fmt_node.replace("-format", "-throttle")
    argv += ["-blockdev", qjson({"driver": "throttle", "node-name": node, "throttle-group": gid,
                                 "file": fmt_node})]
    return argv, node

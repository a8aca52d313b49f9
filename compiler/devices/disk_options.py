"""What a <disk> says beyond its source, bus and cache: error policies, geometry, block
sizes, the virtio-blk queue knobs, sharing, I/O throttling and the start-up policy.

libvirt 9.0 (qemuBuildDiskDeviceProps, qemuBuildDiskGetErrorPolicy) writes them as
properties of the guest device; QEMU 7.2 refuses a property a device does not have
(a floppy has no werror, a cdrom no geometry, a scsi-block no block sizes), which
libvirt only finds out when QEMU starts: domc refuses those at compile time.

I/O throttling (<iotune>): libvirt 9.0 sets it over QMP once QEMU runs
(block_set_io_throttle on the device); the same limits on the command line are a
``throttle-group`` object and a ``throttle`` filter node between the device and its
format node (see :mod:`compiler.devices.iotune`).
"""

from __future__ import annotations

from ..record import frozen

from ..diagnostics import NOWHERE, Span
from ..xmlread import Reader
from .iotune import check_iotune, read_iotune

ERROR_POLICIES = ("stop", "report", "ignore", "enospace")
READ_ERROR_POLICIES = ("stop", "report", "ignore")
TRANSLATIONS = ("none", "lba", "auto")
STARTUP_POLICIES = ("mandatory", "requisite", "optional")


@frozen
class DiskOptions:
    error_policy: str | None = None
    rerror_policy: str | None = None
    ioeventfd: bool | None = None
    event_idx: bool | None = None
    queue_size: int | None = None
    cyls: int | None = None
    heads: int | None = None
    secs: int | None = None
    trans: str | None = None
    geometry_span: Span = NOWHERE
    logical_block_size: int | None = None
    physical_block_size: int | None = None
    blockio_span: Span = NOWHERE
    startup_policy: str | None = None
    transient: Span | None = None  # where <transient/> is
    iotune: object | None = None  # iotune.IoTune


def read_disk_options(r: Reader, bus: str) -> DiskOptions:
    """The <driver> attributes, <geometry>, <blockio>, <transient> and <iotune> of a disk.
    ``queue_size`` is read for virtio disks only: libvirt uses it nowhere else (a
    warning[ignored] says so for the others)."""
    drv = r.child("driver")
    geo = r.child("geometry")
    bio = r.child("blockio")
    src = r.child("source")
    tr = r.child("transient")
    if tr is not None:
        tr.attr("shareBacking")
    # the default of libvirt's snapshot API for this disk: nothing QEMU is told
    r.attr_choice("snapshot", ("no", "internal", "external", "manual"))
    return DiskOptions(
        error_policy=drv.attr_choice("error_policy", ERROR_POLICIES) if drv else None,
        rerror_policy=drv.attr_choice("rerror_policy", READ_ERROR_POLICIES) if drv else None,
        ioeventfd=drv.attr_bool("ioeventfd") if drv else None,
        event_idx=drv.attr_bool("event_idx") if drv else None,
        queue_size=drv.attr_int("queue_size", lo=1, hi=1024) if drv and bus == "virtio"
        else None,
        cyls=geo.attr_int("cyls", lo=1, hi=2**31 - 1) if geo else None,
        heads=geo.attr_int("heads", lo=1, hi=2**31 - 1) if geo else None,
        secs=geo.attr_int("secs", lo=1, hi=2**31 - 1) if geo else None,
        trans=geo.attr_choice("trans", TRANSLATIONS) if geo else None,
        geometry_span=geo.span if geo else NOWHERE,
        logical_block_size=bio.attr_int("logical_block_size", lo=1, hi=2**31 - 1)
        if bio else None,
        physical_block_size=bio.attr_int("physical_block_size", lo=1, hi=2**31 - 1)
        if bio else None,
        blockio_span=bio.span if bio else NOWHERE,
        startup_policy=src.attr_choice("startupPolicy", STARTUP_POLICIES) if src else None,
        transient=tr.span if tr is not None else None,
        iotune=read_iotune(r),
    )


def cache_mode(cache: str | None, shareable: bool, readonly: bool) -> str | None:
    """libvirt's cache for a disk: a shared writable disk without a cache mode gets
    'none' (the host page cache would hide one guest's writes from the other)."""
    if cache is None and shareable and not readonly:
        return "none"
    return cache


def check_disk_options(d, diag) -> None:
    """libvirt's checks and QEMU's refusals of the options of disk ``d``."""
    o: DiskOptions = d.options
    what = d.describe()
    virtio = d.target_bus == "virtio"
    for name, value in (("ioeventfd", o.ioeventfd), ("event_idx", o.event_idx)):
        if value is not None and not virtio:
            diag.error("disk-driver", f"{what}: {name} exists only for virtio disks", d.span)
    driver = guest_driver_name(d)
    if (o.error_policy or o.rerror_policy) and driver == "floppy":
        diag.error("disk-driver", f"{what}: QEMU's floppy has no error policy (werror/rerror)",
                   d.span)
    if o.trans is not None and d.target_bus != "ide":
        diag.error("disk-geometry", f"{what}: the CHS translation 'trans' exists only for "
                   f"bus 'ide', not '{d.target_bus}'", o.geometry_span)
    if (o.cyls or o.heads or o.secs) and driver not in ("ide-hd", "scsi-hd") and not virtio:
        diag.error("disk-geometry", f"{what}: QEMU's {driver} has no CHS geometry",
                   o.geometry_span)
    if (o.cyls or o.heads or o.secs) and o.trans is not None and driver != "ide-hd":
        diag.error("disk-geometry", f"{what}: QEMU's {driver} has no CHS translation",
                   o.geometry_span)
    if (o.logical_block_size or o.physical_block_size) and driver == "scsi-block":
        diag.error("disk-blockio", f"{what}: a SCSI passthrough LUN reports the device's own "
                   "block sizes; QEMU's scsi-block takes no <blockio>", o.blockio_span)
    if d.shareable and not d.readonly and (d.format or "raw") != "raw":
        # qemuBlockStorageSourceSupportsConcurrentAccess
        diag.error("disk-shareable", f"{what}: a <shareable/> disk must be raw: two guests "
                   f"writing one {d.format} image corrupt it", d.span)
    if o.transient is not None:
        diag.error("disk-transient", f"{what}: <transient/> asks for a throw-away overlay "
                   "that libvirt creates when the guest starts; domc creates no files, and "
                   "compiling without it would write the guest's changes into the image",
                   o.transient)
    if o.iotune is not None:
        check_iotune(what, o.iotune, diag)
    if o.startup_policy in ("requisite", "optional"):
        diag.warning("disk-startup-policy", f"{what}: startupPolicy='{o.startup_policy}' "
                     "drops a missing source when libvirt starts the guest; domc does not "
                     "look at the file, so QEMU refuses to start if it is missing", d.span)


def guest_driver_name(d) -> str:
    if d.target_bus in ("ide", "sata"):
        return "ide-cd" if d.device == "cdrom" else "ide-hd"
    if d.target_bus == "scsi":
        return {"lun": "scsi-block", "cdrom": "scsi-cd"}.get(d.device, "scsi-hd")
    return {"fdc": "floppy", "usb": "usb-storage", "virtio": "virtio-blk"}.get(d.target_bus, "")


def error_policies(o: DiskOptions) -> tuple[str | None, str | None]:
    """(werror, rerror) as libvirt writes them: the read policy follows the write
    policy unless it is given, or unless that is enospace (werror only, as enospc)."""
    w, r = o.error_policy, o.rerror_policy
    if w == "enospace":
        return "enospc", r
    return w, r or w


def virtio_props(o: DiskOptions, queues: int | None) -> dict:
    """virtio-blk's own properties, which libvirt writes first."""
    return {"ioeventfd": o.ioeventfd, "event_idx": o.event_idx, "num-queues": queues,
            "queue-size": o.queue_size}


def share_props(d) -> dict:
    return {"share-rw": True} if d.shareable else {}


def block_size_props(o: DiskOptions) -> dict:
    """<blockio>'s sizes, which libvirt writes right after the boot index."""
    return {"logical_block_size": o.logical_block_size,
            "physical_block_size": o.physical_block_size}


def geometry_props(o: DiskOptions) -> dict:
    """<geometry>, which libvirt writes after write-cache and before the serial."""
    return {"cyls": o.cyls, "heads": o.heads, "secs": o.secs, "bios-chs-trans": o.trans}


def error_props(o: DiskOptions) -> dict:
    """The error policies, which libvirt writes last."""
    werror, rerror = error_policies(o)
    return {"werror": werror, "rerror": rerror}

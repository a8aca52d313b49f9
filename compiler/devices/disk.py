"""<disk>: the guest device (-device) and its block backend (-blockdev)."""

from __future__ import annotations

import re

from ..record import frozen

from ..model import Device, DriveAddr, MachineFamily
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciGroup, UsbOrder, check_iothread_ref, device_arg, \
    pci_props, qjson, read_common, usb_props, virtio_connect
from .chardev import qemu_opt_value
from ..runtime import HostDirs, SecretNeed
from .backing import BackingLayer, read_backing
from .blockdev import AUTH_PROTOCOLS, BlockSource, blockdev_args, check_disk_source, \
    check_encryption, check_source_extras, read_source, warn_credentials
from .disk_options import DiskOptions, cache_mode, check_disk_options, read_disk_options, \
    share_props, block_size_props, error_props, geometry_props, virtio_props
from .iotune import check_iotune_group, throttle_args

BUSES = ("ide", "scsi", "virtio", "sata", "fdc", "usb", "sd", "xen", "uml")
DEVICES = ("disk", "cdrom", "floppy", "lun")

_WWN_RE = re.compile(r"^(0x)?[0-9a-fA-F]{16}$")
_NAME_RE = re.compile(r"^(hd|sd|vd|xvd|fd|ubd|mmcblk|nvme)([a-z]+)$")

# image formats QEMU 7.2 opens (libvirt's names); 'iso' and 'cow' are refused as libvirt does
DISK_FORMATS = ("raw", "aio", "qcow2", "qcow", "qed", "vmdk", "vpc", "vdi", "vhdx", "luks", "bochs",
                "cloop", "dmg", "parallels", "ploop", "fat")
# the 8 and 16 byte limits of SCSI INQUIRY data
SCSI_VENDOR_MAX, SCSI_PRODUCT_MAX = 8, 16

VIRTIO_BLK = {
    None: "virtio-blk-pci",
    "virtio": "virtio-blk-pci",
    "virtio-transitional": "virtio-blk-pci-transitional",
    "virtio-non-transitional": "virtio-blk-pci-non-transitional",
}


def disk_name_index(name: str) -> int | None:
    """'hda' -> 0, 'sdz' -> 25, 'vdaa' -> 26 (bijective base 26, as libvirt counts)."""
    m = _NAME_RE.match(name)
    if not m:
        return None
    idx = 0
    for ch in m.group(2):
        idx = idx * 26 + (ord(ch) - ord("a") + 1)
    return idx - 1


@frozen(kw_only=True)
class Disk(Device):
    tag = "disk"

    type: str = "file"
    device: str = "disk"
    source: BlockSource | None = None
    target_dev: str
    target_bus: str
    driver_name: str | None = None
    format: str | None = None
    cache: str | None = None
    io: str | None = None
    discard: str | None = None
    detect_zeroes: str | None = None
    copy_on_read: bool | None = None
    queues: int | None = None
    iothread: int | None = None  # <driver iothread=N>: served by -object iothreadN
    readonly: bool = False
    shareable: bool = False
    serial: str | None = None
    wwn: str | None = None
    model: str | None = None
    tray: str | None = None
    removable: bool | None = None
    rotation_rate: int | None = None
    vendor: str | None = None
    product: str | None = None
    options: DiskOptions = DiskOptions()  # policies, geometry, block sizes, iotune...
    backing: tuple[BackingLayer, ...] = ()  # <backingStore> chain, top down
    backing_end: bool = False  # the chain ends in an empty <backingStore/>

    def describe(self) -> str:
        return f"disk '{self.target_dev}'"


def _default_bus(dev: str, device: str) -> str:
    if device == "floppy" or dev.startswith("fd"):
        return "fdc"
    if dev.startswith("hd"):
        return "ide"
    if dev.startswith("sd"):
        return "scsi"
    if dev.startswith("vd"):
        return "virtio"
    if dev.startswith("xvd"):
        return "xen"
    return "ide"


def from_xml(r: Reader) -> Disk:
    target = r.child("target")
    if target is None:
        raise r.error("disk-target", "<disk> needs a <target dev=.../> element")
    dev = target.require("dev")
    device = r.attr_choice("device", DEVICES, "disk")
    bus = target.attr_choice("bus", BUSES) or _default_bus(dev, device)
    drv = r.child("driver")
    dtype = r.attr("type", "file")
    serial = r.text("serial")
    wwn = r.text("wwn")
    if wwn is not None and not _WWN_RE.match(wwn):
        raise r.error("bad-wwn", f"wwn {wwn!r} is not 16 hex digits")
    backing, backing_end = read_backing(r)
    return Disk(
        type=dtype,
        device=device,
        source=read_source(r, dtype),
        target_dev=dev,
        target_bus=bus,
        tray=target.attr("tray"),
        removable=target.attr_bool("removable"),
        rotation_rate=target.attr_int("rotation_rate", hi=65535),
        driver_name=drv.attr("name") if drv is not None else None,
        format=drv.attr("type") if drv is not None else None,
        cache=cache_mode(drv.attr("cache") if drv is not None else None, r.has("shareable"),
                         r.has("readonly") or device == "cdrom"),
        io=drv.attr("io") if drv is not None else None,
        discard=drv.attr("discard") if drv is not None else None,
        detect_zeroes=drv.attr("detect_zeroes") if drv is not None else None,
        copy_on_read=drv.attr_bool("copy_on_read") if drv is not None else None,
        queues=drv.attr_int("queues", lo=1, hi=1024) if drv is not None else None,
        iothread=drv.attr_int("iothread", lo=1) if drv is not None else None,
        readonly=r.has("readonly"),
        shareable=r.has("shareable"),
        serial=serial,
        wwn=wwn,
        vendor=r.text("vendor"),
        product=r.text("product"),
        model=r.attr("model"),
        options=read_disk_options(r, bus),
        backing=backing,
        backing_end=backing_end,
        **read_common(r),
    )


def validate(d: Disk, dom, diag) -> None:
    """The disk's checks, on the definition as written (drive addresses come later)."""
    if d.source is not None:
        warn_credentials(d.describe(), d.source, d.span, diag)
    _check_options(d, dom, diag)
    if d.format == "iso":
        diag.error("disk-format", f"{d.describe()}: storage format 'iso' is not a QEMU format; "
                   "use 'raw'", d.span)
    elif d.format is not None and d.format not in DISK_FORMATS:
        diag.error("disk-format", f"{d.describe()}: storage format {d.format!r} is not "
                   f"supported; expected one of: {', '.join(DISK_FORMATS)}", d.span)
    if (d.vendor is not None or d.product is not None) and d.target_bus != "scsi":
        diag.error("disk-vpd", f"{d.describe()}: <vendor> and <product> exist only for SCSI "
                   "disks", d.span)
    if d.copy_on_read and (d.readonly or d.device == "cdrom"):
        diag.error("disk-copy-on-read", f"{d.describe()}: copy_on_read='on' needs a writable "
                   "disk (it writes what it reads from the backing image into the image)",
                   d.span)
    if d.wwn is not None and d.target_bus not in ("ide", "scsi"):
        # QEMU's ide-hd on a SATA port would take it, but libvirt 9.0 refuses it there too
        diag.error("disk-wwn", f"{d.describe()}: <wwn> exists only for IDE and SCSI disks, "
                   f"not bus '{d.target_bus}'", d.span)
    if d.rotation_rate is not None and d.target_bus not in ("ide", "sata", "scsi"):
        diag.error("disk-rotation", f"{d.describe()}: rotation_rate exists only for IDE, SATA "
                   f"and SCSI disks, not bus '{d.target_bus}'", d.span)
    for what, value, limit in (("vendor", d.vendor, SCSI_VENDOR_MAX),
                               ("product", d.product, SCSI_PRODUCT_MAX)):
        if value is not None and (len(value) > limit or not value.isprintable()):
            diag.error("disk-vpd", f"{d.describe()}: <{what}> must be at most {limit} printable "
                       "characters", d.span)
    _check_bus(d, diag)
    if d.type == "vhostuser":
        if d.source is None:
            diag.error("disk-source", "a vhost-user disk needs <source type='unix' path=...>",
                       d.span)
        if d.target_bus != "virtio":
            diag.error("unsupported-disk", f"{d.describe()}: a vhost-user disk must be on bus "
                       "'virtio'", d.span)
    check_disk_source(d, diag)
    check_encryption(d, diag)
    check_iothread_ref(d, d.target_bus == "virtio", dom, diag)


def _check_options(d: Disk, dom, diag) -> None:
    """The options of disk_options and the sources of the backing chain."""
    check_disk_options(d, diag)
    check_iotune_group(d, dom.devices, diag)
    for src, span in ((d.source, d.span), *((b.source, b.span) for b in d.backing)):
        if src is not None:
            check_source_extras(d.describe(), src, span, diag)
    for b in d.backing:
        if b.type == "network":
            warn_credentials(d.describe(), b.source, b.span, diag)


def _check_bus(d: Disk, diag) -> None:
    """The bus fits the device and exists on QEMU x86."""
    if d.target_bus in ("sd", "xen", "uml"):
        diag.error("unsupported-disk", f"{d.describe()}: bus '{d.target_bus}' does not exist on "
                   "a QEMU x86 guest", d.span)
    if d.device == "floppy" and d.target_bus != "fdc":
        diag.error("unsupported-disk", f"{d.describe()}: a floppy must be on bus 'fdc'", d.span)
    if d.target_bus == "fdc" and d.device != "floppy":
        diag.error("unsupported-disk", f"{d.describe()}: bus 'fdc' takes only floppies", d.span)
    if d.device == "lun" and d.target_bus != "scsi":
        diag.error("unsupported-disk", f"{d.describe()}: device 'lun' needs bus 'scsi'", d.span)
    if d.target_bus in ("virtio", "usb") and disk_name_index(d.target_dev) is None:
        diag.error("disk-target", f"{d.describe()}: target name must be a disk name such as "
                   "vda or sdb (it numbers the device id)", d.span)
    if d.target_bus == "usb" and d.source is None:
        diag.error("unsupported-disk", f"{d.describe()}: QEMU's usb-storage cannot be empty; "
                   "give the USB disk a <source>", d.span)
    if d.device == "cdrom" and d.target_bus == "virtio":
        diag.error("unsupported-disk", f"{d.describe()}: a cdrom cannot be on bus 'virtio'", d.span)


def wants_pci(d: Disk, dom) -> bool:
    return d.target_bus == "virtio"


def alias(d: Disk, nth: int, dom) -> str | None:
    a = d.address
    if d.target_bus == "virtio":
        return f"virtio-disk{disk_name_index(d.target_dev)}"
    if d.target_bus == "usb":
        return f"usb-disk{disk_name_index(d.target_dev)}"
    if not isinstance(a, DriveAddr):
        return None
    if d.target_bus == "ide":
        return f"ide{a.controller}-{a.bus}-{a.unit}"
    if d.target_bus == "sata":
        return f"sata{a.controller}-{a.bus}-{a.unit}"
    if d.target_bus == "fdc":
        return f"fdc{a.controller}-{a.bus}-{a.unit}"
    if d.target_bus == "scsi":
        # qemuAssignDeviceDiskAlias: the short form only on lsilogic controllers
        model = next((c.model for c in dom.devices if getattr(c, "kind_tag", None) ==
                      "controller" and c.type == "scsi" and c.index == a.controller), None)
        if model in (None, "lsilogic"):
            return f"scsi{a.controller}-{a.bus}-{a.unit}"
        return f"scsi{a.controller}-{a.bus}-{a.target}-{a.unit}"
    return None


def _guest_driver(d: Disk, ctx: EmitCtx) -> str:
    cd = d.device == "cdrom"
    if d.target_bus in ("ide", "sata"):
        return "ide-cd" if cd else "ide-hd"
    if d.target_bus == "scsi":
        if d.device == "lun":
            return "scsi-block"
        return "scsi-cd" if cd else "scsi-hd"
    if d.target_bus == "virtio":
        return VIRTIO_BLK.get(d.model, "virtio-blk-pci")
    if d.target_bus == "fdc":
        return "floppy"
    if d.target_bus == "usb":
        return "usb-storage"
    raise AssertionError(d.target_bus)


def _bus_props(d: Disk, ctx: EmitCtx) -> dict:
    a = d.address
    if d.target_bus == "virtio":
        return pci_props(d, ctx)
    if d.target_bus == "usb":
        return usb_props(d, ctx)
    assert isinstance(a, DriveAddr)
    if d.target_bus == "ide":
        # the chipset's IDE buses are ide.0 and ide.1 whatever the controller's alias
        return {"bus": f"ide.{a.bus}", "unit": a.unit}
    if d.target_bus == "sata":
        return {"bus": f"{ctx.controller_alias('sata', a.controller)}.{a.unit}"}
    if d.target_bus == "fdc":
        return {"unit": a.unit}
    if d.target_bus == "scsi":
        ctl = ctx.controller("scsi", a.controller)
        calias = ctl.alias if ctl is not None else f"scsi{a.controller}"
        if ctl is not None and ctl.model == "lsilogic":
            return {"bus": f"{calias}.{a.bus}", "scsi-id": a.unit}
        return {"bus": f"{calias}.0", "channel": a.bus, "scsi-id": a.target, "lun": a.unit}
    return {}


def emit(d: Disk, ctx: EmitCtx) -> list[str]:
    assert d.target_bus not in ("sd", "xen", "uml"), "refused by validate"
    if d.type == "vhostuser":
        return _emit_vhost_user(d, ctx)
    argv, node = blockdev_args(d, ctx)
    if node is not None and d.options.iotune is not None:
        more, node = throttle_args(d, node, ctx)
        argv += more
    if node is not None and d.copy_on_read:
        # libvirt 9.0: a copy-on-read filter over the image (and its throttle); the
        # device reads through it
        cor = f"libvirt-CoR-{d.target_dev}"
        argv += ["-blockdev", qjson({"driver": "copy-on-read", "node-name": cor,
                                     "file": node, "discard": "unmap"})]
        node = cor
    # libvirt 9.0's order (qemuBuildDiskDeviceProps), word for word
    props = {} if d.iothread is None else {"iothread": f"iothread{d.iothread}"}
    if d.target_bus == "virtio":
        props.update(virtio_props(d.options, d.queues))
    props.update(_bus_props(d, ctx))
    if d.target_bus == "scsi" and d.device != "lun":
        # the SCSI VPD device identification page (/dev/disk/by-id): libvirt keeps
        # what QEMU's -drive days gave the guest, the serial or drive-ALIAS
        props["device_id"] = d.serial if d.serial is not None else f"drive-{d.alias}"
    props.update(share_props(d))
    if node is not None:
        props["drive"] = node
    props["id"] = d.alias
    if d.boot_order is not None and d.target_bus != "fdc":
        props["bootindex"] = d.boot_order  # a floppy's goes to its isa-fdc
    props.update(block_size_props(d.options))
    if d.wwn is not None:  # IDE and SCSI only (validate)
        props["wwn"] = int(d.wwn, 16)
    if d.rotation_rate is not None:  # IDE, SATA and SCSI only (validate)
        props["rotation_rate"] = d.rotation_rate
    if d.target_bus == "scsi":
        if d.vendor is not None:
            props["vendor"] = d.vendor
        if d.product is not None:
            props["product"] = d.product
    if d.target_bus == "usb":
        props["removable"] = bool(d.removable)  # libvirt 9.0 always says
    # the guest's volatile write cache: on where the host caches writes (libvirt's
    # qemuDomainDiskCachemodeFlags: none, writeback, unsafe), off where each write
    # reaches the disk before it completes (writethrough, directsync)
    if d.cache in ("none", "writeback", "unsafe"):
        props["write-cache"] = "on"
    elif d.cache in ("writethrough", "directsync"):
        props["write-cache"] = "off"
    props.update(geometry_props(d.options))
    if d.serial is not None:
        props["serial"] = d.serial
    props.update(error_props(d.options))
    argv += device_arg(_guest_driver(d, ctx), props)
    if d.target_bus == "fdc":
        argv = _isa_fdc_args(d, ctx) + argv
    return argv


def _emit_vhost_user(d: Disk, ctx: EmitCtx) -> list[str]:
    """A disk served by a vhost-user backend process over a unix socket."""
    assert d.target_bus == "virtio" and d.source is not None, "refused by validate"
    cid = f"chr-vu-{d.alias}"
    chardev = f"socket,id={cid},path={qemu_opt_value(d.source.path)}"
    if d.source.reconnect is not None:
        chardev += f",reconnect={d.source.reconnect}"
    props = {**pci_props(d, ctx), "chardev": cid, "id": d.alias}
    if d.queues is not None:
        props["num-queues"] = d.queues
    if d.boot_order is not None:
        props["bootindex"] = d.boot_order
    return ["-chardev", chardev] + device_arg("vhost-user-blk-pci", props)


def _isa_fdc_args(d: Disk, ctx: EmitCtx) -> list[str]:
    """Before the first floppy: the floppy controller's boot indexes (bootindexA/B by
    unit).  i440fx has an isa-fdc built in (-global); q35 has none, so libvirt adds one."""
    floppies = [f for f in ctx.dom.devices if isinstance(f, Disk) and f.target_bus == "fdc"]
    if not floppies or floppies[0] is not d:
        return []
    boot = {}
    for f in floppies:
        if f.boot_order is not None and isinstance(f.address, DriveAddr) and f.address.unit < 2:
            boot["bootindex" + "AB"[f.address.unit]] = f.boot_order
    if ctx.machine_family is MachineFamily.Q35:
        return device_arg("isa-fdc", boot)
    return [w for k, v in boot.items() for w in ("-global", f"isa-fdc.{k}={v}")]


def secrets(d: Disk, dom, dirs: HostDirs) -> tuple[SecretNeed, ...]:
    """The files QEMU reads this disk's credentials and LUKS passphrase from."""
    src = d.source
    if src is None or d.type not in ("file", "block", "network", "nvme"):
        return ()
    out = []
    images = [(src, "")] + [(b.source, f", backing image {n}")
                            for n, b in enumerate(d.backing, 1)]
    for image, which in images:
        if image.auth_secret is not None and image.protocol in AUTH_PROTOCOLS:
            out.append(SecretNeed(f"{d.describe()} (login of '{image.auth_user}'{which})",
                                  image.auth_secret, image.auth_secret.span))
        if image.encryption is not None:
            out.append(SecretNeed(f"{d.describe()} (LUKS passphrase{which})",
                                  image.encryption.secret, image.encryption.secret.span))
    return tuple(out)


def pci_group(d: Disk) -> PciGroup:
    return PciGroup.DISK


KIND = DeviceKind(tag="disk", cls=Disk, from_xml=from_xml, emit=emit, validate=validate,
                  wants_pci=wants_pci,
                  pci_group=pci_group, alias=alias,
                  wants_usb=lambda d, dom: d.target_bus == "usb", usb_order=UsbOrder.DISK,
                  pci_connect=lambda d: virtio_connect(d.model), secrets=secrets,
                  lock_key=lambda d: d.target_dev, lock_fields=("target_bus", "device"),
                  virtio_legacy=lambda d: True)

__all__ = ["Disk", "KIND", "disk_name_index", "qjson"]

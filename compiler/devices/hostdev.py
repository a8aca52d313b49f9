"""<hostdev mode='subsystem'>: host PCI, mediated, USB and SCSI devices given to the guest.

What libvirt 9.0 emits for QEMU 7.2 (qemuBuildHostdevCommandLine):

  type='pci'        vfio-pci host=DDDD:BB:SS.F, a PCI slot in the HOSTDEV group
  type='mdev'       vfio-pci sysfsdev=/sys/bus/mdev/devices/UUID (display=, ramfb;
                    vfio-pci-nohotplug when ramfb is on)
  type='usb'        usb-host on a USB port: hostdevice=/dev/bus/usb/BBB/DDD from the
                    source address; with only vendor/product libvirt asks the host
                    which bus/device that is, which domc cannot do, so it gives QEMU
                    vendorid/productid and lets QEMU find the device
  type='scsi'       scsi-generic on a SCSI controller over a -blockdev backend:
                    iSCSI sources only (an <auth> login through a secret file, as
                    for disks: runtime.py); a local adapter needs the
                    host's /dev/sgN, which only a look at the host's sysfs can tell
  type='scsi_host'  vhost-scsi-pci wwpn=...; QEMU opens /dev/vhost-scsi itself
                    (libvirt passes an fd it opened instead)

Aliases hostdev0.. in document order.
"""

from __future__ import annotations

from ..record import frozen

from ..model import Device, DriveAddr
from ..runtime import HostDirs, SecretNeed, SecretRef
from ..xmlread import Reader
from .blockdev import read_auth, secret_object
from .base import (DeviceKind, EmitCtx, PciConnect, PciGroup, UsbOrder, device_arg, pci_props,
                   qjson, read_common, usb_props)

TYPES = ("pci", "usb", "scsi", "scsi_host", "mdev")
VHOST_SCSI_DRIVERS = {
    "virtio": "vhost-scsi-pci",
    "virtio-transitional": "vhost-scsi-pci-transitional",
    "virtio-non-transitional": "vhost-scsi-pci-non-transitional",
}
GUEST_RESET = ("off", "uninitialized", "on")


@frozen(kw_only=True)
class Hostdev(Device):
    tag = "hostdev"

    type: str
    managed: bool | None = None
    # pci: host address; mdev: uuid; usb: bus/device and/or vendor/product
    host_pci: str | None = None
    mdev_uuid: str | None = None
    mdev_model: str | None = None
    display: bool | None = None
    ramfb: bool | None = None
    usb_bus: int | None = None
    usb_device: int | None = None
    usb_vendor: int | None = None
    usb_product: int | None = None
    guest_reset: str | None = None
    # scsi
    scsi_adapter: str | None = None
    iscsi_name: str | None = None
    iscsi_host: str | None = None
    iscsi_port: int | None = None
    iscsi_user: str | None = None  # <auth username=...>
    iscsi_secret: SecretRef | None = None  # ... and its <secret>
    readonly: bool = False
    # scsi_host
    wwpn: str | None = None
    vhost_model: str = "virtio"
    rom_bar: bool | None = None
    rom_file: str | None = None

    def describe(self) -> str:
        return f"hostdev ({self.type})"


def _hex_attr(r: Reader, name: str, hi: int) -> int:
    return r.attr_int(name, 0, hi=hi)


def _pci_source(src: Reader) -> str:
    a = src.child("address")
    if a is None:
        raise src.error("hostdev-source", "a PCI <hostdev> needs <source><address domain= bus= "
                        "slot= function=/></source>")
    return (f"{_hex_attr(a, 'domain', 0xFFFF):04x}:{_hex_attr(a, 'bus', 0xFF):02x}:"
            f"{_hex_attr(a, 'slot', 0x1F):02x}.{_hex_attr(a, 'function', 7):x}")


def _usb_id(r: Reader | None, what: str) -> int | None:
    if r is None:
        return None
    v = r.require("id")
    try:
        n = int(v, 16)
    except ValueError:
        raise r.error("bad-number", f"USB {what} id {v!r} is not a hexadecimal number") from None
    if not 0 <= n <= 0xFFFF:
        raise r.error("number-range", f"USB {what} id {v!r} does not fit 16 bits")
    return n


def from_xml(r: Reader) -> Hostdev:
    mode = r.attr("mode", "subsystem")
    if mode != "subsystem":
        raise r.error("unsupported-device", f"<hostdev mode='{mode}'> exists only for "
                      "containers (LXC); a QEMU guest takes mode='subsystem'")
    t = r.attr_choice("type", TYPES)
    if t is None:
        raise r.error("missing-attribute", "<hostdev> needs the attribute 'type' (one of: "
                      f"{', '.join(TYPES)})")
    src = r.child("source")
    if src is None:
        raise r.error("hostdev-source", f"<hostdev type='{t}'> needs a <source>")
    rom = r.child("rom")
    f: dict = {"type": t, "managed": r.attr_bool("managed"),
               "rom_bar": rom.attr_bool("bar") if rom is not None else None,
               "rom_file": rom.attr("file") if rom is not None else None,
               "readonly": r.has("readonly")}
    if t == "pci":
        drv = r.child("driver")
        if drv is not None and drv.attr("name") not in (None, "vfio"):
            raise drv.error("unsupported-device", f"PCI assignment backend "
                            f"'{drv.attr('name')}' does not exist in QEMU 7.2; only vfio does")
        f["host_pci"] = _pci_source(src)
    elif t == "mdev":
        a = src.child("address")
        if a is None:
            raise src.error("hostdev-source", "a mediated <hostdev> needs <source><address "
                            "uuid=.../></source>")
        f["mdev_uuid"] = a.require("uuid")
        f["mdev_model"] = r.attr_choice("model", ("vfio-pci", "vfio-ccw", "vfio-ap"))
        if f["mdev_model"] is None:
            raise r.error("missing-attribute", "a mediated <hostdev> needs the attribute 'model'")
        f["display"] = r.attr_bool("display")
        f["ramfb"] = r.attr_bool("ramfb")
    elif t == "usb":
        a = src.child("address")
        f["usb_vendor"] = _usb_id(src.child("vendor"), "vendor")
        f["usb_product"] = _usb_id(src.child("product"), "product")
        if a is not None:
            f["usb_bus"] = a.attr_int("bus", hi=999)
            f["usb_device"] = a.attr_int("device", hi=999)
        if (f.get("usb_bus") is None or f.get("usb_device") is None) and (
                f["usb_vendor"] is None or f["usb_product"] is None):
            raise src.error("hostdev-source", "a USB <hostdev> needs <address bus= device=/> "
                            "or <vendor id=/> and <product id=/> in its <source>")
        f["guest_reset"] = src.attr_choice("guestReset", GUEST_RESET)
    elif t == "scsi":
        adapter = src.child("adapter")
        f["scsi_adapter"] = adapter.attr("name") if adapter is not None else None
        if src.attr("protocol") is not None:
            src.attr_choice("protocol", ("iscsi",))
            host = src.child("host")
            f["iscsi_name"] = src.require("name")
            f["iscsi_host"] = host.require("name") if host is not None else None
            f["iscsi_port"] = host.attr_int("port", 3260, hi=65535) if host is not None else 3260
            auth = src.child("auth")
            if auth is not None:
                f["iscsi_user"], f["iscsi_secret"] = read_auth(auth, "iscsi")
            if f["iscsi_host"] is None:
                raise src.error("hostdev-source", "an iSCSI <hostdev> needs <host name=.../>")
        elif f["scsi_adapter"] is None:
            raise src.error("hostdev-source", "a SCSI <hostdev> needs <adapter name=.../> or "
                            "protocol='iscsi'")
    else:  # scsi_host
        src.attr_choice("protocol", ("vhost",))
        f["wwpn"] = src.require("wwpn")
        f["vhost_model"] = r.attr_choice("model", tuple(VHOST_SCSI_DRIVERS), "virtio")
    dev = Hostdev(**f, **read_common(r))
    if t == "scsi_host" and dev.boot_order is not None:
        raise r.error("unsupported-boot", "booting from assigned devices is not supported by "
                      "vhost SCSI devices")
    return dev


def _iscsi_lun(h: Hostdev) -> int | None:
    """The LUN after '/' in an iSCSI name (0 without one); None if it is not a number."""
    lun = h.iscsi_name.partition("/")[2]
    try:
        return int(lun) if lun else 0
    except ValueError:
        return None


def validate(h: Hostdev, dom, diag) -> None:
    """The hostdev's checks; that a SCSI hostdev's controller exists is checked once
    the implicit controllers are there (check_scsi_controller)."""
    if h.type == "mdev":
        if h.mdev_model != "vfio-pci":
            diag.error("unsupported-device", f"mediated device model '{h.mdev_model}' exists "
                       "only on s390", h.span)
        ramfb = [d for d in dom.devices if isinstance(d, Hostdev) and d.ramfb]
        if len(ramfb) > 1 and ramfb[1] is h:
            diag.error("hostdev-ramfb", "only one vGPU device can have 'ramfb' enabled "
                       f"(another one is on line {ramfb[0].span.line})", h.span)
        if h.ramfb and not h.display:
            diag.error("hostdev-ramfb", "ramfb='on' needs display='on' on the mediated device",
                       h.span)
    elif h.type == "scsi":
        if h.iscsi_name is None:
            diag.error("unsupported-hostdev", f"SCSI <hostdev> on adapter '{h.scsi_adapter}': "
                       "the /dev/sgN node of a local SCSI device is found by reading the host's "
                       "sysfs, which a daemonless compile does not do; refusing to guess", h.span)
        elif _iscsi_lun(h) is None:
            diag.error("bad-value", f"iSCSI name {h.iscsi_name!r}: the LUN after '/' is not a "
                       "number", h.span)
        if not isinstance(h.address, DriveAddr):
            diag.error("hostdev-address", "a SCSI <hostdev> needs <address type='drive' "
                       "controller= bus= target= unit=/> (domc does not pick one)", h.span)


def check_scsi_controller(h: Hostdev, devices, diag) -> None:
    """A SCSI hostdev's controller exists (run after add_implicit_devices, which adds
    the controllers the disks imply)."""
    a = h.address
    if h.type != "scsi" or not isinstance(a, DriveAddr):
        return
    if not any(getattr(c, "kind_tag", None) == "controller" and c.type == "scsi"
               and c.index == a.controller for c in devices):
        diag.error("hostdev-address", f"SCSI <hostdev> is on controller {a.controller}, but "
                   f"there is no <controller type='scsi' index='{a.controller}'>", h.span)


def wants_pci(h: Hostdev, dom) -> bool:
    return h.type in ("pci", "scsi_host", "mdev")


def wants_usb(h: Hostdev, dom) -> bool:
    return h.type == "usb"


def _rom(h: Hostdev) -> dict:
    props = {}
    if h.rom_bar is not None:
        props["rombar"] = 1 if h.rom_bar else 0
    if h.rom_file is not None:
        props["romfile"] = h.rom_file
    return props


def _emit_pci(h: Hostdev, ctx: EmitCtx) -> list[str]:
    props = {"host": h.host_pci, "id": h.alias, "bootindex": h.boot_order,
             **pci_props(h, ctx), **_rom(h)}
    return device_arg("vfio-pci", props)


def _emit_mdev(h: Hostdev, ctx: EmitCtx) -> list[str]:
    assert h.mdev_model == "vfio-pci" and (h.display or not h.ramfb), "checked by validate"
    props = {"id": h.alias,
             "sysfsdev": f"/sys/bus/mdev/devices/{h.mdev_uuid}",
             "display": None if h.display is None else ("on" if h.display else "off"),
             "ramfb": True if h.ramfb else None,
             "bootindex": h.boot_order, **pci_props(h, ctx), **_rom(h)}
    return device_arg("vfio-pci-nohotplug" if h.ramfb else "vfio-pci", props)


def _emit_usb(h: Hostdev, ctx: EmitCtx) -> list[str]:
    props: dict = {}
    if h.usb_bus is not None and h.usb_device is not None:
        props["hostdevice"] = f"/dev/bus/usb/{h.usb_bus:03d}/{h.usb_device:03d}"
    else:
        props["vendorid"] = h.usb_vendor
        props["productid"] = h.usb_product
    props["id"] = h.alias
    props["bootindex"] = h.boot_order
    if h.guest_reset == "off":
        props["guest-reset"] = False
    elif h.guest_reset == "uninitialized":
        props["guest-reset"] = True
        props["guest-resets-all"] = False
    elif h.guest_reset == "on":
        props["guest-reset"] = True
        props["guest-resets-all"] = True
    props.update(usb_props(h, ctx))
    return device_arg("usb-host", props)


def _emit_scsi(h: Hostdev, ctx: EmitCtx) -> list[str]:
    a = h.address
    assert h.iscsi_name is not None and isinstance(a, DriveAddr), "checked by validate"
    ctl = ctx.controller("scsi", a.controller)
    assert ctl is not None, "checked by check_scsi_controller"
    target = h.iscsi_name.partition("/")[0]
    lun_n = _iscsi_lun(h)
    assert lun_n is not None, "checked by validate"
    ctx.backend_index += 1
    node = f"libvirt-{ctx.backend_index}-backend"
    backend = {"driver": "iscsi", "portal": f"{h.iscsi_host}:{h.iscsi_port}", "target": target,
               "lun": lun_n, "transport": "tcp"}
    argv = []
    if h.iscsi_secret is not None:  # libvirt's iSCSI login: user + a secret object
        sid = f"{node}-secret0"
        argv = secret_object(sid, h.iscsi_secret, ctx.dirs)
        backend.update({"user": h.iscsi_user, "password-secret": sid})
    backend.update({"node-name": node, "read-only": h.readonly})
    if ctl.model in (None, "lsilogic"):
        bus = {"bus": f"{ctl.alias}.{a.bus}", "scsi-id": a.unit}
    else:
        bus = {"bus": f"{ctl.alias}.0", "channel": a.bus, "scsi-id": a.target, "lun": a.unit}
    props = {"drive": node, "id": h.alias, "bootindex": h.boot_order, **bus}
    return argv + ["-blockdev", qjson(backend)] + device_arg("scsi-generic", props)


def secrets(h: Hostdev, dom, dirs: HostDirs) -> tuple[SecretNeed, ...]:
    if h.iscsi_secret is None:
        return ()
    return (SecretNeed(f"iSCSI <hostdev> {h.iscsi_name} (login of '{h.iscsi_user}')",
                       h.iscsi_secret, h.iscsi_secret.span),)


def _emit_scsi_host(h: Hostdev, ctx: EmitCtx) -> list[str]:
    props = {"wwpn": h.wwpn, "id": h.alias, **pci_props(h, ctx)}
    return device_arg(VHOST_SCSI_DRIVERS[h.vhost_model], props)


EMITTERS = {"pci": _emit_pci, "mdev": _emit_mdev, "usb": _emit_usb, "scsi": _emit_scsi,
            "scsi_host": _emit_scsi_host}


def emit(h: Hostdev, ctx: EmitCtx) -> list[str]:
    return EMITTERS[h.type](h, ctx)


def lock_key(h: Hostdev) -> str | None:
    """A host device is the host's device it passes through, where that is named."""
    if h.host_pci:
        return f"pci:{h.host_pci}"
    if h.mdev_uuid:
        return f"mdev:{h.mdev_uuid}"
    if h.usb_vendor is not None and h.usb_product is not None:
        return f"usb:{h.usb_vendor:04x}:{h.usb_product:04x}"
    return None


KIND = DeviceKind(tag="hostdev", cls=Hostdev, from_xml=from_xml, emit=emit,
                  validate=validate, wants_pci=wants_pci, pci_group=lambda d: PciGroup.HOSTDEV,
                  alias=lambda h, n, dom: f"hostdev{n}", wants_usb=wants_usb,
                  usb_order=UsbOrder.HOSTDEV,
                  pci_connect=lambda h: PciConnect.PCIE, lock_key=lock_key, secrets=secrets,
                  virtio_legacy=lambda h: h.type == "scsi_host")

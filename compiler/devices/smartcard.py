"""<smartcard>: a CCID card on a usb-ccid controller.

libvirt 9.0: the first smartcard on a CCID controller brings ``usb-ccid`` (alias
ccidN, on a USB port) and each card is
  mode='host'               ccid-card-emulated backend=nss-emulated
  mode='host-certificates'  ccid-card-emulated backend=certificates cert1..3 db
  mode='passthrough'        -chardev charsmartcardN + ccid-card-passthru
on bus ccidN.0.  Aliases smartcard0.. in document order.
"""

from __future__ import annotations

from ..record import frozen

from ..model import Device, OtherAddr
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, UsbOrder, device_arg, read_common, \
    usb_props
from .chardev import CharSource, chardev_value, check_char_source, read_char_source

DEFAULT_DB = "/etc/pki/nssdb"


@frozen(kw_only=True)
class Smartcard(Device):
    tag = "smartcard"

    mode: str
    certificates: tuple[str, ...] = ()
    database: str | None = None
    source: CharSource | None = None

    def describe(self) -> str:
        return f"smartcard ({self.mode})"


def from_xml(r: Reader) -> Smartcard:
    mode = r.attr_choice("mode", ("host", "host-certificates", "passthrough"))
    if mode is None:
        raise r.error("missing-attribute", "<smartcard> needs the attribute 'mode' (host, "
                      "host-certificates or passthrough)")
    certs = tuple(c.text() or "" for c in r.children("certificate"))
    if mode == "host-certificates" and len(certs) != 3:
        raise r.error("smartcard-certificates", "mode='host-certificates' needs exactly three "
                      f"<certificate> elements, not {len(certs)}")
    return Smartcard(mode=mode, certificates=certs, database=r.text("database"),
                     source=read_char_source(r) if mode == "passthrough" else None,
                     **read_common(r))


def ccid_index(s: Smartcard) -> int:
    a = s.address
    if isinstance(a, OtherAddr) and a.type == "ccid":
        return int(a.get("controller", "0"))
    return 0


def wants_usb(s: Smartcard, dom) -> bool:
    """The card's controller takes the USB port: the first card on a CCID controller
    that no <controller type='ccid'> with a USB address describes."""
    from .controller import Controller

    idx = ccid_index(s)
    for c in dom.devices:
        if isinstance(c, Controller) and c.type == "ccid" and c.index == idx \
                and c.address is not None:
            return False
    first = next(d for d in dom.devices if isinstance(d, Smartcard) and ccid_index(d) == idx)
    return first.origin == s.origin


def validate(s: Smartcard, dom, diag) -> None:
    if s.mode != "passthrough":
        return
    if s.source is None:
        diag.error("smartcard-source", "a passthrough smartcard needs a character device "
                   "source", s.span)
    else:
        check_char_source(s.source, s.span, dom, diag)


def emit(s: Smartcard, ctx: EmitCtx) -> list[str]:
    idx = ccid_index(s)
    ctl = ctx.controller("ccid", idx)
    calias = (ctl.alias if ctl is not None else None) or f"ccid{idx}"
    argv: list[str] = []
    cards = [d for d in ctx.dom.devices if isinstance(d, Smartcard) and ccid_index(d) == idx]
    if cards[0].origin == s.origin:
        where = usb_props(ctl, ctx) if ctl is not None and ctl.address is not None \
            else usb_props(s, ctx)
        argv += device_arg("usb-ccid", {"id": calias, **where})
    bus = f"{calias}.0"
    if s.mode == "host":
        return argv + device_arg("ccid-card-emulated", {"backend": "nss-emulated",
                                                        "id": s.alias, "bus": bus})
    if s.mode == "host-certificates":
        props = {"backend": "certificates"}
        for n, cert in enumerate(s.certificates, 1):
            props[f"cert{n}"] = cert
        props.update({"db": s.database or DEFAULT_DB, "id": s.alias, "bus": bus})
        return argv + device_arg("ccid-card-emulated", props)
    assert s.mode == "passthrough" and s.source is not None
    cid = f"char{s.alias}"
    argv += ["-chardev", chardev_value(cid, s.source, ctx, s.span, spicevmc="smartcard")]
    return argv + device_arg("ccid-card-passthru", {"chardev": cid, "id": s.alias, "bus": bus})


KIND = DeviceKind(tag="smartcard", cls=Smartcard, from_xml=from_xml, emit=emit, validate=validate,
                  alias=lambda s, n, dom: f"smartcard{n}", wants_usb=wants_usb,
                  usb_order=UsbOrder.CCID,
                  pci_group=lambda d: PciGroup.NONE, pci_connect=lambda d: PciConnect.NONE)

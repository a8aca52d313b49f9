"""<smartcard>: a CCID card on a usb-ccid controller.

libvirt 9.0: the card sits in CCID controller 0 (``<controller type='ccid'>``, a
``usb-ccid`` on a USB port, emitted with the controllers; the controller pass adds it
when the domain has none) and is
  mode='host'               ccid-card-emulated backend=nss-emulated
  mode='host-certificates'  ccid-card-emulated backend=certificates cert1..3 db
  mode='passthrough'        -chardev charsmartcardN + ccid-card-passthru
on bus ccid0.0.  libvirt takes one smartcard, in slot 0 of controller 0 ("this QEMU
binary lacks multiple smartcard support" otherwise).
"""

from __future__ import annotations

from ..record import evolve, frozen

from ..model import Device, OtherAddr
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, device_arg, read_common
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


def implicit(devices: tuple, dom, family) -> tuple:
    """A smartcard without an address goes in slot 0 of CCID controller 0."""
    slot0 = OtherAddr("ccid", (("controller", "0"), ("slot", "0")))
    return tuple(evolve(d, address=slot0) if isinstance(d, Smartcard) and d.address is None
                 else d for d in devices)


def validate(s: Smartcard, dom, diag) -> None:
    a = s.address
    cards = [d for d in dom.devices if isinstance(d, Smartcard)]
    if a is not None and not (isinstance(a, OtherAddr) and a.type == "ccid"):
        diag.error("smartcard-address", "a smartcard sits in a CCID controller: its <address> "
                   f"must be of type 'ccid', not '{getattr(a, 'type', 'pci')}'", s.span)
    elif len(cards) > 1 and cards[1] is s:
        diag.error("smartcard-multiple", f"a second smartcard (the first is on line "
                   f"{cards[0].span.line}): libvirt 9.0 gives QEMU one smartcard, in slot 0 "
                   "of CCID controller 0", s.span)
    elif a is not None and (ccid_index(s) != 0 or a.get("slot", "0") != "0"):
        diag.error("smartcard-multiple", f"smartcard in slot {a.get('slot', '0')} of CCID "
                   f"controller {ccid_index(s)}: libvirt 9.0 gives QEMU one smartcard, in slot 0 "
                   "of CCID controller 0", s.span)
    if s.mode != "passthrough":
        return
    if s.source is None:
        diag.error("smartcard-source", "a passthrough smartcard needs a character device "
                   "source", s.span)
    else:
        check_char_source(s.source, s.span, dom, diag)


def emit(s: Smartcard, ctx: EmitCtx) -> list[str]:
    idx = ccid_index(s)
    bus = f"{ctx.controller_alias('ccid', idx) or f'ccid{idx}'}.0"
    argv: list[str] = []
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
                  alias=lambda s, n, dom: f"smartcard{n}", implicit=implicit,
                  pci_group=lambda d: PciGroup.NONE, pci_connect=lambda d: PciConnect.NONE)

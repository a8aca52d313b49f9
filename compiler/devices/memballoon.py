"""<memballoon>: the virtio balloon (libvirt adds one when the XML has none)."""

from __future__ import annotations

from ..record import frozen

from ..model import Device, MachineFamily
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciGroup, XNode, address_xnode, device_arg, pci_props, \
    read_common, virtio_connect, xnode

DRIVERS = {
    "virtio": "virtio-balloon-pci",
    "virtio-transitional": "virtio-balloon-pci-transitional",
    "virtio-non-transitional": "virtio-balloon-pci-non-transitional",
}


@frozen(kw_only=True)
class Memballoon(Device):
    tag = "memballoon"

    model: str = "virtio"
    autodeflate: bool | None = None
    free_page_reporting: bool | None = None


def from_xml(r: Reader) -> Memballoon:
    model = r.require("model")
    if model not in DRIVERS and model not in ("none", "xen"):
        raise r.error("bad-value", f"memballoon model {model!r}; expected one of: "
                      f"{', '.join(sorted(DRIVERS))}, none")
    return Memballoon(model=model, autodeflate=r.attr_bool("autodeflate"),
                      free_page_reporting=r.attr_bool("freePageReporting"), **read_common(r))


def validate(b: Memballoon, dom, diag) -> None:
    balloons = [d for d in dom.devices if isinstance(d, Memballoon)]
    if len(balloons) > 1 and balloons[1] is b:
        diag.error("memballoon-count", f"a second <memballoon> (the first is on line "
                   f"{balloons[0].span.line}): a guest has one balloon", b.span)
    if b.model != "none" and b.model not in DRIVERS:
        diag.error("unsupported-device", f"memballoon model '{b.model}' needs a Xen host", b.span)


def emit(b: Memballoon, ctx: EmitCtx) -> list[str]:
    if b.model == "none":
        return []
    props = {"id": b.alias}
    if b.autodeflate is not None:
        props["deflate-on-oom"] = b.autodeflate
    if b.free_page_reporting is not None:
        props["free-page-reporting"] = b.free_page_reporting
    props.update(pci_props(b, ctx))  # libvirt: the address after the balloon's own
    return device_arg(DRIVERS[b.model], props)


def to_xml(b: Memballoon) -> XNode:
    addr = address_xnode(b.address)
    return xnode("memballoon", *([addr] if addr else []), model=b.model)


def implicit(devices: tuple, dom, family: MachineFamily) -> tuple:
    """A virtio balloon unless the domain has a <memballoon> (model='none' included)."""
    if any(isinstance(d, Memballoon) for d in devices):
        return devices
    return devices + (Memballoon(model="virtio", span=dom.span),)


KIND = DeviceKind(tag="memballoon", cls=Memballoon, from_xml=from_xml, emit=emit,
                  validate=validate,
                  wants_pci=lambda b, dom: b.model in DRIVERS,
                  pci_group=lambda d: PciGroup.MEMBALLOON,
                  alias=lambda b, n, dom: f"balloon{n}", to_xml=to_xml,
                  pci_connect=lambda b: virtio_connect(b.model), implicit=implicit,
                  lock_key=lambda b: "",
                  virtio_legacy=lambda b: True)

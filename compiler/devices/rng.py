"""<rng model='virtio'>: a virtio RNG fed by a backend object (rng-random, rng-builtin,
or rng-egd through a chardev)."""

from __future__ import annotations

from ..record import frozen

from ..model import Device
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciGroup, device_arg, pci_props, qjson, read_common, \
    virtio_connect
from .chardev import CharSource, chardev_value, check_char_source, read_char_source


RNG_DRIVERS = {
    "virtio": "virtio-rng-pci",
    "virtio-transitional": "virtio-rng-pci-transitional",
    "virtio-non-transitional": "virtio-rng-pci-non-transitional",
}


@frozen(kw_only=True)
class Rng(Device):
    tag = "rng"
    model: str
    backend: str
    source_path: str | None = None
    chardev: CharSource | None = None
    rate_bytes: int | None = None
    rate_period: int | None = None


def from_xml(r: Reader) -> Rng:
    model = r.attr_choice("model", tuple(RNG_DRIVERS), "virtio")
    b = r.child("backend")
    if b is None:
        raise r.error("rng-backend", "<rng> needs a <backend>")
    backend = b.attr_choice("model", ("random", "egd", "builtin"), "random")
    rate = r.child("rate")
    return Rng(model=model, backend=backend,
               source_path=b.text() if backend == "random" else None,
               chardev=read_char_source(b) if backend == "egd" else None,
               rate_bytes=rate.attr_int("bytes", lo=1) if rate is not None else None,
               rate_period=rate.attr_int("period", lo=1) if rate is not None else None,
               **read_common(r))


def validate(g: Rng, dom, diag) -> None:
    if g.backend == "egd":
        check_char_source(g.chardev, g.span, dom, diag)


def emit(g: Rng, ctx: EmitCtx) -> list[str]:
    oid = f"obj{g.alias}"
    argv: list[str] = []
    if g.backend == "random":
        obj = {"qom-type": "rng-random", "id": oid, "filename": g.source_path or "/dev/urandom"}
    elif g.backend == "builtin":
        obj = {"qom-type": "rng-builtin", "id": oid}
    else:
        cid = f"char{g.alias}"
        argv += ["-chardev", chardev_value(cid, g.chardev, ctx, g.span)]
        obj = {"qom-type": "rng-egd", "id": oid, "chardev": cid}
    argv += ["-object", qjson(obj)]
    props = {"rng": oid, "id": g.alias}
    if g.rate_bytes is not None:
        props["max-bytes"] = g.rate_bytes
        props["period"] = g.rate_period or 1000
    props.update(pci_props(g, ctx))
    return argv + device_arg(RNG_DRIVERS[g.model], props)


KIND = DeviceKind(tag="rng", cls=Rng, from_xml=from_xml, emit=emit, validate=validate,
                  wants_pci=lambda g, dom: True, pci_group=lambda d: PciGroup.RNG,
                  alias=lambda g, n, dom: f"rng{n}", pci_connect=lambda g: virtio_connect(g.model),
                  virtio_legacy=lambda r: True)

"""Small device kinds: <watchdog>, <rng>, <panic>, <sound>, <graphics>, <audio>, <emulator>."""

from __future__ import annotations

from attrs import frozen

from ..diagnostics import fail
from ..model import Device
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, device_arg, pci_props, qjson, \
    read_common, usb_props, virtio_connect
from .chardev import CharSource, chardev_value, read_char_source

# ------------------------------------------------------------------ watchdog


@frozen(kw_only=True)
class Watchdog(Device):
    tag = "watchdog"
    model: str
    action: str | None = None


def watchdog_from_xml(r: Reader) -> Watchdog:
    return Watchdog(model=r.attr_choice("model", ("i6300esb", "ib700", "diag288"), "i6300esb"),
                    action=r.attr_choice("action", ("reset", "shutdown", "poweroff", "pause",
                                                    "none", "dump", "inject-nmi")),
                    **read_common(r))


def watchdog_emit(w: Watchdog, ctx: EmitCtx) -> list[str]:
    if w.model == "diag288":
        raise fail("unsupported-device", "watchdog model 'diag288' exists only on s390", w.span)
    props = {"id": w.alias, **(pci_props(w, ctx) if w.model == "i6300esb" else {})}
    # QEMU has no 'dump': libvirt has it pause the guest and dumps it itself, which
    # without a daemon leaves the pause
    action = {"dump": "pause", None: "reset"}.get(w.action, w.action)
    return [*device_arg(w.model, props), "-watchdog-action", action]


WATCHDOG = DeviceKind(tag="watchdog", cls=Watchdog, from_xml=watchdog_from_xml,
                      emit=watchdog_emit, wants_pci=lambda w, dom: w.model == "i6300esb",
                      pci_group=lambda d: PciGroup.WATCHDOG,
                      alias=lambda w, n, dom: f"watchdog{n}",
                      pci_connect=lambda w: PciConnect.PCI)

# ------------------------------------------------------------------ rng

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


def rng_from_xml(r: Reader) -> Rng:
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


def rng_emit(g: Rng, ctx: EmitCtx) -> list[str]:
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


RNG = DeviceKind(tag="rng", cls=Rng, from_xml=rng_from_xml, emit=rng_emit,
                 wants_pci=lambda g, dom: True, pci_group=lambda d: PciGroup.RNG,
                 alias=lambda g, n, dom: f"rng{n}", pci_connect=lambda g: virtio_connect(g.model))

# ------------------------------------------------------------------ panic


@frozen(kw_only=True)
class Panic(Device):
    tag = "panic"
    model: str = "isa"


def panic_from_xml(r: Reader) -> Panic:
    return Panic(model=r.attr_choice("model", ("isa", "pseries", "hyperv", "s390", "pvpanic"),
                                     "isa"), **read_common(r))


def panic_emit(p: Panic, ctx: EmitCtx) -> list[str]:
    if p.model == "hyperv":
        return []  # a CPU flag (hv-crash), emitted with -cpu
    if p.model == "pvpanic":
        return device_arg("pvpanic-pci", {"id": p.alias, **pci_props(p, ctx)})
    if p.model != "isa":
        raise fail("unsupported-device", f"panic model '{p.model}' does not exist on x86", p.span)
    props = {}
    a = p.address
    if a is not None and getattr(a, "type", None) == "isa" and a.get("iobase"):
        try:
            props["ioport"] = int(a.get("iobase"))
        except ValueError:
            raise fail("bad-number", f"isa iobase {a.get('iobase')!r} is not a hex number",
                       p.span) from None
        if not 0 <= props["ioport"] <= 0xFFFF:
            raise fail("number-range", f"isa iobase {a.get('iobase')!r} is outside 0-0xffff",
                       p.span)
    return device_arg("pvpanic", props)


PANIC = DeviceKind(tag="panic", cls=Panic, from_xml=panic_from_xml, emit=panic_emit,
                   wants_pci=lambda p, dom: p.model == "pvpanic",
                   pci_group=lambda d: PciGroup.IOMMU,
                   pci_connect=lambda p: PciConnect.PCI_INTEGRATED if p.model == "pvpanic"
                   else PciConnect.PCI)

# ------------------------------------------------------------------ sound

SOUND_DRIVERS = {"es1370": "ES1370", "ac97": "AC97", "ich6": "intel-hda", "ich9": "ich9-intel-hda",
                 "sb16": "sb16", "usb": "usb-audio", "ich7": "intel-hda"}
CODEC_DRIVERS = {"duplex": "hda-duplex", "micro": "hda-micro", "output": "hda-output"}


@frozen(kw_only=True)
class Sound(Device):
    tag = "sound"
    model: str
    codecs: tuple[str, ...] = ()


def sound_from_xml(r: Reader) -> Sound:
    model = r.attr_choice("model", tuple(SOUND_DRIVERS) + ("pcspk",))
    codecs = tuple(c.attr_choice("type", tuple(CODEC_DRIVERS), "duplex") for c in r.children("codec"))
    return Sound(model=model, codecs=codecs, **read_common(r))


def sound_emit(s: Sound, ctx: EmitCtx) -> list[str]:
    if s.model == "pcspk":
        return []  # machine property, see emit.argv
    props = {"id": s.alias, **pci_props(s, ctx)}
    if s.model not in ("ich6", "ich9", "ich7"):
        props["audiodev"] = "audio1"
    props.update(usb_props(s, ctx))
    argv = device_arg(SOUND_DRIVERS[s.model], props)
    if s.model in ("ich6", "ich9", "ich7"):
        for n, codec in enumerate(s.codecs or ("duplex",)):
            argv += device_arg(CODEC_DRIVERS[codec], {"id": f"{s.alias}-codec{n}",
                                                      "bus": f"{s.alias}.0", "cad": n,
                                                      "audiodev": "audio1"})
    return argv


SOUND = DeviceKind(tag="sound", cls=Sound, from_xml=sound_from_xml, emit=sound_emit,
                   wants_pci=lambda s, dom: s.model not in ("sb16", "pcspk", "usb"),
                   wants_usb=lambda s, dom: s.model == "usb",
                   pci_group=lambda d: PciGroup.SOUND, alias=lambda s, n, dom: f"sound{n}",
                   pci_connect=lambda s: PciConnect.PCI)

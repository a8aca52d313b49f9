"""<graphics> (-vnc, -spice, -display) and <audio> (-audiodev)."""

from __future__ import annotations

from ..record import frozen

from ..model import Device
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, qjson, read_common
from .chardev import qemu_opt_value
from .sound import Sound

TYPES = ("vnc", "spice", "sdl", "egl-headless", "dbus", "rdp", "desktop")


@frozen(kw_only=True)
class Graphics(Device):
    tag = "graphics"
    type: str
    port: int | None = None
    autoport: bool | None = None
    listen: str | None = None
    socket: str | None = None
    passwd: str | None = None
    keymap: str | None = None
    gl: bool = False


def graphics_from_xml(r: Reader) -> Graphics:
    t = r.attr_choice("type", TYPES)
    listen = r.attr("listen")
    socket = r.attr("socket")
    for lst in r.children("listen"):
        if lst.attr("type") == "address" and lst.attr("address"):
            listen = lst.attr("address")
        elif lst.attr("type") == "socket" and lst.attr("socket"):
            socket = lst.attr("socket")
    port = r.attr("port")
    return Graphics(type=t, port=None if port in (None, "-1") else r.attr_int("port", hi=65535),
                    autoport=r.attr_bool("autoport"), listen=listen, socket=socket,
                    passwd=r.attr("passwd"), keymap=r.attr("keymap"),
                    gl=bool(r.child("gl") is not None and r.child("gl").attr_bool("enable")),
                    **read_common(r))


def _host(listen: str | None) -> str:
    h = listen or "127.0.0.1"
    return qemu_opt_value(f"[{h}]" if ":" in h else h)


# the types QEMU shows: vnc and spice as servers, the others through -display
EMITTED = ("vnc", "spice", "sdl", "egl-headless", "dbus")


def graphics_validate(g: Graphics, dom, diag) -> None:
    if g.type not in EMITTED:
        diag.error("unsupported-device", f"graphics type '{g.type}' is not supported by QEMU",
                   g.span)
    gfx = dom.devices_of(Graphics)
    egl = [x for x in gfx if x.type == "egl-headless"]
    if not egl or egl[0] is not g:
        return  # the combination is checked once, at the first egl-headless
    others = [x for x in gfx if x.type != "egl-headless"]
    if any(x.type not in ("vnc", "spice") for x in others):
        diag.error("unsupported-graphics", "graphics type 'egl-headless' can only be combined "
                   "with 'vnc' or 'spice' graphics", g.span)
    if len(egl) > 1 or any(x.gl for x in others):
        diag.error("unsupported-graphics", "QEMU supports only one OpenGL display: "
                   "'egl-headless' cannot be combined with another GL display", g.span)


def graphics_emit(g: Graphics, ctx: EmitCtx) -> list[str]:
    if g.type == "vnc":
        if g.socket:
            # libvirt's form: the explicit key keeps an '=' in the path out of the key
            value = f"vnc=unix:{qemu_opt_value(g.socket)}"
        elif g.port is not None and g.port >= 5900 and not g.autoport:
            value = f"{_host(g.listen)}:{g.port - 5900}"
        else:
            # autoport: QEMU itself picks the first free display from 0 to 99
            value = f"{_host(g.listen)}:0,to=99"
        if "=" in value.split(",")[0] and not value.startswith("vnc="):
            value = "vnc=" + value  # QemuOpts would read 'host=...' as a key
        if g.passwd:
            value += ",password=on"
        return ["-vnc", f"{value},audiodev=audio1"]
    if g.type == "spice":
        opts = []
        if g.port is not None:
            opts.append(f"port={g.port}")
        elif not g.socket:
            opts.append("port=0" if g.autoport is False else "port=5900")
        if g.socket:
            opts.append(f"unix=on,addr={qemu_opt_value(g.socket)}")
        elif g.listen:
            opts.append(f"addr={qemu_opt_value(g.listen)}")
        if not g.passwd:
            opts.append("disable-ticketing=on")
        opts.append("seamless-migration=on")
        return ["-spice", ",".join(opts)]
    assert g.type in EMITTED, g.type
    return []  # sdl, egl-headless, dbus: folded into -display, see emit.argv


GRAPHICS = DeviceKind(tag="graphics", cls=Graphics, from_xml=graphics_from_xml,
                      emit=graphics_emit, validate=graphics_validate, pci_group=lambda d: PciGroup.NONE,
                      pci_connect=lambda d: PciConnect.NONE)

AUDIO_DRIVERS = ("none", "alsa", "coreaudio", "jack", "oss", "pulseaudio", "sdl", "spice", "file",
                 "dbus", "pipewire")


@frozen(kw_only=True)
class Audio(Device):
    tag = "audio"
    id: int = 1
    type: str = "none"
    path: str | None = None


def audio_from_xml(r: Reader) -> Audio:
    t = r.attr_choice("type", AUDIO_DRIVERS, "none")
    return Audio(id=r.attr_int("id", 1, lo=1), type=t, path=r.attr("path"), **read_common(r))


def audio_emit(a: Audio, ctx: EmitCtx) -> list[str]:
    drv = {"pulseaudio": "pa", "file": "wav"}.get(a.type, a.type)  # QEMU names
    obj = {"id": f"audio{a.id}", "driver": drv}
    if a.type == "file" and a.path:
        obj["path"] = a.path
    return ["-audiodev", qjson(obj)]


def default_audio(ctx: EmitCtx) -> list[str]:
    """Without an <audio>, libvirt still gives QEMU one backend: 'spice' with SPICE
    graphics, else 'none' -- unless every display is one that carries no audio
    (egl-headless, dbus, rdp) and no sound card needs a backend."""
    graphics = ctx.dom.devices_of(Graphics)
    if graphics and not ctx.dom.devices_of(Sound) and \
            not any(g.type in ("vnc", "spice", "sdl") for g in graphics):
        return []
    spice = any(g.type == "spice" for g in graphics)
    return ["-audiodev", qjson({"id": "audio1", "driver": "spice" if spice else "none"})]


AUDIO = DeviceKind(tag="audio", cls=Audio, from_xml=audio_from_xml, emit=audio_emit,
                   pci_group=lambda d: PciGroup.NONE, pci_connect=lambda d: PciConnect.NONE,
                   emit_absent=default_audio)

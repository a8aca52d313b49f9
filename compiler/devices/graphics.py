"""<graphics> (-vnc, -spice, -display) and <audio> (-audiodev)."""

from __future__ import annotations

from ..record import frozen

from ..model import Device
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, qjson, read_common
from .chardev import qemu_opt_value
from .audiodev import check_audio_ref, first_audio_id, read_direction, read_sdl_driver, read_top
from .sound import Sound
from .spice import FIRST_PORT, LAST_PORT, Spice, check_spice, read_spice, spice_value, \
    tls_placeholder

TYPES = ("vnc", "spice", "sdl", "egl-headless", "dbus", "rdp", "desktop")


@frozen(kw_only=True)
class Graphics(Device):
    tag = "graphics"
    type: str
    port: int | None = None
    autoport: bool | None = None
    listen_type: str = "address"  # address | socket | none (libvirt's first <listen>)
    listen: str | None = None
    socket: str | None = None
    passwd: str | None = None
    passwd_valid_to: str | None = None
    keymap: str | None = None
    gl: bool = False
    rendernode: str | None = None
    x_display: str | None = None  # SDL: DISPLAY and XAUTHORITY in QEMU's environment
    xauth: str | None = None
    fullscreen: bool | None = None
    spice: Spice | None = None
    websocket: int | None = None  # VNC: -1 = chosen at start
    share_policy: str | None = None
    power_control: bool | None = None
    audio_id: int | None = None  # <audio id=N/>: the backend VNC sends sound to


LISTEN_TYPES = ("address", "network", "socket", "none")
SHARE_POLICIES = ("allow-exclusive", "force-shared", "ignore")


def _read_listen(r: Reader) -> tuple[str, str | None, str | None]:
    """(type, address, socket) of the graphics' listen: libvirt's first <listen>, which
    the old 'listen' attribute must agree with."""
    attr = r.attr("listen")
    socket = r.attr("socket")
    listens = list(r.children("listen"))
    if len(listens) > 1:
        raise listens[1].error("unsupported-graphics", "QEMU takes one listen address per "
                               "graphics device; remove all but one <listen>")
    if not listens:
        return ("socket" if socket else "address"), attr, socket
    lst = listens[0]
    ltype = lst.attr_choice("type", LISTEN_TYPES) or lst.require("type")
    if ltype == "network":
        lst.attr("address")  # what libvirt found in the network: it looks again
        raise lst.error("unsupported-graphics", f"<listen type='network' network="
                        f"'{lst.attr('network') or ''}'>: the address comes from libvirt's "
                        "network daemon, which domc does not have; give <listen "
                        "type='address' address=.../>")
    if ltype == "address":
        address = lst.attr("address")
        if attr is not None and address is not None and attr != address:
            raise lst.error("unsupported-graphics", f"the graphics' listen='{attr}' does not "
                            f"match the address '{address}' of its <listen>")
        return "address", address or attr, None
    if ltype == "socket":
        return "socket", None, lst.attr("socket") or socket
    return "none", None, None


def graphics_from_xml(r: Reader) -> Graphics:
    t = r.attr_choice("type", TYPES)
    listen_type, listen, socket = _read_listen(r)
    port = r.attr("port")
    autoport = r.attr_bool("autoport")
    gl = r.child("gl")
    spice = read_spice(r, autoport) if t == "spice" else None
    audio = r.child("audio") if t == "vnc" else None
    ws = r.attr("websocket") if t == "vnc" else None
    r.attr("connected")  # what a password change does to connected clients: a runtime call
    return Graphics(type=t, port=None if port in (None, "-1") else r.attr_int("port", hi=65535),
                    autoport=autoport, listen_type=listen_type, listen=listen, socket=socket,
                    passwd=r.attr("passwd"), passwd_valid_to=r.attr("passwdValidTo"),
                    keymap=r.attr("keymap"),
                    gl=bool(gl is not None and gl.attr_bool("enable")),
                    rendernode=gl.attr("rendernode") if gl is not None else None,
                    spice=spice,
                    websocket=None if ws is None else -1 if ws.strip() == "-1"
                    else r.attr_int("websocket", hi=65535),
                    share_policy=r.attr_choice("sharePolicy", SHARE_POLICIES)
                    if t == "vnc" else None,
                    power_control=r.attr_bool("powerControl") if t == "vnc" else None,
                    audio_id=audio.attr_int("id", lo=1) if audio is not None else None,
                    x_display=r.attr("display") if t == "sdl" else None,
                    xauth=r.attr("xauth") if t == "sdl" else None,
                    fullscreen=r.attr_bool("fullscreen") if t == "sdl" else None,
                    **read_common(r))


def _host(listen: str | None) -> str:
    h = listen or "127.0.0.1"
    return qemu_opt_value(f"[{h}]" if ":" in h else h)


# the types QEMU shows: vnc and spice as servers, the others through -display
EMITTED = ("vnc", "spice", "sdl", "egl-headless", "dbus")
# where VNC and SPICE put an automatic unix socket (libvirt: its per-domain state dir)
GRAPHICS_DIR = "/run/domc/graphics"
# the first port of libvirt's websocket range (remote_websocket_port_min)
FIRST_WEBSOCKET = 5700


def graphics_validate(g: Graphics, dom, diag) -> None:
    if g.type not in EMITTED:
        diag.error("unsupported-device", f"graphics type '{g.type}' is not supported by QEMU",
                   g.span)
    _validate_ports(g, dom, diag)
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


def _validate_ports(g: Graphics, dom, diag) -> None:
    """Ports, passwords and audio of VNC and SPICE (libvirt's qemu_validate checks)."""
    if g.type == "vnc" and g.listen_type == "address" and not g.autoport and \
            g.port is not None and not FIRST_PORT <= g.port <= LAST_PORT:
        diag.error("graphics-port", f"VNC port {g.port} is outside {FIRST_PORT}..{LAST_PORT} "
                   "(display 0 is port 5900)", g.span)
    if g.type == "vnc" and g.listen_type == "address" and g.autoport is False and \
            g.port is None:
        diag.error("graphics-port", "VNC with autoport='no' needs a port "
                   f"({FIRST_PORT}..{LAST_PORT})", g.span)
    if g.spice is not None:
        check_spice(g.spice, g.span, g.listen_type, diag)
    if g.type == "spice" and sum(1 for x in dom.devices_of(Graphics) if x.type == "spice") > 1:
        diag.error("unsupported-graphics", "QEMU runs one SPICE server: only one <graphics "
                   "type='spice'> is possible", g.span)
    if g.passwd is not None and g.type in ("vnc", "spice"):
        expiry = f", nor its expiry {g.passwd_valid_to}" if g.passwd_valid_to else ""
        diag.warning("graphics-password", f"{g.type.upper()} password: a password never goes "
                     "on a command line (libvirt sets it over QMP once QEMU runs); domc does "
                     f"not set it{expiry}, so no client gets in until it is set with QMP "
                     "set_password", g.span)
    check_audio_ref(g.audio_id, "VNC graphics", dom.devices, g.span, diag)


def socket_path(g: Graphics, dom) -> str:
    """The unix socket of a graphics listening on one: the XML's, else one named after
    the domain (libvirt puts it in its state directory)."""
    if g.socket:
        return g.socket
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in dom.name)
    return f"{GRAPHICS_DIR}/{safe}/{g.type}.sock"


def _vnc_value(g: Graphics, ctx: EmitCtx) -> str:
    if g.listen_type == "socket":
        # libvirt's form: the explicit key keeps an '=' in the path out of the key
        value = f"vnc=unix:{qemu_opt_value(socket_path(g, ctx.dom))}"
    elif g.listen_type == "none":
        value = "none"
    elif g.port is not None and not g.autoport:
        value = f"{_host(g.listen)}:{g.port - FIRST_PORT}"
    else:
        # autoport: QEMU itself picks the first free display from 0 to 99
        value = f"{_host(g.listen)}:0,to=99"
    if "=" in value.split(",")[0] and not value.startswith("vnc="):
        value = "vnc=" + value  # QemuOpts would read 'host=...' as a key
    if g.websocket is not None:
        value += f",websocket={FIRST_WEBSOCKET if g.websocket == -1 else g.websocket}"
    if g.share_policy is not None:
        value += f",share={g.share_policy}"
    if g.passwd:
        value += ",password=on"
    if g.power_control:
        value += ",power-control=on"
    return f"{value},audiodev=audio{g.audio_id or first_audio_id(ctx.dom.devices)}"


def graphics_emit(g: Graphics, ctx: EmitCtx) -> list[str]:
    keymap = ["-k", g.keymap] if g.keymap and g.type in ("vnc", "spice") else []
    if g.type == "vnc":
        return ["-vnc", _vnc_value(g, ctx)] + keymap
    if g.type == "spice":
        assert g.spice is not None
        sock = socket_path(g, ctx.dom) if g.listen_type == "socket" else None
        return ["-spice", spice_value(g.spice, g.listen_type, g.listen, sock, g.gl,
                                      bool(g.passwd))] + keymap
    if g.type == "sdl":
        full = ["-full-screen"] if g.fullscreen else []
        return full + ["-display", "sdl,gl=on" if g.gl else "sdl"]
    if g.type == "egl-headless":
        node = f",rendernode={qemu_opt_value(g.rendernode)}" if g.rendernode else ""
        return ["-display", f"egl-headless{node}"]
    assert g.type == "dbus", g.type
    return ["-display", "dbus"]


def graphics_env(dom) -> tuple[tuple[str, str], ...]:
    """SDL's X display and its authority file (libvirt sets XAUTHORITY, then DISPLAY)."""
    out = []
    for g in dom.devices_of(Graphics):
        if g.xauth:
            out.append(("XAUTHORITY", g.xauth))
        if g.x_display:
            out.append(("DISPLAY", g.x_display))
    return tuple(out)


@frozen
class AutoPort:
    """A port the guest's launcher chooses when it starts (QEMU's SPICE server and VNC
    websocket cannot search for a free one, as VNC's own display search does): in the
    argument of ``option``, ``key=placeholder`` becomes the first port from ``first``
    to ``last`` that nothing listens on.  libvirt allocates these as it starts QEMU."""

    option: str
    key: str
    placeholder: int
    first: int
    last: int
    avoid: tuple[int, ...] = ()  # ports the same server takes as written


def autoports(dom) -> tuple[AutoPort, ...]:
    out = []
    for g in dom.devices_of(Graphics):
        if g.spice is not None and g.listen_type == "address":
            if g.spice.port == -1:
                out.append(AutoPort("-spice", "port", FIRST_PORT, FIRST_PORT, LAST_PORT))
            if g.spice.tls_port == -1:
                fixed = (g.spice.port,) if g.spice.port > 0 else ()
                out.append(AutoPort("-spice", "tls-port", tls_placeholder(g.spice), FIRST_PORT,
                                    LAST_PORT, fixed))
        if g.type == "vnc" and g.websocket == -1:
            fixed = (g.port,) if g.port is not None and not g.autoport else ()
            out.append(AutoPort("-vnc", "websocket", FIRST_WEBSOCKET, FIRST_WEBSOCKET,
                                LAST_PORT, fixed))
    return tuple(out)


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
    top: tuple = ()  # (QEMU key, value) of timerPeriod and the backend's own attributes
    input: tuple = ()  # (QEMU key, value) of <input>, QEMU's "in"
    output: tuple = ()  # ... of <output>, "out"
    sdl_driver: str | None = None  # SDL_AUDIODRIVER in QEMU's environment


def audio_from_xml(r: Reader) -> Audio:
    t = r.attr_choice("type", AUDIO_DRIVERS, "none")
    return Audio(id=r.attr_int("id", 1, lo=1), type=t, top=read_top(r, t),
                 input=read_direction(r.child("input"), t),
                 output=read_direction(r.child("output"), t),
                 sdl_driver=read_sdl_driver(r, t), **read_common(r))


def audio_emit(a: Audio, ctx: EmitCtx) -> list[str]:
    drv = {"pulseaudio": "pa", "file": "wav"}.get(a.type, a.type)  # QEMU names
    obj = {"id": f"audio{a.id}", "driver": drv, **dict(a.top)}
    if a.input:
        obj["in"] = dict(a.input)
    if a.output:
        obj["out"] = dict(a.output)
    return ["-audiodev", qjson(obj)]


def audio_env(dom) -> tuple[tuple[str, str], ...]:
    """The environment the backends need: SDL's audio driver (libvirt's
    SDL_AUDIODRIVER)."""
    return tuple(("SDL_AUDIODRIVER", a.sdl_driver) for a in dom.devices_of(Audio)
                 if a.sdl_driver)[:1]


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

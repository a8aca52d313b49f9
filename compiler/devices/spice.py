"""The SPICE server of <graphics type='spice'>: its ports, TLS, channels and options.

libvirt 9.0 (qemuBuildGraphicsSPICECommandLine, qemuProcessSPICEAllocatePorts) with
Debian's qemu.conf defaults, except for TLS:

* ports: ``autoport='yes'`` (or the legacy ``port='-1' tlsPort='-1'``) drops the ports
  written and asks for a plain port, and a TLS port when a channel or defaultMode
  is 'secure'; an explicit ``-1`` asks for that one port.  Asked-for ports are
  chosen when the guest starts (see :func:`compiler.devices.graphics.autoports`);
  the argv carries the first of libvirt's range, 5900.  With no port at all the
  server listens nowhere (``port=0``).
* listen: 127.0.0.1 unless the XML gives an address (libvirt's spice_listen
  default); a unix socket; or none.
* TLS: libvirt reads spice_tls from qemu.conf (Debian: off, and a tlsPort is then
  refused).  domc has no qemu.conf: it uses TLS exactly when the XML asks for it
  (a tlsPort, a secure channel or defaultMode), with the certificates in libvirt's
  default directory /etc/pki/qemu, and never for what the XML leaves open (an
  autoport domain whose channels may use 'any' mode gets a plain port only, as with
  spice_tls off).
"""

from __future__ import annotations

from ..record import frozen

from ..xmlread import Reader
from .chardev import qemu_opt_value

# libvirt's virDomainGraphicsSpiceChannelName and the mode values
CHANNELS = ("main", "display", "inputs", "cursor", "playback", "record", "smartcard", "usbredir")
MODES = ("any", "secure", "insecure")
IMAGE = ("auto_glz", "auto_lz", "quic", "glz", "lz", "off")
JPEG = ("auto", "never", "always")
ZLIB = ("auto", "never", "always")
STREAMING = ("filter", "all", "off")
MOUSE = ("server", "client")
# libvirt's default spice_tls_x509_cert_dir (its default_tls_x509_cert_dir)
TLS_X509_DIR = "/etc/pki/qemu"
# the first port of libvirt's remote_display_port_min..max range
FIRST_PORT, LAST_PORT = 5900, 65535


@frozen
class Spice:
    """What a SPICE <graphics> says beyond its listen address (graphics.Graphics)."""

    port: int = 0  # 0: none; -1: chosen at start
    tls_port: int = 0
    default_mode: str = "any"
    channels: tuple[tuple[str, str], ...] = ()  # (name, mode) in document order
    image: str | None = None
    jpeg: str | None = None
    zlib: str | None = None
    playback: bool | None = None
    streaming: str | None = None
    copypaste: bool | None = None
    filetransfer: bool | None = None
    mouse: str | None = None
    rendernode: str | None = None

    @property
    def wants_tls(self) -> bool:
        return self.tls_port != 0


def _port(r: Reader, name: str) -> int | None:
    v = r.attr(name)
    if v is None:
        return None
    return -1 if v.strip() == "-1" else r.attr_int(name, hi=65535)


def read_spice(r: Reader, autoport: bool | None) -> Spice:
    """The SPICE part of a <graphics type='spice'> element.  ``port`` and ``tlsPort``
    are settled here (autoport, the legacy -1 pair, the channels' needs)."""
    port, tls = _port(r, "port"), _port(r, "tlsPort")
    default = r.attr_choice("defaultMode", MODES, "any")
    channels = tuple((c.attr_choice("name", CHANNELS) or c.require("name"),
                      c.attr_choice("mode", MODES) or c.require("mode"))
                     for c in r.children("channel"))

    def child(tag: str, attr: str, choices):
        c = r.child(tag)
        return None if c is None else c.attr_choice(attr, choices) or c.require(attr)

    playback = r.child("playback")
    clip = r.child("clipboard")
    ft = r.child("filetransfer")
    gl = r.child("gl")
    if autoport or (port == -1 and tls == -1):
        # libvirt drops written ports: the channels decide which are needed
        modes = [m for _, m in channels]
        need_tls = "secure" in modes or default == "secure"
        need_plain = "insecure" in modes or default in ("any", "insecure")
        port, tls = (-1 if need_plain else 0), (-1 if need_tls else 0)
    return Spice(
        port=port or 0, tls_port=tls or 0, default_mode=default, channels=channels,
        image=child("image", "compression", IMAGE),
        jpeg=child("jpeg", "compression", JPEG),
        zlib=child("zlib", "compression", ZLIB),
        playback=None if playback is None else playback.attr_bool("compression"),
        streaming=child("streaming", "mode", STREAMING),
        copypaste=None if clip is None else clip.attr_bool("copypaste"),
        filetransfer=None if ft is None else ft.attr_bool("enable"),
        mouse=child("mouse", "mode", MOUSE),
        rendernode=gl.attr("rendernode") if gl is not None else None,
    )


def check_spice(s: Spice, span, listen_type: str, diag) -> None:
    """libvirt's checks of the SPICE options (qemuValidateDomainDeviceDefSPICEGraphics)."""
    secure = [n for n, m in s.channels if m == "secure"] + \
        (["default"] if s.default_mode == "secure" else [])
    if secure and s.tls_port == 0 and listen_type == "address":
        diag.error("spice-tls", f"SPICE channel {secure[0]!r} is 'secure', but the graphics "
                   "has no TLS port (give tlsPort or autoport='yes')", span)


def tls_placeholder(s: Spice) -> int:
    """The TLS port the argv names until the launcher chooses one: libvirt's first,
    or the one after it when the plain port is chosen too."""
    return FIRST_PORT + 1 if s.port == -1 else FIRST_PORT


def spice_value(s: Spice, listen_type: str, listen: str | None, socket: str | None,
                gl: bool, passwd: bool) -> str:
    """The -spice argument, options in libvirt's order."""
    q = qemu_opt_value
    opts = []
    if listen_type == "socket":
        opts.append(f"unix=on,addr={q(socket or '')}")
    elif listen_type == "none" or (s.port == 0 and s.tls_port == 0):
        opts.append("port=0")
    else:
        if s.port:
            opts.append(f"port={FIRST_PORT if s.port == -1 else s.port}")
        if s.tls_port:
            opts.append(f"tls-port={tls_placeholder(s) if s.tls_port == -1 else s.tls_port}")
        opts.append(f"addr={q(listen or '127.0.0.1')}")
    if s.mouse is not None:
        opts.append(f"agent-mouse={'on' if s.mouse == 'client' else 'off'}")
    if not passwd:
        opts.append("disable-ticketing=on")
    if s.wants_tls and listen_type == "address":
        opts.append(f"x509-dir={TLS_X509_DIR}")
    if s.default_mode != "any":
        opts.append(f"{'tls' if s.default_mode == 'secure' else 'plaintext'}-channel=default")
    for name, mode in s.channels:
        if mode != "any":
            opts.append(f"{'tls' if mode == 'secure' else 'plaintext'}-channel={name}")
    if s.image is not None:
        opts.append(f"image-compression={s.image}")
    if s.jpeg is not None:
        opts.append(f"jpeg-wan-compression={s.jpeg}")
    if s.zlib is not None:
        opts.append(f"zlib-glz-wan-compression={s.zlib}")
    if s.playback is not None:
        opts.append(f"playback-compression={'on' if s.playback else 'off'}")
    if s.streaming is not None:
        opts.append(f"streaming-video={s.streaming}")
    if s.copypaste is False:
        opts.append("disable-copy-paste=on")
    if s.filetransfer is False:
        opts.append("disable-agent-file-xfer=on")
    if gl:
        opts.append("gl=on")
        if s.rendernode:
            opts.append(f"rendernode={q(s.rendernode)}")
    opts.append("seamless-migration=on")
    return ",".join(opts)

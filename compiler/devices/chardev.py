"""Character devices: <serial>, <console>, <channel>, <parallel>, and their -chardev backends."""

from __future__ import annotations

from ..record import evolve, frozen

from ..model import Device, MachineFamily
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, UsbOrder, XNode, device_arg, \
    pci_props, qjson, read_common, usb_props, xnode

BACKENDS = ("pty", "file", "null", "vc", "stdio", "pipe", "dev", "tcp", "udp", "unix",
            "spicevmc", "spiceport", "qemu-vdagent", "nmdm")


def qemu_opt_value(value: str) -> str:
    """A value inside a QemuOpts string: commas doubled so QEMU reads one value."""
    return value.replace(",", ",,")


@frozen
class CharSource:
    type: str = "pty"
    path: str | None = None
    mode: str | None = None  # bind | connect
    host: str | None = None
    service: str | None = None
    local_host: str | None = None  # udp: the bind side
    local_service: str | None = None
    append: bool | None = None
    telnet: bool = False
    channel_name: str | None = None  # spiceport / spicevmc name
    chosen: bool = False  # the path is one the compile chose, not the user's
    log_file: str | None = None  # <log file= append=>: QEMU copies the output there
    log_append: bool | None = None
    clipboard: bool | None = None  # qemu-vdagent: <clipboard copypaste=>, <mouse mode=>
    agent_mouse: bool | None = None


def read_char_source(r: Reader) -> CharSource:
    ctype = r.attr_choice("type", BACKENDS, "pty")
    path = host = service = lhost = lservice = mode = None
    append = None
    for s in r.children("source"):
        smode = s.attr("mode")
        if s.attr("path") is not None:
            path = s.attr("path")
        if s.attr("append") is not None:
            append = s.attr_bool("append")
        if ctype == "udp" and smode == "bind":
            lhost, lservice = s.attr("host"), s.attr("service")
            continue
        if s.attr("host") is not None:
            host = s.attr("host")
        if s.attr("service") is not None:
            service = s.attr("service")
        if s.attr("channel") is not None:
            host = s.attr("channel")
        mode = smode or mode
    proto = r.child("protocol")
    telnet = proto is not None and proto.attr("type") in ("telnet", "telnets")
    return evolve(CharSource(ctype, path, mode, host, service, lhost, lservice, append, telnet),
                  **read_char_extras(r, ctype))


def read_char_extras(r: Reader, ctype: str) -> dict:
    """The chardev's <log> and a qemu-vdagent's clipboard and mouse (libvirt 9.0's
    qemuBuildChardevStr): CharSource fields."""
    out: dict = {}
    log = r.child("log")
    if log is not None:
        out["log_file"] = log.require("file")
        out["log_append"] = log.attr_bool("append")
    if ctype == "qemu-vdagent":
        for s in r.children("source"):
            clip, mouse = s.child("clipboard"), s.child("mouse")
            if clip is not None:
                out["clipboard"] = clip.attr_bool("copypaste")
            if mouse is not None:
                out["agent_mouse"] = mouse.attr_choice("mode", ("client", "server")) == "client"
    return out


def _log_opts(src: CharSource) -> str:
    q = qemu_opt_value
    out = f",logfile={q(src.log_file)}" if src.log_file else ""
    if src.log_file and src.log_append is not None:
        out += f",logappend={'on' if src.log_append else 'off'}"
    return out


# chardev types whose backend opens a path, and the QEMU backends they become
PATH_TYPES = ("file", "pipe", "dev", "unix")
SPICE_TYPES = ("spicevmc", "spiceport")
EMITTED_TYPES = ("pty", "null", "vc", "stdio", "file", "pipe", "dev", "tcp", "udp", "unix",
                 "spicevmc", "spiceport", "qemu-vdagent")


def check_char_source(src: CharSource, span, dom, diag, *,
                      path_chosen_later: bool = False) -> None:
    """The checks of a chardev source that chardev_value relies on, reported to ``diag``.
    ``path_chosen_later``: a pass gives this source its socket path (a guest-agent
    channel), so a missing path is not an error."""
    if src.type not in EMITTED_TYPES:
        diag.error("unsupported-chardev", f"chardev type '{src.type}' is not supported by domc "
                   "yet", span)
    elif src.type in PATH_TYPES and not src.path and not path_chosen_later:
        diag.error("chardev-source", f"chardev type '{src.type}' needs <source path=.../>", span)
    elif src.type in SPICE_TYPES and not any(getattr(g, "type", None) == "spice"
                                             for g in dom.devices if g.kind_tag == "graphics"):
        # the channel is carried by the SPICE server; libvirt 9.0 refuses it too
        diag.error("chardev-source", f"chardev type '{src.type}' needs <graphics type='spice'>",
                   span)


def chardev_value(cid: str, src: CharSource, ctx: EmitCtx, span, *,
                  spicevmc: str = "vdagent") -> str:
    """The -chardev argument: the backend's options, then its log file."""
    return _backend_value(cid, src, ctx, span, spicevmc=spicevmc) + _log_opts(src)


def _backend_value(cid: str, src: CharSource, ctx: EmitCtx, span, *,
                   spicevmc: str = "vdagent") -> str:
    """The -chardev backend options (QemuOpts syntax, values escaped), for a source
    check_char_source accepted (``span``: where the source is, for a failed assert).
    ``spicevmc`` names the SPICE channel a spicevmc source joins (the agent's, or
    e.g. the smartcard's)."""
    q = qemu_opt_value
    t = src.type
    if t in ("pty", "null", "vc", "stdio"):
        return f"{t},id={cid}"
    if t in ("file", "pipe", "dev"):
        assert src.path, f"{span}: checked by check_char_source"
        backend = {"file": "file", "pipe": "pipe", "dev": "serial"}[t]
        out = f"{backend},id={cid},path={q(src.path)}"
        if t == "file" and src.append is not None:
            out += f",append={'on' if src.append else 'off'}"
        return out
    if t == "tcp":
        out = f"socket,id={cid},host={q(src.host or '127.0.0.1')},port={q(src.service or '0')}"
        if src.telnet:
            out += ",telnet=on"
        if src.mode == "bind":
            out += ",server=on,wait=off"
        return out
    if t == "udp":
        out = f"udp,id={cid},host={q(src.host or '')},port={q(src.service or '0')}"
        if src.local_host or src.local_service:
            out += f",localaddr={q(src.local_host or '')},localport={q(src.local_service or '0')}"
        return out
    if t == "unix":
        assert src.path, f"{span}: checked by check_char_source"
        out = f"socket,id={cid},path={q(src.path)}"
        if src.mode == "bind":
            out += ",server=on,wait=off"
        return out
    if t == "spicevmc":
        return f"spicevmc,id={cid},name={spicevmc}"
    if t == "spiceport":
        return f"spiceport,id={cid},name={q(src.host or '')}"
    assert t == "qemu-vdagent", f"{span}: chardev type {t!r}: checked by check_char_source"
    out = f"qemu-vdagent,id={cid},name=vdagent"
    if src.clipboard is not None:
        out += f",clipboard={'on' if src.clipboard else 'off'}"
    if src.agent_mouse is not None:
        out += f",mouse={'on' if src.agent_mouse else 'off'}"
    return out


@frozen(kw_only=True)
class CharDevice(Device):
    tag = "serial"

    element: str  # serial | console | channel | parallel
    source: CharSource
    target_type: str | None = None
    target_port: int | None = None
    target_name: str | None = None
    target_model: str | None = None
    target_address: str | None = None  # guestfwd: the guest-side IP

    @property
    def kind_tag(self) -> str:
        return self.element

    def describe(self) -> str:
        return f"{self.element} {self.target_port if self.target_port is not None else ''}".strip()


def _from_xml(element: str):
    def read(r: Reader) -> CharDevice:
        t = r.child("target")
        model = None
        if t is not None and t.child("model") is not None:
            model = t.child("model").attr("name")
        return CharDevice(
            element=element,
            source=read_char_source(r),
            target_type=t.attr("type") if t is not None else None,
            target_port=t.attr_int("port", hi=65535) if t is not None else None,
            target_name=t.attr("name") if t is not None else None,
            target_address=t.attr("address") if t is not None else None,
            target_model=model,
            **read_common(r),
        )
    return read


def _alias(element: str):
    def alias(d: CharDevice, nth: int, dom) -> str:
        return f"{element}{nth}"
    return alias


def serial_wants_pci(d: CharDevice, dom) -> bool:
    return d.target_type == "pci-serial" or d.target_model == "pci-serial"


def emit_serial(d: CharDevice, ctx: EmitCtx) -> list[str]:
    cid = f"char{d.alias}"
    argv = ["-chardev", chardev_value(cid, d.source, ctx, d.span)]
    if serial_wants_pci(d, ctx.dom):
        return argv + device_arg("pci-serial", {"chardev": cid, "id": d.alias, **pci_props(d, ctx)})
    if d.target_model == "isa-debugcon" or d.target_type == "isa-debug":
        return argv + device_arg("isa-debugcon", {"chardev": cid, "id": d.alias,
                                                 "iobase": int(d.address.get("iobase"), 0)
                                                 if getattr(d.address, "type", None) == "isa"
                                                 and d.address.get("iobase") else None})
    if d.target_type == "usb-serial":
        return argv + device_arg("usb-serial", {"chardev": cid, "id": d.alias, **usb_props(d, ctx)})
    return argv + device_arg("isa-serial", {"chardev": cid, "id": d.alias,
                                           "index": d.target_port or 0, **isa_props(d)})


def isa_props(d: CharDevice) -> dict:
    """iobase and irq of an <address type='isa'> (libvirt 9.0 gives them to isa-serial)."""
    a = d.address
    if getattr(a, "type", None) != "isa":
        return {}
    return {k: int(a.get(k), 0) for k in ("iobase", "irq") if a.get(k)}


def check_parallel_address(d: CharDevice, dom, diag) -> None:
    if getattr(d.address, "type", None) == "isa" and (d.address.get("iobase") or
                                                      d.address.get("irq")):
        diag.warning("parallel-address", f"{d.describe()}: libvirt 9.0 gives isa-parallel no "
                     "iobase or irq, and neither does domc: the port keeps QEMU's address for "
                     "its index", d.span)


def emit_parallel(d: CharDevice, ctx: EmitCtx) -> list[str]:
    cid = f"char{d.alias}"
    return ["-chardev", chardev_value(cid, d.source, ctx, d.span)] + \
        device_arg("isa-parallel", {"chardev": cid, "id": d.alias})


def _virtio_serial_port(d: CharDevice, driver: str, ctx: EmitCtx) -> list[str]:
    cid = f"char{d.alias}"
    props = {}
    a = d.address
    if a is not None and getattr(a, "type", None) == "virtio-serial":
        # read_address reads these as numbers; assign_virtio_serial_ports writes numbers
        ctrl, bus, port = (int(a.get(k, "0"), 0) for k in ("controller", "bus", "port"))
        props["bus"] = f"{ctx.controller_alias('virtio-serial', ctrl)}.{bus}"
        props["nr"] = port
    props["chardev"] = cid
    props["id"] = d.alias
    if d.target_name:
        props["name"] = d.target_name
    elif d.source.type == "spicevmc":
        props["name"] = "com.redhat.spice.0"
    return ["-chardev", chardev_value(cid, d.source, ctx, d.span)] + device_arg(driver, props)


def emit_console(d: CharDevice, ctx: EmitCtx) -> list[str]:
    if d.target_type in (None, "serial"):
        return []  # the same device as the serial it mirrors (see add_implicit_devices)
    assert d.target_type == "virtio", "console target type: checked by validate_console"
    return _virtio_serial_port(d, "virtconsole", ctx)


def emit_channel(d: CharDevice, ctx: EmitCtx) -> list[str]:
    if d.target_type == "virtio":
        return _virtio_serial_port(d, "virtserialport", ctx)
    assert d.target_type == "guestfwd", "channel target type: checked by validate_channel"
    # guest TCP connections to address:port reach the chardev through user networking
    assert d.target_address and d.target_port is not None, "checked by validate_channel"
    cid = f"char{d.alias}"
    fwd = f"tcp:{d.target_address}:{d.target_port}-chardev:{cid}"
    return ["-chardev", chardev_value(cid, d.source, ctx, d.span),
            "-netdev", qjson({"type": "user", "guestfwd": [{"str": fwd}], "id": d.alias})]


# QEMU 7.2's isa-serial: "Max. supported number of ISA serial ports is 4"
ISA_SERIAL_PORTS = 4


def validate_source(d: CharDevice, dom, diag) -> None:
    """<serial>, <parallel>: the backend is emitted as written."""
    check_char_source(d.source, d.span, dom, diag)
    if d.element == "parallel":
        check_parallel_address(d, dom, diag)
    elif _is_isa_serial(d) and not serial_wants_pci(d, dom) \
            and (d.target_port or 0) >= ISA_SERIAL_PORTS:
        diag.error("serial-port", f"serial port {d.target_port}: QEMU has {ISA_SERIAL_PORTS} "
                   f"ISA serial ports, 0 to {ISA_SERIAL_PORTS - 1} (a <serial> without a "
                   "port takes one more than the largest port of the serials, as libvirt "
                   "numbers them)", d.span)


def implied_serial(devices) -> CharDevice | None:
    """The console that brings a serial port of its own (add_implicit_devices adds it,
    with the console's source): the first console, a serial one, when the domain has no
    <serial> at all (with one, libvirt makes the console mirror the first serial port,
    whatever port it names).  Consoles of type serial emit nothing themselves."""
    if any(isinstance(s, CharDevice) and s.element == "serial" for s in devices):
        return None
    first = next((d for d in devices if isinstance(d, CharDevice) and d.element == "console"),
                 None)
    return first if first is not None and first.target_type in (None, "serial") else None


def validate_console(d: CharDevice, dom, diag) -> None:
    first = next(c for c in dom.devices if isinstance(c, CharDevice) and c.element == "console")
    if _is_serial_console(d) and first is not d:
        # it would mirror a serial port; libvirt 9.0 refuses it ("Only the first console
        # can be a serial port")
        diag.error("console-serial", "only the first <console> can be a serial console; "
                   "make this one type='virtio' or write it first", d.span)
        return
    if d.target_type == "virtio":
        check_char_source(d.source, d.span, dom, diag)
    elif d.target_type in (None, "serial"):
        if implied_serial(dom.devices) is d:
            check_char_source(d.source, d.span, dom, diag)
    else:
        diag.error("unsupported-device", f"console target type '{d.target_type}' is not "
                   "supported by domc yet", d.span)


def validate_channel(d: CharDevice, dom, diag) -> None:
    if d.target_type == "virtio":
        # add_implicit_devices gives a unix channel with a target name its socket
        chosen = d.source.type == "unix" and not d.source.path and bool(d.target_name)
        check_char_source(d.source, d.span, dom, diag, path_chosen_later=chosen)
    elif d.target_type == "guestfwd":
        if not d.target_address or d.target_port is None:
            diag.error("channel-target", "a guestfwd channel needs <target address=... "
                       "port=...>", d.span)
        check_char_source(d.source, d.span, dom, diag)
    else:
        diag.error("unsupported-device", f"channel target type '{d.target_type}' is not "
                   "supported by domc yet", d.span)


def serial_group(d) -> PciGroup:
    return PciGroup.SERIAL


def _port_key(d: CharDevice) -> str | None:
    return None if d.target_port is None else str(d.target_port)


SERIAL = DeviceKind(tag="serial", cls=CharDevice, from_xml=_from_xml("serial"), emit=emit_serial,
                    validate=validate_source, wants_pci=serial_wants_pci, pci_group=serial_group, alias=_alias("serial"),
                    wants_usb=lambda d, dom: d.target_type == "usb-serial",
                    usb_order=UsbOrder.SERIAL,
                    pci_connect=lambda c: PciConnect.PCI, lock_key=_port_key)
PARALLEL = DeviceKind(tag="parallel", cls=CharDevice, from_xml=_from_xml("parallel"),
                      emit=emit_parallel, validate=validate_source, alias=_alias("parallel"),
                      pci_group=lambda d: PciGroup.NONE, pci_connect=lambda d: PciConnect.NONE,
                      lock_key=_port_key)
def serial_for_console(devices: tuple, dom, family: MachineFamily) -> tuple:
    """A serial console with no serial port behind it brings one (libvirt lists
    serials before consoles); only the first console is looked at."""
    d = implied_serial(devices)
    if d is None:
        return devices
    at = devices.index(d)
    # the domain's only serial port: port 0, whatever port the console names (libvirt
    # numbers the copy it makes as a serial port of its own)
    new = CharDevice(element="serial", source=d.source, target_port=0, span=d.span)
    return devices[:at] + (new,) + devices[at:]


def _is_serial_console(d: CharDevice) -> bool:
    return d.element == "console" and d.target_type in (None, "serial")


def _is_isa_serial(d: CharDevice) -> bool:
    return d.target_type in (None, "isa-serial") and d.target_model in (None, "isa-serial")


def console_alias(d: CharDevice, nth: int, dom) -> str:
    """console<N>, N its place in libvirt's console list.  A domain whose first serial
    port is an ISA one has a serial console first in that list
    (virDomainDefAddConsoleCompat adds a stub when the first <console> is another
    kind), so a virtio console after an ISA <serial> is console1 -- its chardev
    charconsole1; after a PCI, USB or debug serial port it is console0."""
    consoles = [c for c in dom.devices if isinstance(c, CharDevice) and c.element == "console"]
    serials = [s for s in dom.devices if isinstance(s, CharDevice) and s.element == "serial"]
    stub = bool(serials) and _is_isa_serial(serials[0]) and bool(consoles) \
        and not _is_serial_console(consoles[0])
    return f"console{nth + stub}"


CONSOLE = DeviceKind(tag="console", cls=CharDevice, from_xml=_from_xml("console"),
                     emit=emit_console, validate=validate_console, alias=console_alias,
                     implicit=serial_for_console,
                     pci_group=lambda d: PciGroup.NONE, pci_connect=lambda d: PciConnect.NONE)
def filled_source(d: CharDevice) -> tuple[XNode, ...]:
    """The socket path the compile chose for a channel, as <source mode= path=>."""
    if not d.source.chosen:
        return ()
    return (xnode("source", mode=d.source.mode, path=d.source.path),)


# where unix channels without a path get their socket (libvirt uses its state dir)
CHANNEL_DIR = "/run/domc/channel"


def channel_paths(devices: tuple, dom, family: MachineFamily) -> tuple:
    """A virtio channel of type unix with no path listens on a socket named after the
    domain and the channel's target name, as libvirt does for the guest agent."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in dom.name)
    out = []
    for d in devices:
        if isinstance(d, CharDevice) and d.element == "channel" and d.target_type == "virtio" \
                and d.source.type == "unix" and not d.source.path and d.target_name:
            src = evolve(d.source, path=f"{CHANNEL_DIR}/{safe}/{d.target_name}", mode="bind",
                         chosen=True)
            d = evolve(d, source=src)
        out.append(d)
    return tuple(out)


CHANNEL = DeviceKind(tag="channel", cls=CharDevice, from_xml=_from_xml("channel"),
                     emit=emit_channel, validate=validate_channel, alias=_alias("channel"),
                     filled=filled_source,
                     implicit=channel_paths,
                     pci_group=lambda d: PciGroup.NONE, pci_connect=lambda d: PciConnect.NONE,
                     lock_key=lambda d: d.target_name)

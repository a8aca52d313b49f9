"""What an <interface> says beyond its backend, model and MAC: the virtio-net driver
options, the tap scripts, and port forwarding of user networking.

libvirt 9.0 (qemuBuildNicDevProps, qemuBuildHostNetProps):

* <driver txmode ioeventfd event_idx rx_queue_size tx_queue_size rss rss_hash_report>
  and its <host>/<guest> offload switches are properties of virtio-net (tx=bh|timer,
  host_tso4, guest_csum, ..., hash for rss_hash_report);
* <driver name='vhost'> gives a tap backend the vhost-net accelerator, 'qemu' keeps
  it in QEMU; other backends have no use for the name;
* <script path>/<downscript path> of an ethernet interface run with the tap's name
  when it comes up and goes down (libvirt runs them itself; QEMU's tap backend does
  the same with script=/downscript=).

<portForward> needs libvirt's passt backend, which Debian's libvirt 9.0 does not
have.  domc forwards the ports with QEMU's own user networking (hostfwd), on
127.0.0.1 unless the element gives an address.
"""

from __future__ import annotations

import ipaddress

from ..record import frozen

from ..diagnostics import NOWHERE, Span
from ..xmlread import Reader

TXMODES = {"iothread": "bh", "timer": "timer"}
# <host>/<guest> attribute -> virtio-net property
HOST_OFFLOADS = (("csum", "csum"), ("gso", "gso"), ("tso4", "host_tso4"), ("tso6", "host_tso6"),
                 ("ecn", "host_ecn"), ("ufo", "host_ufo"), ("mrg_rxbuf", "mrg_rxbuf"))
GUEST_OFFLOADS = (("csum", "guest_csum"), ("tso4", "guest_tso4"), ("tso6", "guest_tso6"),
                  ("ecn", "guest_ecn"), ("ufo", "guest_ufo"))
QUEUE_SIZES = (256, 512, 1024)
MAX_FORWARDS = 1024


@frozen
class PortRange:
    start: int
    end: int
    to: int | None
    exclude: bool


@frozen
class PortForward:
    proto: str
    address: str | None
    dev: str | None
    ranges: tuple[PortRange, ...]
    span: Span = NOWHERE


@frozen
class NetOptions:
    backend_name: str | None = None  # <driver name='vhost|qemu'>
    virtio: tuple[tuple[str, object], ...] = ()  # virtio-net properties, libvirt's order
    script: str | None = None
    downscript: str | None = None
    forwards: tuple[PortForward, ...] = ()
    span: Span = NOWHERE  # the <driver>


def _virtio_props(drv: Reader | None) -> tuple[tuple[str, object], ...]:
    if drv is None:
        return ()
    out = []
    tx = drv.attr_choice("txmode", tuple(TXMODES))
    out.append(("tx", TXMODES.get(tx)))
    out.append(("ioeventfd", drv.attr_bool("ioeventfd")))
    out.append(("event_idx", drv.attr_bool("event_idx")))
    host, guest = drv.child("host"), drv.child("guest")
    for el, table in ((host, HOST_OFFLOADS), (guest, GUEST_OFFLOADS)):
        for attr, prop in table:
            out.append((prop, el.attr_bool(attr) if el is not None else None))
    out.append(("rx_queue_size", drv.attr_int("rx_queue_size", hi=1024)))
    out.append(("tx_queue_size", drv.attr_int("tx_queue_size", hi=1024)))
    out.append(("rss", drv.attr_bool("rss")))
    out.append(("hash", drv.attr_bool("rss_hash_report")))
    return tuple((k, v) for k, v in out if v is not None)


def _port(r: Reader, name: str) -> int | None:
    return r.attr_int(name, lo=1, hi=65535)


def _forward(r: Reader) -> PortForward:
    return PortForward(
        proto=r.attr_choice("proto", ("tcp", "udp")) or r.require("proto"),
        address=r.attr("address"), dev=r.attr("dev"),
        ranges=tuple(PortRange(start=_port(x, "start") or int(x.require("start")),
                               end=_port(x, "end") or _port(x, "start"),
                               to=_port(x, "to"), exclude=bool(x.attr_bool("exclude")))
                     for x in r.children("range")),
        span=r.span)


def read_net_options(r: Reader) -> NetOptions:
    drv = r.child("driver")
    script, down = r.child("script"), r.child("downscript")
    be = r.child("backend")
    if be is not None:
        be.attr_choice("type", ("default",))  # passt: not in Debian's libvirt 9.0
    return NetOptions(
        backend_name=drv.attr_choice("name", ("qemu", "vhost")) if drv is not None else None,
        virtio=_virtio_props(drv),
        script=script.require("path") if script is not None else None,
        downscript=down.require("path") if down is not None else None,
        forwards=tuple(_forward(p) for p in r.children("portForward")),
        span=drv.span if drv is not None else r.span,
    )


def forward_rules(forwards) -> list[str]:
    """QEMU hostfwd rules ("tcp:127.0.0.1:2022-:22"): each range's host ports, less
    the excluded ones, to the guest ports from ``to`` (else the same numbers)."""
    rules = []
    for f in forwards:
        excluded = {p for r in f.ranges if r.exclude for p in range(r.start, r.end + 1)}
        addr = f.address or "127.0.0.1"
        for r in f.ranges:
            if r.exclude:
                continue
            for n, port in enumerate(range(r.start, r.end + 1)):
                if port not in excluded:
                    rules.append(f"{f.proto}:{addr}:{port}-:{(r.to or r.start) + n}")
    return rules


def check_net_options(n, virtio: bool, diag) -> None:
    o: NetOptions = n.options
    what = n.describe()
    if o.virtio and not virtio:
        names = ", ".join(k for k, _ in o.virtio)
        diag.error("net-driver", f"{what}: {names}: options of virtio-net, not of the "
                   f"'{n.model}' model", o.span)
    for key in ("rx_queue_size", "tx_queue_size"):
        size = dict(o.virtio).get(key)
        if size is not None and size not in QUEUE_SIZES:
            diag.error("net-driver", f"{what}: {key} must be a power of two from 256 to 1024, "
                       f"not {size}", o.span)
    if (o.script or o.downscript) and n.type != "ethernet":
        diag.error("net-script", f"{what}: scripts run only for interfaces of type "
                   f"'ethernet', not '{n.type}'", n.span)
    for f in o.forwards:
        if n.type != "user":
            diag.error("net-forward", f"{what}: <portForward> forwards to user networking "
                       f"only, not to type '{n.type}'", f.span)
        if f.dev is not None:
            diag.error("net-forward", f"{what}: <portForward dev='{f.dev}'>: QEMU's user "
                       "networking binds an address, not a host interface", f.span)
        if f.address is not None:
            try:
                ip = ipaddress.ip_address(f.address)
            except ValueError:
                ip = None
            if ip is None or ip.version != 4:
                diag.error("net-forward", f"{what}: <portForward address='{f.address}'>: "
                           "QEMU 7.2's user networking forwards IPv4 addresses only", f.span)
        for r in f.ranges:
            if r.end < r.start:
                diag.error("net-forward", f"{what}: port range {r.start}-{r.end} is empty",
                           f.span)
            elif r.to is not None and r.to + r.end - r.start > 65535:
                diag.error("net-forward", f"{what}: guest ports from {r.to} run past 65535",
                           f.span)
    if len(forward_rules(o.forwards)) > MAX_FORWARDS:
        diag.error("net-forward", f"{what}: more than {MAX_FORWARDS} forwarded ports",
                   n.span)


def netdev_extras(n, nd: dict) -> dict:
    """The backend's share: vhost-net, the tap scripts, forwarded ports."""
    o: NetOptions = n.options
    out = dict(nd)
    if nd.get("type") in ("tap", "bridge") and o.backend_name == "vhost":
        out["vhost"] = True
    if nd.get("type") == "tap":
        if o.script:
            out["script"] = o.script
        if o.downscript:
            out["downscript"] = o.downscript
    rules = forward_rules(o.forwards)
    if rules and nd.get("type") == "user":
        out["hostfwd"] = [{"str": r} for r in rules]
    if "id" in out:  # keep the id last, as libvirt writes it
        out["id"] = out.pop("id")
    return out

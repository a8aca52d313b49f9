"""<interface>: a -netdev backend and the guest NIC (-device)."""

from __future__ import annotations

from ..record import evolve, frozen

from ..model import Device, MachineFamily
from ..xmlread import Reader
from .chardev import qemu_opt_value
from .net_options import NetOptions, check_net_options, netdev_extras, read_net_options
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, XNode, device_arg, pci_props, qjson, \
    read_common, xnode

TYPES = ("user", "network", "bridge", "ethernet", "server", "client", "mcast", "udp",
         "vhostuser", "direct", "hostdev", "vdpa", "null", "vds", "internal")
SUPPORTED = ("user", "network", "bridge", "ethernet", "server", "client", "mcast", "udp",
             "vhostuser", "vdpa")
DEFAULT_MODEL = "rtl8139"
VIRTIO_NET = {
    "virtio": "virtio-net-pci",
    "virtio-transitional": "virtio-net-pci-transitional",
    "virtio-non-transitional": "virtio-net-pci-non-transitional",
}
# libvirt model names that differ from the QEMU device
MODEL_DRIVERS = {"e1000": "e1000", "e1000e": "e1000e", "rtl8139": "rtl8139",
                 "vmxnet3": "vmxnet3", "ne2k_pci": "ne2k_pci", "pcnet": "pcnet",
                 "i82559er": "i82559er", "i82551": "i82551", "i82557b": "i82557b",
                 "usb-net": "usb-net", "spapr-vlan": None, "lan9118": None, "smc91c111": None}


@frozen(kw_only=True)
class Interface(Device):
    tag = "interface"

    type: str
    mac: str | None = None
    model: str | None = None
    source_network: str | None = None
    source_path: str | None = None  # vhostuser socket
    source_mode: str | None = None  # vhostuser: server | client
    source_dev: str | None = None  # vdpa character device
    source_bridge: str | None = None
    source_address: str | None = None
    source_port: int | None = None
    source_local_address: str | None = None
    source_local_port: int | None = None
    target_dev: str | None = None
    queues: int | None = None
    rom_bar: bool | None = None
    mtu: int | None = None
    options: NetOptions = NetOptions()  # virtio-net driver options, scripts, forwards

    def describe(self) -> str:
        return f"interface {self.mac or self.type}"


def _normalize_mac(mac: str, r: Reader) -> str:
    parts = mac.split(":")
    if len(parts) != 6 or not all(len(p) in (1, 2) and all(c in "0123456789abcdefABCDEF" for c in p)
                                  for p in parts):
        raise r.error("bad-mac", f"MAC address {mac!r} is not six hex bytes separated by ':'")
    out = ":".join(p.rjust(2, "0").lower() for p in parts)
    if int(parts[0], 16) & 1:
        raise r.error("bad-mac", f"MAC address {mac!r} is a multicast address")
    return out


def from_xml(r: Reader) -> Interface:
    t = r.attr_choice("type", TYPES, "user")
    m = r.child("mac")
    src = r.child("source")
    local = src.child("local") if src is not None else None
    model = r.child("model")
    tgt = r.child("target")
    drv = r.child("driver")
    rom = r.child("rom")
    mtu = r.child("mtu")
    if src is not None and t == "vhostuser":
        src.attr_choice("type", ("unix",))
    return Interface(
        type=t,
        mac=_normalize_mac(m.require("address"), m) if m is not None else None,
        model=model.attr("type") if model is not None else None,
        source_network=src.attr("network") if src is not None else None,
        source_path=src.attr("path") if src is not None else None,
        source_mode=src.attr_choice("mode", ("server", "client")) if src is not None else None,
        source_dev=src.attr("dev") if src is not None else None,
        source_bridge=src.attr("bridge") if src is not None else None,
        source_address=src.attr("address") if src is not None else None,
        source_port=src.attr_int("port", hi=65535) if src is not None else None,
        source_local_address=local.attr("address") if local is not None else None,
        source_local_port=local.attr_int("port", hi=65535) if local is not None else None,
        target_dev=tgt.attr("dev") if tgt is not None else None,
        queues=drv.attr_int("queues", lo=1, hi=256) if drv is not None else None,
        rom_bar=rom.attr_bool("bar") if rom is not None else None,
        mtu=mtu.attr_int("size", lo=68, hi=65535) if mtu is not None else None,
        options=read_net_options(r),
        **read_common(r),
    )


def stable_mac(seed: str, nth: int) -> str:
    """A MAC in QEMU's 52:54:00 range derived from the domain identity: the same
    domain always gets the same address (libvirt picks a random one)."""
    import hashlib  # ~10 ms to import: only for the interfaces that need it

    h = hashlib.sha256(f"{seed}/{nth}".encode()).digest()
    return "52:54:00:%02x:%02x:%02x" % (h[0], h[1], h[2])


def default_nic_model(n: Interface) -> str:
    """libvirt's NIC model when the XML names none: vhost backends speak only virtio."""
    return "virtio" if n.type in ("vhostuser", "vdpa") else DEFAULT_MODEL


def driver_of(n: Interface) -> str | None:
    """The QEMU device of the NIC model; None for a model that does not exist on x86."""
    model = n.model or default_nic_model(n)
    if model in VIRTIO_NET:
        return VIRTIO_NET[model]
    return MODEL_DRIVERS.get(model, model)


def validate(n: Interface, dom, diag) -> None:
    """The interface's checks: a backend domc can set up and a NIC model of x86."""
    t = n.type
    if t in ("vhostuser", "vdpa") and not (n.model or "virtio").startswith("virtio"):
        diag.error("unsupported-device", f"interface type '{t}' needs a virtio model", n.span)
    if t == "vhostuser" and not n.source_path:
        diag.error("net-source", "a vhost-user interface needs <source type='unix' path=...>",
                   n.span)
    elif t == "vdpa" and not n.source_dev:
        diag.error("net-source", "a vdpa interface needs <source dev=...>", n.span)
    elif t in ("bridge", "network") and n.source_bridge is None \
            and n.source_network != "default":
        diag.error("unsupported-device", f"interface type='network' source "
                   f"'{n.source_network}': domc has no network daemon to ask for its "
                   "bridge; use type='bridge' with <source bridge=.../>", n.span)
    elif t not in SUPPORTED:
        diag.error("unsupported-device", f"interface type '{t}' is not supported by domc yet "
                   f"(supported: {', '.join(SUPPORTED)})", n.span)
    if driver_of(n) is None:
        diag.error("unsupported-device", f"NIC model '{n.model or default_nic_model(n)}' does "
                   "not exist on x86", n.span)
    check_net_options(n, (driver_of(n) or "").startswith("virtio-net"), diag)


def wants_pci(n: Interface, dom) -> bool:
    return n.type != "hostdev" and (n.model or DEFAULT_MODEL) != "usb-net"


def alias(n: Interface, nth: int, dom) -> str:
    return f"net{nth}"


def netdev(n: Interface, nid: str) -> dict:
    t = n.type
    if t == "user":
        return {"type": "user", "id": nid}
    if t == "bridge" or t == "network":
        br = n.source_bridge
        if br is None:
            assert n.source_network == "default", "checked by validate"
            br = "virbr0"
        return {"type": "bridge", "br": br, "id": nid}
    if t == "ethernet":
        return {"type": "tap", "ifname": n.target_dev, "script": "no", "downscript": "no",
                "id": nid}
    if t in ("server", "client", "mcast"):
        key = {"server": "listen", "client": "connect", "mcast": "mcast"}[t]
        return {"type": "socket", key: f"{n.source_address or ''}:{n.source_port or 0}", "id": nid}
    assert t == "udp", f"interface type {t!r}: checked by validate"
    return {"type": "socket", "udp": f"{n.source_address}:{n.source_port}",
            "localaddr": f"{n.source_local_address}:{n.source_local_port}", "id": nid}


def _vhost_user_chardev(n: Interface) -> list[str]:
    """vhost-user talks to its backend over a unix socket chardev (QemuOpts)."""
    assert n.source_path, "checked by validate"
    value = f"socket,id=char{n.alias},path={qemu_opt_value(n.source_path)}"
    if n.source_mode == "server":
        value += ",server=on"
    return ["-chardev", value]


def emit(n: Interface, ctx: EmitCtx) -> list[str]:
    nid = f"host{n.alias}"
    pre = []
    if n.type == "vhostuser":
        pre = _vhost_user_chardev(n)
        nd = {"type": "vhost-user", "chardev": f"char{n.alias}", "id": nid}
    elif n.type == "vdpa":
        assert n.source_dev, "checked by validate"
        nd = {"type": "vhost-vdpa", "vhostdev": n.source_dev, "id": nid}
    else:
        nd = netdev(n, nid)
    nd = netdev_extras(n, nd)
    driver = driver_of(n)
    assert driver is not None, "checked by validate"
    props = {**dict(n.options.virtio), "netdev": nid, "id": n.alias, "mac": n.mac}
    if n.queues and n.queues > 1 and driver.startswith("virtio-net"):
        nd["queues"] = n.queues
        props["mq"] = True
        props["vectors"] = 2 * n.queues + 2
    if n.mtu is not None and driver.startswith("virtio-net"):
        props["host_mtu"] = n.mtu
    if n.boot_order is not None:
        props["bootindex"] = n.boot_order  # libvirt: before the address
    props.update(pci_props(n, ctx))
    if n.rom_bar is not None:
        props["rombar"] = 1 if n.rom_bar else 0
    return pre + ["-netdev", qjson(nd)] + device_arg(driver, props)


def pci_group(n) -> PciGroup:
    return PciGroup.NET


def filled(n: Interface) -> tuple[XNode, ...]:
    return (xnode("mac", address=n.mac), xnode("model", type=n.model or default_nic_model(n)))


# NIC models that are PCI Express devices
EXPRESS_NICS = ("virtio", "virtio-non-transitional", "e1000e", "igb")


def pci_connect(n: Interface) -> PciConnect:
    return PciConnect.PCIE if (n.model or "") in EXPRESS_NICS else PciConnect.PCI


def implicit(devices: tuple, dom, family: MachineFamily) -> tuple:
    """Interfaces without a MAC get one derived from the domain's identity, so the same
    domain always gets the same addresses (libvirt picks random ones); without a model,
    libvirt's default one."""
    seed = dom.uuid or dom.name
    taken = {d.mac for d in devices if isinstance(d, Interface) and d.mac}
    out = []
    nth = 0
    for d in devices:
        if isinstance(d, Interface):
            if d.mac is None:
                mac = stable_mac(seed, nth)
                while mac in taken:
                    nth += 1
                    mac = stable_mac(seed, nth)
                taken.add(mac)
                d = evolve(d, mac=mac)
            if d.model is None:
                d = evolve(d, model=default_nic_model(d))
            nth += 1
        out.append(d)
    return tuple(out)


KIND = DeviceKind(tag="interface", cls=Interface, from_xml=from_xml, emit=emit,
                  validate=validate, wants_pci=wants_pci, pci_group=pci_group, alias=alias, pci_connect=pci_connect,
                  filled=filled, implicit=implicit,
                  lock_key=lambda n: n.mac, lock_fields=("mac",),
                  virtio_legacy=lambda n: True)

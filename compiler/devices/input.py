"""<input>: PS/2 (built in), USB and virtio mice, keyboards and tablets, a host input
device passed through (virtio-input-host), and a host evdev device shared with the
guest (``type='evdev'``: QEMU's input-linux object, no guest device of its own)."""

from __future__ import annotations

from ..record import frozen

from ..model import Device, MachineFamily
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, UsbOrder, XNode, device_arg, \
    pci_props, qjson, read_common, usb_props, xnode

USB_DRIVERS = {"mouse": "usb-mouse", "keyboard": "usb-kbd", "tablet": "usb-tablet"}
# the key combinations that hand an evdev device between host and guest (QEMU's grab-toggle)
GRAB_TOGGLES = ("ctrl-ctrl", "alt-alt", "shift-shift", "meta-meta", "scrolllock",
                "ctrl-scrolllock")
VIRTIO_DRIVERS = {"mouse": "virtio-mouse-pci", "keyboard": "virtio-keyboard-pci",
                  "tablet": "virtio-tablet-pci", "passthrough": "virtio-input-host-pci"}


@frozen(kw_only=True)
class Input(Device):
    tag = "input"

    type: str
    bus: str
    evdev: str | None = None
    model: str | None = None
    # type='evdev': the host device and how QEMU shares it (libvirt 9.0's <source>)
    dev: str | None = None
    grab_all: bool | None = None
    grab_toggle: str | None = None
    repeat: bool | None = None

    def describe(self) -> str:
        return f"input {self.type} on {self.bus}"


def from_xml(r: Reader) -> Input:
    t = r.attr_choice("type", ("mouse", "keyboard", "tablet", "passthrough", "evdev"), "mouse")
    default_bus = "virtio" if t == "passthrough" else ("usb" if t == "tablet" else
                                                       "none" if t == "evdev" else "ps2")
    src = r.child("source")
    if t == "evdev":
        if src is None or not src.attr("dev"):
            raise r.error("missing-attribute", "<input type='evdev'> needs <source dev=...>: "
                          "the host's /dev/input device")
        grab = src.attr_choice("grab", ("all",))
        return Input(type=t, bus=r.attr_choice("bus", ("none",), "none"), dev=src.attr("dev"),
                     grab_all=True if grab == "all" else None,
                     grab_toggle=src.attr_choice("grabToggle", GRAB_TOGGLES),
                     repeat=src.attr_bool("repeat"), **read_common(r))
    model = r.attr("model")
    if model in ("virtio-transitional", "virtio-non-transitional"):
        raise r.error("unsupported-device", f"virtio input devices have no {model} variant "
                      f"(input type={t})")
    if model not in (None, "virtio"):
        raise r.error("bad-value", f"input model {model!r}; expected 'virtio'")
    return Input(model=model, type=t, bus=r.attr_choice("bus", ("ps2", "usb", "virtio", "xen", "none"),
                                           default_bus),
                 evdev=src.attr("evdev") if src is not None else None, **read_common(r))


def wants_pci(i: Input, dom) -> bool:
    return i.bus == "virtio"


def alias(i: Input, nth: int, dom) -> str:
    return f"input{nth}"


def validate(i: Input, dom, diag) -> None:
    if i.type == "evdev":
        return  # read whole by from_xml
    drivers = {"usb": USB_DRIVERS, "virtio": VIRTIO_DRIVERS}.get(i.bus)
    if i.bus not in ("ps2", "usb", "virtio"):
        diag.error("unsupported-device", f"input bus '{i.bus}' is not supported on x86", i.span)
    elif drivers is not None and i.type not in drivers:
        diag.error("unsupported-device", f"input type '{i.type}' does not exist on bus "
                   f"'{i.bus}' (it has: {', '.join(drivers)})", i.span)


def emit(i: Input, ctx: EmitCtx) -> list[str]:
    if i.type == "evdev":
        # libvirt 9.0: the host device as an input-linux object, in its place
        return ["-object", qjson({"qom-type": "input-linux", "id": i.alias, "evdev": i.dev,
                                  "repeat": i.repeat, "grab_all": i.grab_all,
                                  "grab-toggle": i.grab_toggle})]
    if i.bus == "ps2":
        return []
    if i.bus == "usb":
        return device_arg(USB_DRIVERS[i.type], {"id": i.alias, **usb_props(i, ctx)})
    assert i.bus == "virtio", i.bus
    props = {"id": i.alias}
    if i.type == "passthrough":
        props["evdev"] = i.evdev
    props.update(pci_props(i, ctx))
    return device_arg(VIRTIO_DRIVERS[i.type], props)


def to_xml(i: Input) -> XNode:
    return xnode("input", type=i.type, bus=i.bus)


def implicit(devices: tuple, dom, family: MachineFamily) -> tuple:
    """The PS/2 mouse and keyboard of an x86 machine, unless the domain lists them."""
    added = tuple(Input(type=t, bus="ps2", span=dom.span) for t in ("mouse", "keyboard")
                  if not any(isinstance(d, Input) and d.type == t and d.bus == "ps2"
                             for d in devices))
    return devices + added


KIND = DeviceKind(tag="input", cls=Input, from_xml=from_xml, emit=emit, validate=validate,
                  wants_pci=wants_pci,
                  pci_group=lambda d: PciGroup.INPUT, alias=alias, to_xml=to_xml,
                  wants_usb=lambda i, dom: i.bus == "usb", usb_order=UsbOrder.INPUT,
                  pci_connect=lambda i: PciConnect.PCIE, implicit=implicit,
                  lock_fields=("bus",))

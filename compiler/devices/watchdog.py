"""<watchdog model='i6300esb|ib700' action=...>: the watchdog device and QEMU's
-watchdog-action.  QEMU has one -watchdog-action, so a guest has at most one watchdog."""

from __future__ import annotations

from ..record import frozen

from ..model import Device
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, device_arg, pci_props, read_common


@frozen(kw_only=True)
class Watchdog(Device):
    tag = "watchdog"
    model: str
    action: str | None = None


def from_xml(r: Reader) -> Watchdog:
    return Watchdog(model=r.attr_choice("model", ("i6300esb", "ib700", "diag288"), "i6300esb"),
                    action=r.attr_choice("action", ("reset", "shutdown", "poweroff", "pause",
                                                    "none", "dump", "inject-nmi")),
                    **read_common(r))


def validate(w: Watchdog, dom, diag) -> None:
    if w.model == "diag288":
        diag.error("unsupported-device", "watchdog model 'diag288' exists only on s390", w.span)
    if w.action == "dump":
        diag.warning("watchdog-dump", "watchdog action 'dump': libvirt pauses the guest and "
                     "writes the dump itself; without a daemon the guest is only paused", w.span)
    watchdogs = dom.devices_of(Watchdog)
    if len(watchdogs) > 1 and watchdogs[1] is w:  # reported once, on the second
        diag.error("watchdog-count", "only one <watchdog> is supported (QEMU has one "
                   "-watchdog-action)", w.span)


def emit(w: Watchdog, ctx: EmitCtx) -> list[str]:
    props = {"id": w.alias, **(pci_props(w, ctx) if w.model == "i6300esb" else {})}
    # QEMU has no 'dump': libvirt has it pause the guest and dumps it itself, which
    # without a daemon leaves the pause
    action = {"dump": "pause", None: "reset"}.get(w.action, w.action)
    return [*device_arg(w.model, props), "-watchdog-action", action]


KIND = DeviceKind(tag="watchdog", cls=Watchdog, from_xml=from_xml, emit=emit, validate=validate,
                  wants_pci=lambda w, dom: w.model == "i6300esb",
                  pci_group=lambda d: PciGroup.WATCHDOG,
                  alias=lambda w, n, dom: f"watchdog{n}",
                  pci_connect=lambda w: PciConnect.PCI)

"""add_implicit_devices: the controllers and devices libvirt adds to a QEMU x86 guest.

- controllers implied by disks: every index up to the highest a disk uses
  (four SCSI disks sda..sdd -> scsi0; sdz -> scsi0..scsi3);
- the machine's built-ins: pci-root (pcie-root on q35), SATA 0 on q35,
  USB 0 (piix3-uhci on i440fx, qemu-xhci on q35);
- virtio-serial 0 for virtio consoles and channels;
- a virtio memballoon, PS/2 mouse and keyboard, a video card for graphics;
- a serial port behind a serial console that has none.
Defaults are filled in: controller models, the video model.
"""

from __future__ import annotations

from attrs import evolve

from ..devices.chardev import CharDevice
from ..devices.controller import Controller
from ..devices.disk import Disk
from ..devices.graphics import Graphics
from ..devices.input import Input
from ..devices.memballoon import Memballoon
from ..devices.net import Interface, default_nic_model, stable_mac
from ..devices.video import Video
from ..model import Domain, DriveAddr, MachineFamily
from .controllers import insert_controller

DEFAULT_SCSI_MODEL = "lsilogic"
DEFAULT_VIDEO = "cirrus"


def _has_controller(devs, ctype: str, index: int) -> bool:
    return any(isinstance(d, Controller) and d.type == ctype and d.index == index for d in devs)


def _ensure(devs: list, ctype: str, index: int, model: str | None = None) -> None:
    if not _has_controller(devs, ctype, index):
        insert_controller(devs, Controller(type=ctype, index=index, model=model))


def _disk_controllers(devs: list) -> None:
    for bus in ("scsi", "fdc", "ide", "sata"):  # virDomainDefAddDiskControllers order
        highest = -1
        for d in devs:
            if isinstance(d, Disk) and d.target_bus == bus and isinstance(d.address, DriveAddr):
                highest = max(highest, d.address.controller)
        for index in range(highest + 1):
            _ensure(devs, bus, index)


def _fill_models(devs: list, family: MachineFamily) -> None:
    for i, d in enumerate(devs):
        if isinstance(d, Controller) and d.model is None:
            model = None
            if d.type == "scsi":
                model = DEFAULT_SCSI_MODEL
            elif d.type == "usb":
                model = "qemu-xhci" if family is MachineFamily.Q35 else "piix3-uhci"
            elif d.type == "pci" and d.index == 0:
                model = "pcie-root" if family is MachineFamily.Q35 else "pci-root"
            if model is not None:
                devs[i] = evolve(d, model=model)
        elif isinstance(d, Video) and d.model is None:
            devs[i] = evolve(d, model=DEFAULT_VIDEO)
        elif isinstance(d, Interface) and d.model is None:
            devs[i] = evolve(d, model=default_nic_model(d))


def _serial_for_console(devs: list) -> None:
    serials = [d for d in devs if isinstance(d, CharDevice) and d.element == "serial"]
    for d in devs:
        if isinstance(d, CharDevice) and d.element == "console" and d.target_type in (None, "serial"):
            port = d.target_port or 0
            if not any((s.target_port or 0) == port for s in serials):
                new = CharDevice(element="serial", source=d.source, target_port=port)
                serials.append(new)
                # serials come before consoles in libvirt's device lists
                at = devs.index(d)
                devs.insert(at, new)
            return


# where unix channels without a path get their socket (libvirt uses its state dir)
CHANNEL_DIR = "/run/domc/channel"


def _channel_paths(devs: list, name: str) -> None:
    """A virtio channel of type unix with no path listens on a socket named after the
    domain and the channel's target name, as libvirt does for the guest agent."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    for i, d in enumerate(devs):
        if isinstance(d, CharDevice) and d.element == "channel" and d.target_type == "virtio" \
                and d.source.type == "unix" and not d.source.path and d.target_name:
            src = evolve(d.source, path=f"{CHANNEL_DIR}/{safe}/{d.target_name}", mode="bind",
                         chosen=True)
            devs[i] = evolve(d, source=src)


def _fill_macs(devs: list, dom: Domain) -> None:
    """Interfaces without a MAC get one derived from the domain's identity, so the same
    domain always gets the same addresses (libvirt picks random ones)."""
    seed = dom.uuid or dom.name
    taken = {d.mac for d in devs if isinstance(d, Interface) and d.mac}
    nth = 0
    for i, d in enumerate(devs):
        if isinstance(d, Interface) and d.mac is None:
            mac = stable_mac(seed, nth)
            while mac in taken:
                nth += 1
                mac = stable_mac(seed, nth)
            taken.add(mac)
            devs[i] = evolve(d, mac=mac)
        if isinstance(d, Interface):
            nth += 1


def add_implicit_devices(dom: Domain, env) -> Domain:
    family = dom.os.family
    devs = list(dom.devices)
    # the machine's own controllers first (qemuDomainDefAddDefaultDevices), then those
    # the disks imply (virDomainDefAddImplicitDevices); the order decides PCI slots
    if not any(isinstance(d, Controller) and d.type == "usb" for d in devs):
        _ensure(devs, "usb", 0)
    if family is MachineFamily.Q35:
        _ensure(devs, "sata", 0)
    _ensure(devs, "pci", 0)
    # i440fx: libvirt 9.0 adds IDE 0 only for IDE disks (done by _disk_controllers below)
    _disk_controllers(devs)
    for d in list(devs):
        if isinstance(d, CharDevice) and d.target_type == "virtio":
            a = d.address
            index = int(a.get("controller", "0")) if getattr(a, "type", None) == "virtio-serial" \
                else 0
            if not any(isinstance(c, Controller) and c.type == "virtio-serial" for c in devs) \
                    or a is not None:
                _ensure(devs, "virtio-serial", index)
    _serial_for_console(devs)
    _channel_paths(devs, dom.name)
    _fill_macs(devs, dom)
    if not any(isinstance(d, Input) and d.type == "mouse" and d.bus == "ps2" for d in devs):
        devs.append(Input(type="mouse", bus="ps2"))
    if not any(isinstance(d, Input) and d.type == "keyboard" and d.bus == "ps2" for d in devs):
        devs.append(Input(type="keyboard", bus="ps2"))
    if any(isinstance(d, Graphics) for d in devs) and not any(isinstance(d, Video) for d in devs):
        devs.append(Video(model=DEFAULT_VIDEO))
    if not any(isinstance(d, Memballoon) for d in devs):
        devs.append(Memballoon(model="virtio"))
    _fill_models(devs, family)
    return evolve(dom, devices=tuple(devs))

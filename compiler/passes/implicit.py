"""add_implicit_devices: the controllers and devices libvirt adds to a QEMU x86 guest,
and the defaults it fills in.

Each kind says what it adds through its ``implicit`` hook (devices.base.DeviceKind);
the pass calls them kind by kind in registry order, which is the order libvirt adds
them in (the normalized XML and the aliases depend on it):

- controller: USB 0, SATA 0 on q35, the PCI root, the controllers disks imply,
  virtio-serial for virtio chardevs; default controller models;
- interface: stable MAC addresses, the default NIC model;
- channel: a socket path for unix channels that name none;
- console: a serial port behind a serial console that has none;
- input: the PS/2 mouse and keyboard;
- video: a video card for graphics, the default video model;
- memballoon: a virtio balloon.

Every added device carries the span of the element that caused it, or of <domain>.
"""

from __future__ import annotations

from ..devices import DEVICE_KINDS
from ..devices.base import no_implicit
from ..devices.hostdev import Hostdev, check_scsi_controller
from ..model import Domain


def add_implicit_devices(dom: Domain, env) -> Domain:
    family = dom.os.family
    devices = dom.devices
    for kind in DEVICE_KINDS:
        if kind.implicit is not no_implicit:  # most kinds add nothing
            devices = kind.implicit(devices, dom, family)
    # with the controllers complete, a SCSI <hostdev> must name one that exists
    for d in devices:
        if isinstance(d, Hostdev):
            check_scsi_controller(d, devices, env.diag)
    return dom.with_devices(devices)

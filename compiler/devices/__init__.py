"""The device registry.  Parse, PCI assignment, aliasing and emit all dispatch
through DEVICE_KINDS; its order is the order devices appear in the argv."""

from __future__ import annotations

from . import (chardev, controller, disk, filesystem, graphics, hostdev, hub, input, iommu,
               memballoon, memory, net, panic, redirdev, rng, smartcard, sound, tpm, video, vsock,
               watchdog)
from .base import DeviceKind

DEVICE_KINDS: tuple[DeviceKind, ...] = (
    iommu.KIND,
    controller.KIND,
    memory.KIND,
    hub.KIND,
    disk.KIND,
    filesystem.KIND,
    net.KIND,
    smartcard.KIND,
    chardev.SERIAL,
    chardev.PARALLEL,
    chardev.CHANNEL,
    chardev.CONSOLE,
    tpm.KIND,
    input.KIND,
    graphics.AUDIO,
    graphics.GRAPHICS,
    video.KIND,
    sound.KIND,
    watchdog.KIND,
    redirdev.KIND,
    hostdev.KIND,
    memballoon.KIND,
    rng.KIND,
    panic.KIND,
    vsock.KIND,
)

BY_TAG: dict[str, DeviceKind] = {k.tag: k for k in DEVICE_KINDS}
assert len(BY_TAG) == len(DEVICE_KINDS), "two device kinds claim one tag"

# <devices> children that are not devices of their own
NOT_DEVICES = ("emulator",)


def kind_of(dev) -> DeviceKind:
    return BY_TAG[dev.kind_tag]

"""The device registry.  Parse, PCI assignment, aliasing and emit all dispatch
through DEVICE_KINDS; its order is the order devices appear in the argv."""

from __future__ import annotations

from . import (chardev, controller, disk, filesystem, graphics, hostdev, input, memballoon,
               memory, misc, net, video)
from .base import DeviceKind

DEVICE_KINDS: tuple[DeviceKind, ...] = (
    controller.KIND,
    memory.KIND,
    disk.KIND,
    filesystem.KIND,
    net.KIND,
    chardev.SERIAL,
    chardev.PARALLEL,
    chardev.CHANNEL,
    chardev.CONSOLE,
    input.KIND,
    graphics.AUDIO,
    graphics.GRAPHICS,
    video.KIND,
    misc.SOUND,
    misc.WATCHDOG,
    hostdev.KIND,
    memballoon.KIND,
    misc.RNG,
    misc.PANIC,
)

BY_TAG: dict[str, DeviceKind] = {k.tag: k for k in DEVICE_KINDS}
assert len(BY_TAG) == len(DEVICE_KINDS), "two device kinds claim one tag"

# <devices> children that are not devices of their own
NOT_DEVICES = ("emulator",)


def kind_of(dev) -> DeviceKind:
    return BY_TAG[dev.kind_tag]

"""The device registry.  Parse, PCI assignment, aliasing and emit all dispatch
through DEVICE_KINDS; its order is the order devices appear in the argv."""

from __future__ import annotations

from . import (chardev, controller, disk, filesystem, graphics, hostdev, hub, input, iommu,
               memballoon, memory, net, panic, redirdev, rng, shmem, smartcard, sound, tpm, video,
               vsock, virtio_pmem, watchdog)
from .base import DeviceKind

DEVICE_KINDS: tuple[DeviceKind, ...] = (
    iommu.KIND,
    controller.KIND,
    memory.KIND,
    virtio_pmem.KIND,
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
    shmem.KIND,
    vsock.KIND,
)

BY_TAG: dict[str, DeviceKind] = {k.tag: k for k in DEVICE_KINDS}
assert len(BY_TAG) == len(DEVICE_KINDS), "two device kinds claim one tag"

# <devices> children that are not devices of their own
NOT_DEVICES = ("emulator",)


# element name -> its kinds: one, or several told apart by the element's model attribute
BY_ELEMENT: dict[str, tuple[DeviceKind, ...]] = {}
for _k in DEVICE_KINDS:
    BY_ELEMENT[_k.element or _k.tag] = BY_ELEMENT.get(_k.element or _k.tag, ()) + (_k,)
assert all(sum(not k.models for k in ks) <= 1 for ks in BY_ELEMENT.values()), \
    "two kinds of one element both take every model"


def kind_for_element(tag: str, model: str | None) -> DeviceKind | None:
    """The kind that reads <tag model=...>: the one claiming the model, else the
    element's general kind (None: no kind reads the element)."""
    kinds = BY_ELEMENT.get(tag, ())
    return next((k for k in kinds if model in k.models), None) or \
        next((k for k in kinds if not k.models), None)


def kind_of(dev) -> DeviceKind:
    return BY_TAG[dev.kind_tag]

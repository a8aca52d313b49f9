"""Helpers the passes that add controllers share (add_implicit_devices,
assign_pcie_addresses)."""

from __future__ import annotations

from ..devices.controller import Controller


def insert_controller(devs: list, new: Controller) -> None:
    """Insert a controller libvirt adds itself into the device list ``devs``: after
    the last controller already there (virDomainDefAddController), whatever the
    indexes: an implicit scsi0 comes after a user's scsi2 and after every other
    controller.  (The user's own controllers are sorted by type and index while
    parsing: order_devices.)"""
    last_ctrl = None
    for i, d in enumerate(devs):
        if isinstance(d, Controller):
            last_ctrl = i
    devs.insert(0 if last_ctrl is None else last_ctrl + 1, new)

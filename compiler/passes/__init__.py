"""Normalize passes, in order.  Each is ``verb_object(dom, env) -> Domain``."""

from __future__ import annotations

from .aliases import assign_aliases
from .boot import apply_boot_order
from .char_ports import number_char_ports
from .drives import assign_drive_addresses
from .fill_numa_cpus import fill_numa_cpus
from .firmware import select_firmware
from .hotplug import reserve_hotplug_ports
from .implicit import add_implicit_devices
from .lock import apply_lock, lock_implicit_devices
from .machine import canonicalize_machine
from .machine_lint import lint_machine_type
from .memory_slots import assign_memory_slots
from .multifunction import check_multifunction
from .order import order_devices
from .place_vcpus import place_vcpus
from .qemu_overrides import check_qemu_overrides
from .pci import assign_pci_addresses
from .resolve_cpu import resolve_cpu
from .usb import assign_usb_ports
from .validate import validate_domain
from .virtio_serial import assign_virtio_serial_ports
from .virtio_transport import check_virtio_transport


PASSES = (
    lint_machine_type,
    canonicalize_machine,
    select_firmware,
    fill_numa_cpus,
    number_char_ports,
    validate_domain,
    order_devices,
    apply_boot_order,
    apply_lock,
    assign_drive_addresses,
    add_implicit_devices,
    lock_implicit_devices,
    assign_pci_addresses,
    reserve_hotplug_ports,
    check_multifunction,
    check_virtio_transport,
    assign_usb_ports,
    assign_virtio_serial_ports,
    assign_memory_slots,
    assign_aliases,
    check_qemu_overrides,
    resolve_cpu,
    place_vcpus,
)

"""Every example's argv is proven on the real QEMU: booted paused under TCG, the
guest QEMU built must show exactly the planned PCI devices at the planned
addresses (query-pci) and the planned drives (query-block).  An example with helpers
(win11's swtpm) gets them started from its plan, as `domc run` does."""

from __future__ import annotations

import pytest


from compiler.model import PciAddr
from compiler.placement.services import Helpers

from .conftest import SEED_HOST, example_files
from .qemu import NO_QEMU, QEMU, QemuRefused, ask_paused, bootable, compiled_for_boot

pytestmark = pytest.mark.skipif(QEMU is None, reason=NO_QEMU)

# chipset functions QEMU creates by itself (no -device, so no qdev id): PIIX IDE,
# q35's ICH9 AHCI
BUILTIN = {("ide", 0), ("sata", 0)}


async def _query(qmp) -> tuple[list, list]:
    return await qmp.execute("query-pci"), await qmp.execute("query-block")


def _planned_pci(dom) -> dict[tuple[int, int, int], str]:
    planned = {}
    for d in dom.devices:
        if isinstance(d.address, PciAddr) and d.alias and (getattr(d, "type", None),
                                                            getattr(d, "index", None)) not in BUILTIN:
            a = d.address
            planned[(a.bus, a.slot, a.function)] = d.alias
    return planned


# the placement examples bind memory to the nodes of a captured two-node host; this
# machine may have one node (tests/placement boots its own guest with `domc run`)
BOOTABLE = [p for p in example_files() if p.parent.name == "examples"]


@pytest.mark.parametrize("xml", BOOTABLE, ids=lambda p: p.stem)
def test_example_boots_as_planned(xml, tmp_path):
    with compiled_for_boot(xml, str(SEED_HOST)) as result:
        argv, images = bootable(list(result.argv), tmp_path)
        try:
            with Helpers(result.plan):
                pci, block = ask_paused(argv, _query)
        except QemuRefused as e:
            pytest.fail(f"QEMU refused the argv: {str(e)[-500:]}")
    seen, hidden = {}, set()
    for bus in pci:
        _walk(bus["bus"], bus["devices"], seen, hidden)
    planned = {k: v for k, v in _planned_pci(result.domain).items() if k[0] not in hidden}
    assert seen == planned

    from compiler.devices.disk import Disk

    disks = {d.alias: d for d in result.domain.devices if isinstance(d, Disk)}
    # QEMU names a drive's device by its id, or by a QOM path such as
    # /machine/peripheral/virtio-disk0/virtio-backend
    by_id = {}
    for b in block:
        qdev = b.get("qdev", "")
        if qdev.startswith("/machine/peripheral/"):
            qdev = qdev.split("/")[3]
        by_id[qdev] = b
    for alias, d in disks.items():
        entry = by_id.get(alias)
        assert entry is not None, f"QEMU has no drive for {alias}: {sorted(by_id)}"
        if d.source is not None and d.source.path:
            inserted = entry.get("inserted")
            assert inserted is not None, f"{alias} has no medium"
            assert inserted["image"]["filename"] == images[d.source.path]
            assert inserted["ro"] == (d.readonly or d.device == "cdrom")


def _walk(bus: int, devices: list, seen: dict, hidden: set) -> None:
    """query-pci nests the devices behind a bridge or root port under it; libvirt's bus
    N is the controller with id pci.N.  Paused before the firmware ran, a PCIe root
    port has no secondary bus number yet and QEMU lists nothing behind it: those
    buses go into ``hidden``."""
    for dev in devices:
        if dev.get("qdev_id"):
            seen[(bus, dev["slot"], dev["function"])] = dev["qdev_id"]
        bridge = dev.get("pci_bridge")
        if not bridge or not dev.get("qdev_id", "").startswith("pci."):
            continue
        index = int(dev["qdev_id"][4:])
        if bridge["bus"]["secondary"] == 0:
            hidden.add(index)
        else:
            _walk(index, bridge.get("devices", []), seen, hidden)

"""Every example's argv is proven on the real QEMU: booted paused under TCG, the
guest QEMU built must show exactly the planned PCI devices at the planned
addresses (query-pci) and the planned drives (query-block)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time

import pytest

from compiler.api import compile_file, make_env
from compiler.model import PciAddr

from .conftest import ROOT, SEED_HOST, example_files

QEMU = shutil.which("qemu-system-x86_64")
pytestmark = pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 is not installed "
                                "(apt-get install qemu-system-x86)")

# chipset functions QEMU creates by itself (no -device, so no qdev id): PIIX IDE,
# q35's ICH9 AHCI
BUILTIN = {("ide", 0), ("sata", 0)}


def _bootable(argv: list[str], tmp_path) -> tuple[list[str], dict[str, str]]:
    """The compiled argv with images replaced by scratch files, TCG forced, paused,
    and a QMP socket added.  Returns it and {original path: scratch path}."""
    out, images = [QEMU], {}
    it = iter(range(1, len(argv)))
    for i in it:
        opt = argv[i]
        if opt == "-accel":
            out += ["-accel", "tcg"]
            next(it)
            continue
        if opt == "-blockdev":
            node = json.loads(argv[i + 1])
            if "filename" in node:
                src = node["filename"]
                scratch = images.setdefault(src, str(tmp_path / f"img{len(images)}.raw"))
                with open(scratch, "wb") as fh:
                    fh.truncate(1 << 20)
                node["filename"] = scratch
            out += ["-blockdev", json.dumps(node)]
            next(it)
            continue
        if opt == "-vnc":
            out += ["-vnc", "none"]
            next(it)
            continue
        out.append(opt)
    return out + ["-S", "-qmp", f"unix:{tmp_path}/qmp.sock,server=on,wait=off"], images


async def _query(sock: str) -> tuple[list, list]:
    from qemu.qmp import QMPClient

    qmp = QMPClient("domc-test")
    for _ in range(100):
        try:
            await qmp.connect(sock)
            break
        except Exception:
            await asyncio.sleep(0.05)
    else:
        raise AssertionError("QEMU did not open its QMP socket")
    try:
        pci = await qmp.execute("query-pci")
        block = await qmp.execute("query-block")
    finally:
        await qmp.disconnect()
    return pci, block


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
    result = compile_file(str(xml), make_env(host_root=str(SEED_HOST)))
    argv, images = _bootable(list(result.argv), tmp_path)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    try:
        sock = str(tmp_path / "qmp.sock")
        deadline = time.monotonic() + 20
        while not os.path.exists(sock):
            if proc.poll() is not None:
                pytest.fail(f"QEMU refused the argv: {proc.stderr.read().decode()[-500:]}")
            assert time.monotonic() < deadline, "QEMU did not start"
            time.sleep(0.05)
        pci, block = asyncio.run(_query(sock))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
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

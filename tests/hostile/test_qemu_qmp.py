"""Launch QEMU 7.2 paused on domc's argv with hostile file names and ask it over QMP
(qemu.qmp) what it saw: the exact file names, the exact guest name, the PCI devices
domc placed, and no extra block node or option."""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

from ..qemu import NO_QEMU, QEMU, QemuRefused, ask_paused
from .conftest import domain_xml, run_domc

pytestmark = pytest.mark.skipif(QEMU is None, reason=NO_QEMU)

NAMES = [
    "a.img,file.driver=ssh;rm -rf ~",
    "b with spaces,,and commas.img",
    "c'quote\"double$(id).img",
    "d=key=value,x=y.img",
]
GUEST = "guest,debug-threads=off;$(id)"


def _xml(paths: list[Path]) -> str:
    devs = []
    for n, p in enumerate(paths[:3]):
        devs.append(f"<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                    f"<source file={quoteattr(str(p))}/><target dev='vd{'abc'[n]}' bus='virtio'/>"
                    f"</disk>")
    devs.append(f"<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
                f"<source file={quoteattr(str(paths[3]))}/><target dev='hdc' bus='ide'/>"
                f"<readonly/></disk>")
    devs.append("<interface type='user'><mac address='52:54:00:aa:bb:cc'/>"
                "<model type='e1000'/></interface>")
    return domain_xml("\n".join(devs), name=GUEST.replace("&", "&amp;"))


async def _ask(qmp) -> dict:
    return {
        "block": await qmp.execute("query-block"),
        "nodes": await qmp.execute("query-named-block-nodes", {"flat": True}),
        "pci": await qmp.execute("query-pci"),
        "name": await qmp.execute("query-name"),
        "status": await qmp.execute("query-status"),
    }


def test_qemu_sees_exact_values(tmp_path):
    paths = []
    for n in NAMES:
        p = tmp_path / n
        p.write_bytes(b"\0" * 1024 * 1024)
        paths.append(p)
    xml = tmp_path / "guest.xml"
    xml.write_text(_xml(paths))
    proc = run_domc("compile", "--format", "json", str(xml))
    assert proc.returncode == 0, proc.stderr.decode()
    argv = json.loads(proc.stdout)["argv"]
    try:  # exactly domc's argv: the files are real, their names are the point
        info = ask_paused([QEMU, *argv[1:]], _ask)
    except QemuRefused as e:
        raise AssertionError(f"QEMU failed: {e}") from None

    assert info["status"]["status"] == "prelaunch"
    assert info["name"] == {"name": GUEST}
    # every block node: exactly the file domc meant, with the driver domc meant
    files = {n["file"] for n in info["nodes"]}
    drivers = {n["drv"] for n in info["nodes"]}
    assert files == {str(p) for p in paths}
    assert drivers == {"file", "raw"}, drivers
    assert len(info["nodes"]) == 2 * len(paths)  # storage + format per disk, nothing else
    by_dev = {b["qdev"]: b["inserted"]["file"] for b in info["block"] if "inserted" in b}
    want = {f"/machine/peripheral/virtio-disk{n}/virtio-backend": str(paths[n]) for n in range(3)}
    want["ide0-1-0"] = str(paths[3])
    assert {k: v for k, v in by_dev.items() if k in want} == want, by_dev
    # PCI: the slots domc assigned are the slots QEMU built
    slots = {}
    for bus in info["pci"]:
        for dev in bus["devices"]:
            slots[(dev["slot"], dev["function"])] = dev["qdev_id"]
    domc_devs = [json.loads(argv[i + 1]) for i, a in enumerate(argv) if a == "-device"]
    for d in domc_devs:
        if "addr" not in d:
            continue
        slot, _, fn = d["addr"].partition(".")
        key = (int(slot, 16), int(fn, 16) if fn else 0)
        assert slots.get(key) == d["id"], (key, d, slots)
    assert slots[(0, 0)] == "" and (1, 0) in slots  # host bridge and PIIX3 from the machine

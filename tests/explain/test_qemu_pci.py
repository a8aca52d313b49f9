"""The PCI tree domc draws is the guest's: every example is started under QEMU 7.2
(TCG), its firmware runs until it has numbered the buses behind the bridges, and
the tree built from QEMU's ``query-pci`` must equal, line by line, the tree
``domc explain --tree`` prints for the compiled domain."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from compiler.explain.pcitree import from_domain, from_query_pci, tree_text
from compiler.placement.services import Helpers

from ..conftest import SEED_HOST, example_files
from ..qemu import NO_QEMU, QEMU, QEMU_IMG, QemuRefused, ask_paused, bootable, \
    compiled_for_boot

ENUMERATED_WITHIN = 90  # seconds of TCG for the firmware to number the buses


def _numbered(buses: list) -> bool:
    """Every bridge has its secondary bus number (the firmware has run)."""
    def ok(devices):
        for d in devices:
            br = d.get("pci_bridge")
            if br is not None and (br["bus"]["secondary"] == 0 or not ok(br.get("devices", []))):
                return False
        return True
    return all(ok(b["devices"]) for b in buses)


async def _query_pci_after_firmware(qmp):
    await qmp.execute("cont")
    deadline = time.monotonic() + ENUMERATED_WITHIN
    while True:
        result = await qmp.execute("query-pci")
        if _numbered(result) or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.2)


def _runnable(result, tmp_path) -> list[str]:
    """The argv with what this machine may not have replaced: images by scratch
    files, file backed guest RAM by files here, no binding to host NUMA nodes, and
    UEFI firmware by QEMU's own SeaBIOS.  The PCI tree is the machine's, not the
    firmware's (the flash chips are not PCI devices), and SeaBIOS numbers the buses
    in well under a second of TCG, where OVMF with SMM (secure boot) took minutes on a
    busy machine and sometimes kept QEMU from answering within the timeout; that the
    UEFI examples boot their own firmware is proven by tests/test_firmware_boot.py."""
    out, _ = bootable(_without_flash(list(result.argv)), tmp_path)
    for i, word in enumerate(out):
        if out[i - 1] == "-object" and word.startswith("{"):
            obj = json.loads(word)
            if "mem-path" in obj:
                obj["mem-path"] = str(tmp_path / f"{obj['id']}.ram")
            obj.pop("host-nodes", None)
            obj.pop("policy", None)
            if obj.get("qom-type") == "thread-context":
                obj.pop("node-affinity", None)
            out[i] = json.dumps(obj)
    return out


def _without_flash(argv: list[str]) -> list[str]:
    """``argv`` without its pflash firmware: the flash block nodes, the machine's
    pflash0/pflash1 and the flash device's global properties left out."""
    out = []
    words = iter(argv)
    for word in words:
        if word in ("-blockdev", "-global"):
            value = next(words)
            if "pflash" in value:
                continue
            out += [word, value]
        elif word == "-machine":
            opts = next(words).split(",")
            out += [word, ",".join(o for o in opts if not o.startswith(("pflash0=", "pflash1=")))]
        else:
            out.append(word)
    return out


TREE_EXAMPLES = example_files()


@pytest.mark.skipif(QEMU is None or QEMU_IMG is None, reason=NO_QEMU)
@pytest.mark.parametrize("xml", TREE_EXAMPLES, ids=lambda p: p.stem)
def test_pci_tree_matches_the_booted_guest(xml, tmp_path):
    with compiled_for_boot(xml, str(SEED_HOST)) as result:
        ours = tree_text(from_domain(result.domain, result.argv))
        try:
            with Helpers(result.plan):
                buses = ask_paused(_runnable(result, tmp_path), _query_pci_after_firmware,
                                   timeout=ENUMERATED_WITHIN + 60)
        except QemuRefused as e:
            pytest.fail(f"QEMU refused the argv: {str(e)[-600:]}")
    assert _numbered(buses), "the firmware did not number the PCI buses in time"
    assert tree_text(from_query_pci(buses)) == ours


def test_the_comparison_sees_a_moved_device():
    """A device one slot off, or behind another bridge, gives a different tree."""
    dev = {"bus": 0, "slot": 3, "function": 0, "qdev_id": "net0",
           "id": {"vendor": 0x1AF4, "device": 0x1041}}
    port = {"bus": 0, "slot": 1, "function": 0, "qdev_id": "pci.1",
            "id": {"vendor": 0x1B36, "device": 0x000C},
            "pci_bridge": {"bus": {"number": 0, "secondary": 1, "subordinate": 1},
                           "devices": []}}
    host = {"bus": 0, "slot": 0, "function": 0, "qdev_id": "",
            "id": {"vendor": 0x8086, "device": 0x29C0}}
    flat = tree_text(from_query_pci([{"bus": 0, "devices": [host, port, dev]}]))
    assert flat == ("-[0000:00]-+-00.0  Q35 host bridge\n"
                    "           +-01.0-[01]--\n"
                    "           \\-03.0  net0\n")
    moved = dict(dev, slot=4)
    assert tree_text(from_query_pci([{"bus": 0, "devices": [host, port, moved]}])) != flat
    behind = dict(port, pci_bridge={"bus": {"number": 0, "secondary": 1, "subordinate": 1},
                                    "devices": [dict(dev, bus=1, slot=0)]})
    assert tree_text(from_query_pci([{"bus": 0, "devices": [host, behind]}])) == (
        "-[0000:00]-+-00.0  Q35 host bridge\n"
        "           \\-01.0-[01]----00.0  net0\n")

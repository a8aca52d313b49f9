"""The boot helper itself (tests/qemu.py): it must report QEMU's refusal, not hang or
pass, and it must hand QEMU the scratch images in the format the argv reads."""

from __future__ import annotations

import json

import pytest

from .qemu import NO_QEMU, QEMU, QemuRefused, ask_paused, bootable

pytestmark = pytest.mark.skipif(QEMU is None, reason=NO_QEMU)

BASE = [QEMU or "qemu-system-x86_64", "-nodefaults", "-display", "none", "-machine", "pc",
        "-accel", "tcg", "-m", "64"]


async def _status(qmp):
    return await qmp.execute("query-status")


def test_a_refused_argv_raises_with_qemus_message():
    with pytest.raises(QemuRefused, match="no-such-device"):
        ask_paused([*BASE, "-device", "no-such-device"], _status, timeout=60)


def test_a_machine_that_fails_after_qmp_connected_is_refused_too():
    # QEMU opens QMP before it checks -smp: 4 CPUs with at most 1 fails after that
    with pytest.raises(QemuRefused, match="maxcpus"):
        ask_paused([*BASE, "-smp", "4,maxcpus=1"], _status, timeout=60)


def test_a_good_argv_is_paused_in_prelaunch():
    assert ask_paused(BASE, _status, timeout=60)["status"] == "prelaunch"


def test_scratch_images_take_the_format_that_reads_them(tmp_path):
    argv = [*BASE, "-accel", "kvm",
            "-blockdev", json.dumps({"driver": "host_device", "filename": "/dev/sdq",
                                     "node-name": "s0"}),
            "-blockdev", json.dumps({"driver": "qcow2", "file": "s0", "node-name": "f0"}),
            "-blockdev", json.dumps({"driver": "file", "filename": "/no/such.raw", "node-name": "s1"}),
            "-blockdev", json.dumps({"driver": "raw", "file": "s1", "node-name": "f1"})]
    out, images = bootable(argv, tmp_path)
    nodes = [json.loads(v) for o, v in zip(out, out[1:]) if o == "-blockdev"]
    assert nodes[0]["driver"] == "file" and images["/dev/sdq"].endswith(".qcow2")
    assert images["/no/such.raw"].endswith(".raw")
    assert out.count("kvm") == 0

    async def ask(qmp):
        return await qmp.execute("query-named-block-nodes", {"flat": True})

    got = {n["node-name"]: n for n in ask_paused(out, ask, timeout=60)}
    assert got["f0"]["drv"] == "qcow2" and got["s0"]["file"] == images["/dev/sdq"]
    assert got["f1"]["drv"] == "raw" and got["s1"]["file"] == images["/no/such.raw"]

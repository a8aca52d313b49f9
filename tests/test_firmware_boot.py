"""The autoselected EFI firmware is real: examples/efi-secure-boot.xml's argv starts
QEMU (paused, TCG) with the OVMF code flash read-only, a private copy of the variable
template as pflash1, SMM on and the secure flash; QMP confirms what the machine got."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time

import pytest

from compiler.api import compile_file, make_env

from .conftest import ROOT

QEMU = shutil.which("qemu-system-x86_64")
EXAMPLE = ROOT / "examples" / "efi-secure-boot.xml"


def _skip_reason(dom) -> str | None:
    if QEMU is None:
        return "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
    for path in (dom.os.loader.path, dom.os.nvram_template):
        if not path or not os.path.isfile(path):
            return f"OVMF is not installed: {path} is missing (apt-get install ovmf)"
    return None


def _bootable(argv: list[str], dom, tmp_path) -> list[str]:
    """Force TCG, give pflash1 a copy of the NVRAM template and the disks scratch files."""
    vars_copy = tmp_path / "VARS.fd"
    shutil.copyfile(dom.os.nvram_template, vars_copy)
    out = [QEMU]
    it = iter(range(1, len(argv)))
    for i in it:
        opt = argv[i]
        if opt == "-accel":
            out += ["-accel", "tcg"]
            next(it)
        elif opt == "-blockdev":
            node = json.loads(argv[i + 1])
            if node.get("node-name") == "libvirt-pflash1-storage":
                assert node["filename"] == dom.os.nvram
                node["filename"] = str(vars_copy)
            elif "filename" in node and not node["node-name"].startswith("libvirt-pflash0"):
                scratch = tmp_path / f"disk{i}.raw"
                with open(scratch, "wb") as fh:
                    fh.truncate(1 << 20)
                node["filename"] = str(scratch)
            out += ["-blockdev", json.dumps(node)]
            next(it)
        else:
            out.append(opt)
    return out + ["-S", "-qmp", f"unix:{tmp_path}/qmp.sock,server=on,wait=off"]


async def _ask(sock: str) -> dict:
    from qemu.qmp import QMPClient

    qmp = QMPClient("domc-firmware-test")
    for _ in range(200):
        try:
            await qmp.connect(sock)
            break
        except Exception:
            await asyncio.sleep(0.05)
    else:
        raise AssertionError("QEMU did not open its QMP socket")
    try:
        got = {}
        for prop in ("pflash0", "pflash1", "smm"):
            got[prop] = await qmp.execute("qom-get", {"path": "/machine", "property": prop})
        got["block"] = await qmp.execute("query-named-block-nodes")
        got["status"] = await qmp.execute("query-status")
    finally:
        await qmp.disconnect()
    return got


def test_efi_secure_boot_example_starts_with_its_flash(tmp_path):
    result = compile_file(str(EXAMPLE), make_env())
    dom = result.domain
    reason = _skip_reason(dom)
    if reason:
        pytest.skip(reason)
    assert dom.os.firmware_file and dom.os.loader.secure
    argv = _bootable(list(result.argv), dom, tmp_path)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        sock = str(tmp_path / "qmp.sock")
        deadline = time.monotonic() + 30
        while not os.path.exists(sock):
            if proc.poll() is not None:
                pytest.fail(f"QEMU refused the argv: {proc.stderr.read().decode()[-800:]}")
            assert time.monotonic() < deadline, "QEMU did not start"
            time.sleep(0.05)
        got = asyncio.run(_ask(sock))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert got["pflash0"] == "libvirt-pflash0-format"
    assert got["pflash1"] == "libvirt-pflash1-format"
    assert got["smm"] == "on"
    assert got["status"]["status"] == "prelaunch"
    nodes = {n["node-name"]: n for n in got["block"]}
    assert nodes["libvirt-pflash0-storage"]["file"] == dom.os.loader.path
    assert nodes["libvirt-pflash0-format"]["ro"] is True
    assert nodes["libvirt-pflash1-storage"]["file"] == str(tmp_path / "VARS.fd")
    assert nodes["libvirt-pflash1-format"]["ro"] is False

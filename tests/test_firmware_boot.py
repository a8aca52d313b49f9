"""The autoselected EFI firmware is real: examples/efi-secure-boot.xml's argv starts
QEMU (paused, TCG) with the OVMF code flash read-only, a private copy of the variable
template as pflash1, SMM on and the secure flash; QMP confirms what the machine got."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from compiler.api import compile_file, make_env

from .conftest import ROOT
from .qemu import NO_QEMU, QEMU, QemuRefused, ask_paused, bootable

EXAMPLE = ROOT / "examples" / "efi-secure-boot.xml"


def _skip_reason(dom) -> str | None:
    if QEMU is None:
        return NO_QEMU
    for path in (dom.os.loader.path, dom.os.nvram_template):
        if not path or not os.path.isfile(path):
            return f"OVMF is not installed: {path} is missing (apt-get install ovmf)"
    return None


async def _ask(qmp) -> dict:
    got = {}
    for prop in ("pflash0", "pflash1", "smm"):
        got[prop] = await qmp.execute("qom-get", {"path": "/machine", "property": prop})
    got["block"] = await qmp.execute("query-named-block-nodes")
    got["status"] = await qmp.execute("query-status")
    return got


def test_efi_secure_boot_example_starts_with_its_flash(tmp_path):
    result = compile_file(str(EXAMPLE), make_env())
    dom = result.domain
    reason = _skip_reason(dom)
    if reason:
        pytest.skip(reason)
    assert dom.os.firmware_file and dom.os.loader.secure
    # pflash0 is the installed OVMF code; pflash1 a private copy of the variable template
    pflash1 = next(json.loads(v) for o, v in zip(result.argv, result.argv[1:])
                   if o == "-blockdev" and '"libvirt-pflash1-storage"' in v)
    assert pflash1["filename"] == dom.os.nvram
    vars_copy = tmp_path / "VARS.fd"
    shutil.copyfile(dom.os.nvram_template, vars_copy)
    argv, _ = bootable(list(result.argv), tmp_path, keep={
        "libvirt-pflash0-storage": None, "libvirt-pflash1-storage": str(vars_copy)})
    try:
        got = ask_paused(argv, _ask)
    except QemuRefused as e:
        pytest.fail(f"QEMU refused the argv: {str(e)[-800:]}")
    assert got["pflash0"] == "libvirt-pflash0-format"
    assert got["pflash1"] == "libvirt-pflash1-format"
    assert got["smm"] == "on"
    assert got["status"]["status"] == "prelaunch"
    nodes = {n["node-name"]: n for n in got["block"]}
    assert nodes["libvirt-pflash0-storage"]["file"] == dom.os.loader.path
    assert nodes["libvirt-pflash0-format"]["ro"] is True
    assert nodes["libvirt-pflash1-storage"]["file"] == str(tmp_path / "VARS.fd")
    assert nodes["libvirt-pflash1-format"]["ro"] is False

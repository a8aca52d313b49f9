"""Every corpus domain domc compiles and that needs nothing from the host beyond
image files is started under QEMU 7.2 (paused, TCG): QEMU must accept the argv.

Domains that need host resources this machine may not have (host devices, network
storage, sockets to other daemons, GL, audio servers, hugepages) are left out by
looking at the argv, and QEMU's answers that only say "this host cannot" are allowed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from compiler.api import compile_file, make_env
from compiler.diagnostics import DomcError

from .conftest import CORPUS, ROOT
from .qemu import QEMU, QEMU_IMG, bootable


# argv that reaches for host resources
NEEDS_HOST = re.compile(
    r"hostdev|vfio|tpm|vhost|nvme|\"rbd\"|iscsi|\"nbd\"|gluster|\"https?\"|\"ftps?\"|\"ssh\"|"
    r"\"nfs\"|spice|vdpa|smartcard|redir|usb-host|hugepages|memfd|mem-path|fsdev|"
    r"chardev socket|-chardev socket|bridge|\"tap\"|-vnc|egl|sdl|-kernel|pflash|ccid")
# QEMU saying the host lacks something, not that the argv is wrong
HOST_LIMITS = re.compile(r"Could not init .* audio driver|kernel doesn't allow setting HyperV|"
                         r"opengl is not available|SG_IO|Invalid host-nodes value|"
                         r"could not open kernel file|Unknown audio driver|"
                         # a display module this QEMU was installed without (Debian's
                         # qemu-system-gui holds the GL ones: hw-display-virtio-gpu-gl...)
                         r"missing object type '[^']*(?:-gl\b|opengl|egl|spice|qxl|gtk|sdl)[^']*'")


def _cases():
    d = CORPUS / "qemuxml2argv"
    if not d.is_dir():
        return []
    return sorted(p for p in d.glob("*.xml") if not p.name.endswith("-latest.xml"))


def _bootable(argv: list[str], tmp_path) -> list[str] | None:
    out, _ = bootable(argv, tmp_path)
    return None if NEEDS_HOST.search(" ".join(out)) else out


@pytest.mark.skipif(QEMU is None or QEMU_IMG is None,
                    reason="qemu-system-x86_64 / qemu-img are not installed")
@pytest.mark.parametrize("xml", _cases(), ids=lambda p: p.stem)
def test_qemu_accepts_the_compiled_argv(xml, tmp_path):
    try:
        result = compile_file(str(xml), make_env(
            host_root=str(ROOT / "fixtures" / "topologies" / "vm-1node-2cpu")))
    except DomcError:
        pytest.skip("domc refuses this domain (its errors are tested elsewhere)")
    argv = _bootable(list(result.argv), tmp_path)
    if argv is None:
        pytest.skip("needs host resources this test does not provide")
    p = subprocess.run(argv + ["-S", "-qmp", "stdio"], capture_output=True, timeout=60,
                       input=b'{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n')
    err = p.stderr.decode(errors="replace")
    limit = HOST_LIMITS.search(err)
    if limit:
        pytest.skip(f"this host cannot: {limit.group(0)}")
    assert p.returncode == 0 and "error" not in err.lower(), err[-600:]


# ------------------------------------------------------------ QEMU without its GL modules

MODULE_DIR = Path("/usr/lib/x86_64-linux-gnu/qemu")
GL_MODULE = "hw-display-virtio-gpu-gl.so"


def test_missing_display_modules_are_a_host_limit_not_a_failure():
    said = ("qemu-system-x86_64: -device {\"driver\":\"virtio-vga-gl\",\"id\":\"video0\"}: "
            "missing object type 'virtio-gpu-gl-device'")
    assert HOST_LIMITS.search(said)
    # an object type domc got wrong is still a failure
    assert not HOST_LIMITS.search("-object {\"qom-type\":\"memory-backend-rma\"}: "
                                  "missing object type 'memory-backend-rma'")


@pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 is not installed")
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                    reason="hiding a QEMU module needs root and unshare (a private mount)")
@pytest.mark.skipif(not (MODULE_DIR / GL_MODULE).is_file(),
                    reason=f"{MODULE_DIR / GL_MODULE} is not installed: QEMU's own answer "
                    "without it is what the test asks for, and the pattern is checked above")
def test_what_qemu_says_without_its_gl_module_is_a_host_limit(tmp_path):
    """Hide hw-display-virtio-gpu-gl.so (as a machine without qemu-system-gui lacks it)
    in a private mount namespace and ask QEMU for a GL display device."""
    mods = tmp_path / "modules"
    mods.mkdir()
    for so in MODULE_DIR.glob("*.so"):
        if so.name != GL_MODULE:
            shutil.copy2(so, mods / so.name)
    script = (f"mount --bind {mods} {MODULE_DIR} && exec {QEMU} -nodefaults -display none "
              "-machine pc -accel tcg -device virtio-vga-gl -S -qmp stdio")
    p = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, timeout=60,
                       input=b'{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n')
    err = p.stderr.decode(errors="replace")
    if "mount" in err and "missing object type" not in err:
        pytest.skip(f"no private mount here: {err.strip()[:120]}")
    assert p.returncode != 0 and "missing object type 'virtio-gpu-gl-device'" in err, err
    assert HOST_LIMITS.search(err)

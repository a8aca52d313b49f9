"""Every corpus domain domc compiles and that needs nothing from the host beyond
image files is started under QEMU 7.2 (paused, TCG): QEMU must accept the argv.

Domains that need host resources this machine may not have (host devices, network
storage, sockets to other daemons, GL, audio servers, hugepages) are left out by
looking at the argv, and QEMU's answers that only say "this host cannot" are allowed.
"""

from __future__ import annotations

import re
import subprocess

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
                         r"could not open kernel file|Unknown audio driver")


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
    if HOST_LIMITS.search(err):
        pytest.skip(f"this host cannot: {err.strip().splitlines()[-1][:120]}")
    assert p.returncode == 0 and "error" not in err.lower(), err[-600:]

"""The helpers and secrets of issue 11 on the real QEMU 7.2.

* examples/win11.xml (q35, UEFI secure boot, TPM 2.0 emulator, virtio disk) under
  ``domc run --check``: swtpm_setup makes the TPM state, swtpm starts, QMP's
  query-tpm shows the emulated TPM and its chardev is connected; a second run keeps
  the state and the UEFI variables.  The same through the ``--format shell``
  launcher.  The run uses TCG (the example says kvm; a test machine's KVM may be
  absent or nested) and a scratch disk in place of the example's.
* virtiofs: virtiofsd serving a directory to vhost-user-fs-pci (only where a
  virtiofsd binary exists: Debian 12's main archive has none).
* vhost-user-gpu serving a vhost-user-vga (QEMU 7.2 connects vhost-user GPUs only
  under KVM: where /dev/kvm cannot be used, skipped with that reason).
* LUKS: a qcow2 made with ``qemu-img create --object secret ... -o encrypt.format=luks``
  opens with the secret file domc names and QEMU refuses it with a wrong one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from compiler.api import compile_file, make_env
from compiler.emit.shell import shell_launcher
from compiler.runtime import HostDirs

from .conftest import ROOT
from .qemu import NO_QEMU, QEMU, QEMU_IMG, QemuRefused, ask_paused, bootable, make_luks

EXAMPLE = ROOT / "examples" / "win11.xml"
NEEDS_QEMU = pytest.mark.skipif(QEMU is None or QEMU_IMG is None, reason=NO_QEMU)


def _domc(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def _short_dir() -> str:
    """Unix socket paths must fit in 108 bytes: pytest's tmp_path may be too deep."""
    return tempfile.mkdtemp(prefix="domc-h.", dir="/tmp")


@pytest.fixture
def short(tmp_path):
    d = Path(_short_dir())
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _need(*tools: str) -> None:
    for t in tools:
        if shutil.which(t) is None:
            pytest.skip(f"{t} is not installed (apt-get install swtpm swtpm-tools)")


def _win11_copy(short: Path) -> Path:
    text = EXAMPLE.read_text()
    dom = compile_file(str(EXAMPLE), make_env()).domain
    for path in (dom.os.loader.path, dom.os.nvram_template):
        if not os.path.isfile(path):
            pytest.skip(f"OVMF is not installed: {path} is missing (apt-get install ovmf)")
    disk = short / "win11.qcow2"
    subprocess.run([QEMU_IMG, "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
    assert "/var/lib/domc/images/win11.qcow2" in text and "<domain type='kvm'>" in text
    text = text.replace("/var/lib/domc/images/win11.qcow2", str(disk))
    text = text.replace("<domain type='kvm'>", "<domain type='qemu'>")
    text = re.sub(r"<cpu mode='host-passthrough'[^>]*/>", "", text)  # -cpu host needs KVM
    copy = short / "win11.xml"
    copy.write_text(text)
    return copy


@NEEDS_QEMU
def test_win11_runs_with_its_tpm_under_domc_run_check(short):
    _need("swtpm", "swtpm_setup")
    xml = _win11_copy(short)
    dirs = ["--run-dir", str(short / "run"), "--state-dir", str(short / "state")]
    done = _domc("run", str(xml), "--check", *dirs)
    assert done.returncode == 0, done.stderr
    assert "mismatch" not in done.stderr
    state = next((short / "state" / "swtpm").glob("*/tpm2/tpm2-00.permall"))
    nvram = short / "state" / "nvram" / "win11_VARS.fd"
    assert state.stat().st_size > 0 and nvram.stat().st_size > 0
    before = (state.read_bytes(), nvram.stat().st_mtime_ns)
    nvram_bytes = nvram.read_bytes()
    # a second start keeps the user's data: no swtpm_setup, no fresh variable store
    done = _domc("run", str(xml), "--check", *dirs)
    assert done.returncode == 0, done.stderr
    assert nvram.read_bytes() == nvram_bytes and nvram.stat().st_mtime_ns == before[1]
    assert state.exists()
    assert subprocess.run(["pgrep", "-f", f"swtpm socket.*{short}"]).returncode == 1


async def _tpm_and_quit(qmp):
    got = {"tpm": await qmp.execute("query-tpm"),
           "chardevs": await qmp.execute("query-chardev")}
    await qmp.execute("quit")
    return got


@NEEDS_QEMU
def test_win11_through_the_shell_launcher(short):
    """The launcher sets up the TPM state, starts swtpm, runs QEMU (here paused with a
    QMP socket the test asks), and stops swtpm when QEMU exits."""
    _need("swtpm", "swtpm_setup")
    xml = _win11_copy(short)
    result = compile_file(str(xml), make_env(dirs=HostDirs(str(short / "run"),
                                                           str(short / "state"))))
    qmp_sock = short / "qmp.sock"
    argv = list(result.argv) + ["-S", "-display", "none", "-vnc", "none",
                                "-qmp", f"unix:{qmp_sock},server=on,wait=off"]
    script = short / "launch.sh"
    script.write_text(shell_launcher(argv, result.plan))
    proc = subprocess.Popen(["sh", str(script)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not qmp_sock.exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        got = _ask(str(qmp_sock), _tpm_and_quit)
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert [(t["id"], t["model"], t["options"]["type"]) for t in got["tpm"]] == [
        ("tpm-tpm0", "tpm-crb", "emulator")]
    chrtpm = next(c for c in got["chardevs"] if c["label"] == "chrtpm")
    assert not chrtpm["filename"].startswith("disconnected")
    assert subprocess.run(["pgrep", "-f", f"swtpm socket.*{short}"]).returncode == 1


def _ask(sock: str, fn):
    import asyncio

    from qemu.qmp import QMPClient

    async def go():
        client = QMPClient("domc-test")
        await client.connect(sock)
        try:
            return await fn(client)
        finally:
            try:
                await client.disconnect()
            except Exception:  # noqa: BLE001 - QEMU quit first
                pass

    return asyncio.run(asyncio.wait_for(go(), 60))


SHARED_DOMAIN = """<domain type='{type}'>
  <name>{name}</name>
  <uuid>11111111-2222-3333-4444-55555555555{n}</uuid>
  <memory unit='MiB'>256</memory>
  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
{devices}
  </devices>
</domain>
"""


@NEEDS_QEMU
def test_virtiofs_share_connects(short):
    if shutil.which("virtiofsd") is None:
        pytest.skip("no virtiofsd binary on PATH (Debian 12's main archive has none)")
    share = short / "share"
    share.mkdir()
    xml = short / "fs.xml"
    xml.write_text(SHARED_DOMAIN.format(type="qemu", name="fs", n=8, devices=(
        "<filesystem type='mount'><driver type='virtiofs'/>"
        f"<binary path='{shutil.which('virtiofsd')}'/><source dir='{share}'/>"
        "<target dir='share'/></filesystem>")))
    done = _domc("run", str(xml), "--check", "--run-dir", str(short / "run"),
                 "--state-dir", str(short / "state"))
    assert done.returncode == 0, done.stderr


def _kvm_usable() -> bool:
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError:
        return False
    os.close(fd)
    return True


@NEEDS_QEMU
def test_vhost_user_gpu_serves_the_vga(short):
    gpu = "/usr/lib/qemu/vhost-user-gpu"
    if not os.access(gpu, os.X_OK):
        pytest.skip(f"{gpu} is not installed (apt-get install qemu-system-gui)")
    if not _kvm_usable():
        pytest.skip("/dev/kvm cannot be opened: QEMU 7.2 connects a vhost-user GPU only "
                    "under KVM")
    xml = short / "gpu.xml"
    xml.write_text(SHARED_DOMAIN.format(type="kvm", name="gpu", n=7, devices=(
        "<video><driver name='vhostuser'/><model type='virtio' heads='1'/></video>")))
    done = _domc("run", str(xml), "--check", "--run-dir", str(short / "run"),
                 "--state-dir", str(short / "state"))
    assert done.returncode == 0, done.stderr
    assert subprocess.run(["pgrep", "-f", f"vhost-user-gpu.*{short}"]).returncode == 1


LUKS_UUID = "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"


async def _block_nodes(qmp):
    return await qmp.execute("query-named-block-nodes")


@NEEDS_QEMU
def test_luks_qcow2_opens_with_the_secret_and_not_with_a_wrong_one(tmp_path):
    passphrase, wrong = tmp_path / "pass", tmp_path / "wrong"
    passphrase.write_text("correct horse battery staple")
    wrong.write_text("incorrect horse")
    image = tmp_path / "enc.qcow2"
    make_luks(str(image), "qcow2", str(passphrase), "16M")
    xml = tmp_path / "luks.xml"
    xml.write_text(SHARED_DOMAIN.format(type="qemu", name="luks", n=9, devices=(
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
        f"<source file='{image}'><encryption format='luks'><secret type='passphrase' "
        f"uuid='{LUKS_UUID}'/></encryption></source><target dev='vda' bus='virtio'/></disk>")))

    def boot(secret: Path):
        dirs = HostDirs(secrets=((LUKS_UUID, str(secret)),))
        result = compile_file(str(xml), make_env(dirs=dirs))
        assert str(secret) in " ".join(result.argv)
        assert "horse" not in " ".join(result.argv)  # the passphrase is never on the line
        argv, _ = bootable(list(result.argv), tmp_path, keep={"libvirt-1-storage": None},
                           keep_secrets=True)
        return ask_paused(argv, _block_nodes)

    nodes = {n["node-name"]: n for n in boot(passphrase)}
    fmt = nodes["libvirt-1-format"]
    assert (fmt["drv"], fmt["encrypted"]) == ("qcow2", True)
    assert nodes["libvirt-1-storage"]["file"] == str(image)
    with pytest.raises(QemuRefused) as e:
        boot(wrong)
    assert "Invalid password" in str(e.value)
    # and the plan names the secret's file for `domc run` / the launcher to check
    done = _domc("compile", str(xml), "--format", "json", "--secret", f"{LUKS_UUID}={wrong}")
    plan = json.loads(done.stdout)["plan"]
    assert [s["file"] for s in plan["secrets"]] == [str(wrong)]

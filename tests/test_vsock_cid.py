"""<vsock><cid auto='yes'/>: the launchers choose the guest CID when the guest starts,
as libvirt does (virVsockAcquireGuestCid: the first CID from 3 that setting on a
/dev/vhost-vsock descriptor does not find in use), and put it into the argv, which
carries 3 until then."""

from __future__ import annotations

import errno
import json
import os
import subprocess

import pytest

from compiler.api import compile_file, make_env
from compiler.commands import _launch
from compiler.commands._launch import VHOST_VSOCK, VHOST_VSOCK_SET_GUEST_CID, choose_cids, \
    launch_argv
from compiler.devices.vsock import AutoCid
from compiler.diagnostics import DomcError
from compiler.emit.shell import shell_launcher

DOMAIN = ("<domain type='kvm'><name>g</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>"
          "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
          "<emulator>{emulator}</emulator>{vsock}</devices></domain>")
AUTO = "\n<vsock model='virtio'><cid auto='yes'/></vsock>"


def compiled(tmp_path, vsock=AUTO, emulator="/usr/bin/qemu-system-x86_64"):
    path = tmp_path / "g.xml"
    path.write_text(DOMAIN.format(vsock=vsock, emulator=emulator))
    return compile_file(str(path), make_env())


def _cid(argv) -> int:
    [dev] = [json.loads(a) for a in argv if '"vhost-vsock-pci"' in a]
    return dev["guest-cid"]


class FakeVhostVsock:
    """/dev/vhost-vsock of a host whose guests hold ``used``: VHOST_VSOCK_SET_GUEST_CID
    fails with EADDRINUSE for them."""

    def __init__(self, used):
        self.used, self.asked = set(used), []

    def ioctl(self, fd, request, arg):
        assert request == VHOST_VSOCK_SET_GUEST_CID and len(arg) == 8
        cid = int.from_bytes(arg, "little")
        self.asked.append(cid)
        if cid in self.used:
            raise OSError(errno.EADDRINUSE, "Address already in use")
        return 0


def test_the_launcher_takes_the_first_free_cid(tmp_path, monkeypatch):
    fake = FakeVhostVsock({3, 4, 6})
    monkeypatch.setattr(_launch.fcntl, "ioctl", fake.ioctl)
    result = compiled(tmp_path)
    assert _cid(result.argv) == 3
    argv = choose_cids(list(result.argv), result.autocids, device=os.devnull)
    assert _cid(argv) == 5 and fake.asked == [3, 4, 5]
    # a second automatic CID in the same start skips the one just chosen
    two = [*result.argv, "-device", '{"driver":"vhost-vsock-pci","id":"vsock1","guest-cid":3}']
    out = choose_cids(two, (AutoCid("vsock0"), AutoCid("vsock1")), device=os.devnull)
    assert [json.loads(a)["guest-cid"] for a in out if "vhost-vsock" in a] == [5, 7]


def test_a_fixed_cid_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(_launch.fcntl, "ioctl", None)  # never asked
    result = compiled(tmp_path, "<vsock model='virtio'><cid auto='no' address='9'/></vsock>")
    assert result.autocids == ()
    assert _cid(launch_argv(result.argv, (), result.autoports, result.autocids)) == 9


@pytest.mark.skipif(os.path.exists(VHOST_VSOCK), reason=f"{VHOST_VSOCK} exists here")
def test_run_without_vhost_vsock_is_a_located_error(tmp_path):
    result = compiled(tmp_path)
    with pytest.raises(DomcError) as e:
        launch_argv(result.argv, (), result.autoports, result.autocids)
    [d] = e.value.diagnostics
    assert d.code == "vsock-cid" and VHOST_VSOCK in d.message and d.span.line == 2


def test_shell_launcher_puts_the_chosen_cid_into_the_argv(tmp_path):
    """The launcher's free_cid asks python3; a stand-in python3 answers 7, and a
    stand-in emulator prints what it was started with."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text("#!/bin/sh\ncat >/dev/null\necho \"$@\" > "
                                     f"{tmp_path}/asked\necho 7\n")
    fake = tmp_path / "qemu"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    for f in (bin_dir / "python3", fake):
        f.chmod(0o755)
    result = compiled(tmp_path, emulator=str(fake))
    script = tmp_path / "run.sh"
    script.write_text(shell_launcher(list(result.argv), result.plan, result.env,
                                     result.autoports, result.autocids))
    out = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert out.returncode == 0, out.stderr
    assert _cid(out.stdout.splitlines()) == 7
    assert (tmp_path / "asked").read_text().split() == ["-", "3"]


@pytest.mark.skipif(os.path.exists(VHOST_VSOCK), reason=f"{VHOST_VSOCK} exists here")
def test_shell_launcher_without_vhost_vsock_stops(tmp_path):
    result = compiled(tmp_path, emulator="/bin/echo")
    script = tmp_path / "run.sh"
    script.write_text(shell_launcher(list(result.argv), result.plan, result.env,
                                     result.autoports, result.autocids))
    out = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and VHOST_VSOCK in out.stderr and out.stdout == ""

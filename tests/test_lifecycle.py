"""<on_poweroff>, <on_reboot>, <on_crash>: the actions libvirt 9.0's QEMU driver takes
(others refused at compile time, as libvirt refuses them), carried out by ``domc run``
as libvirt's daemon carries them out on QEMU's events (compiler/placement/lifecycle.py).

The QEMU tests boot a one-sector guest that powers off (ACPI S5 through PIIX4's PM1a
control port), resets (the reset control register 0xcf9) or panics (pvpanic's port):
``domc run`` must return once the guest did, where QEMU alone (-no-shutdown) would
wait for a daemon forever."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from compiler.api import compile_file, make_env
from compiler.diagnostics import DomcError
from compiler.placement.lifecycle import commands_for

from .conftest import ROOT
from .qemu import NO_QEMU, QEMU

DEFAULTS = {"on_poweroff": "destroy", "on_reboot": "restart", "on_crash": "destroy"}


@pytest.mark.parametrize("event, data, actions, want", [
    ("SHUTDOWN", {"guest": True, "reason": "guest-shutdown"}, {}, ("quit",)),
    ("SHUTDOWN", {"guest": True, "reason": "guest-shutdown"}, {"on_poweroff": "restart"},
     ("system_reset", "cont")),
    # the host asked (a signal, QMP quit): QEMU exits by itself
    ("SHUTDOWN", {"guest": False, "reason": "host-signal"}, {}, ()),
    # a panic is GUEST_PANICKED's business, not on_poweroff's
    ("SHUTDOWN", {"guest": True, "reason": "guest-panic"}, {"on_crash": "preserve"}, ()),
    ("RESET", {"guest": True, "reason": "guest-reset"}, {}, ()),
    ("RESET", {"guest": True, "reason": "guest-reset"}, {"on_reboot": "destroy"}, ("quit",)),
    ("RESET", {"guest": False, "reason": "host-qmp-system-reset"}, {"on_reboot": "destroy"}, ()),
    ("GUEST_PANICKED", {"action": "pause"}, {}, ("quit",)),
    ("GUEST_PANICKED", {"action": "pause"}, {"on_crash": "restart"}, ("system_reset", "cont")),
    ("GUEST_PANICKED", {"action": "pause"}, {"on_crash": "preserve"}, ()),
    ("STOP", {}, {}, ()),
])
def test_each_event_gets_libvirts_action(event, data, actions, want):
    assert commands_for(event, data, {**DEFAULTS, **actions}) == want


def _domain(tmp_path: Path, extra: str = "", devices: str = "", image: str = "/g.img") -> Path:
    xml = tmp_path / "guest.xml"
    xml.write_text(
        "<domain type='qemu'><name>lifecycle</name><memory unit='MiB'>64</memory>"
        "<vcpu>1</vcpu><features><acpi/></features>"
        f"<os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>{extra}"
        "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
        f"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{image}'/>"
        f"<target dev='hda' bus='ide'/></disk>{devices}<memballoon model='none'/></devices>"
        "</domain>")
    return xml


@pytest.mark.parametrize("extra, why", [
    ("<on_reboot>rename-restart</on_reboot>", "QEMU guests take destroy, restart"),
    ("<on_poweroff>preserve</on_poweroff>", "QEMU guests take destroy, restart"),
    ("<on_poweroff>coredump-destroy</on_poweroff>", "QEMU guests take destroy, restart"),
    ("<on_crash>bogus</on_crash>", "not a lifecycle action"),
])
def test_actions_libvirts_qemu_driver_refuses_are_refused(tmp_path, extra, why):
    with pytest.raises(DomcError) as e:
        compile_file(str(_domain(tmp_path, extra)), make_env())
    (d,) = e.value.diagnostics
    assert d.code == "lifecycle" and why in d.message and d.span.line > 0


def test_the_plan_carries_what_differs_from_libvirts_defaults(tmp_path):
    plain = compile_file(str(_domain(tmp_path)), make_env()).plan
    assert plain.lifecycle == ()
    said = compile_file(str(_domain(tmp_path, "<on_poweroff>destroy</on_poweroff>"
                                    "<on_reboot>destroy</on_reboot>"
                                    "<on_crash>preserve</on_crash>")), make_env()).plan
    assert said.lifecycle == (("on_reboot", "destroy"), ("on_crash", "preserve"))


# one boot sector each: x86 real mode, then hlt forever
POWER_OFF = [0xBA, 0x04, 0x06, 0xB8, 0x00, 0x20, 0xEF]  # out 0x604, 0x2000: PM1a SLP_EN, S5
RESET = [0xBA, 0xF9, 0x0C, 0xB0, 0x06, 0xEE]             # out 0xcf9, 6: hard reset
PANIC = [0xBA, 0x05, 0x05, 0xB0, 0x01, 0xEE]             # out 0x505, 1: pvpanic "panicked"


def _sector(code: list[int]) -> bytes:
    body = bytes(code) + bytes([0xF4, 0xEB, 0xFD])
    return body + bytes(510 - len(body)) + b"\x55\xaa"


@pytest.mark.skipif(QEMU is None, reason=NO_QEMU)
@pytest.mark.parametrize("code, extra, devices", [
    (POWER_OFF, "", ""),                                   # on_poweroff: destroy (default)
    (RESET, "<on_reboot>destroy</on_reboot>", ""),
    (PANIC, "", "<panic model='isa'><address type='isa' iobase='0x505'/></panic>"),
], ids=["poweroff", "reboot-destroy", "panic"])
def test_domc_run_ends_when_the_guest_does(code, extra, devices):
    short = Path(tempfile.mkdtemp(prefix="domc-l.", dir="/tmp"))  # unix socket paths are short
    try:
        image = short / "guest.img"
        image.write_bytes(_sector(code))
        xml = _domain(short, extra, devices, str(image))
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "compiler", "run", str(xml),
                               "--run-dir", str(short / "run"), "--state-dir", str(short / "state")],
                              cwd=ROOT, capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, done.stderr
        assert time.monotonic() - start < 60
    finally:
        shutil.rmtree(short, ignore_errors=True)


@pytest.mark.skipif(QEMU is None, reason=NO_QEMU)
@pytest.mark.parametrize("code, extra, devices", [
    (POWER_OFF, "", ""),
    (RESET, "<on_reboot>destroy</on_reboot>", ""),
    (PANIC, "", "<panic model='isa'><address type='isa' iobase='0x505'/></panic>"),
], ids=["poweroff", "reboot-destroy", "panic"])
def test_the_shell_launcher_ends_when_the_guest_does(code, extra, devices):
    """The shell launcher watches no monitor: QEMU's own options take the actions
    (no -no-shutdown for on_poweroff='destroy', -no-reboot for on_reboot='destroy')."""
    short = Path(tempfile.mkdtemp(prefix="domc-l.", dir="/tmp"))
    try:
        image = short / "guest.img"
        image.write_bytes(_sector(code))
        xml = _domain(short, extra, devices, str(image))
        script = short / "guest.sh"
        made = subprocess.run([sys.executable, "-m", "compiler", "compile", str(xml), "--format",
                               "shell"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
        text = made.stdout
        script.write_text(text)
        assert "-no-shutdown" not in text and ("-no-reboot" in text) == ("on_reboot" in extra)
        done = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    finally:
        shutil.rmtree(short, ignore_errors=True)


def test_the_shell_launcher_says_what_it_cannot_do(tmp_path):
    from compiler.emit.shell import lifecycle_argv

    plan = compile_file(str(_domain(tmp_path, "<on_poweroff>restart</on_poweroff>"
                                    "<on_crash>preserve</on_crash>")), make_env()).plan
    argv, notes = lifecycle_argv(["qemu-system-x86_64", "-no-shutdown"], plan)
    assert argv == ["qemu-system-x86_64", "-no-shutdown", "-action", "panic=pause"]
    assert len(notes) == 1 and "on_poweroff='restart' needs a monitor" in notes[0]
    # -no-shutdown stays, so a panic that destroys the guest must not pause it
    plan = compile_file(str(_domain(tmp_path, "<on_poweroff>restart</on_poweroff>")),
                        make_env()).plan
    argv, _ = lifecycle_argv(["qemu-system-x86_64", "-no-shutdown"], plan)
    assert argv == ["qemu-system-x86_64", "-no-shutdown", "-action", "panic=exit-failure"]

"""Helpers, secrets and user data in the plan, and the shell launcher that serves them.

The argv is libvirt 9.0's (checked with the oracle: its domxml-to-native writes
``-chardev null,id=chrtpm`` for a TPM whose swtpm it did not start; a started one is
``socket,id=chrtpm,path=...``, the argv libvirt's qemuBuildTPMCommandLine writes);
the paths are deterministic from the domain name/uuid under the directories given.
The launcher tests run the generated script with ``/bin/true`` standing in for QEMU
and stub helpers, so they need neither QEMU nor swtpm."""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest

from compiler.api import compile_file, make_env
from compiler.diagnostics import DomcError
from compiler.emit.shell import shell_launcher
from compiler.emit.taskset import plan_from_json, plan_json
from compiler.runtime import HostDirs

UUID = "5f3c2a1e-9d4b-4c8e-a7f6-0b1d2e3f4a5b"

DOMAIN = """<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>256</memory>
{extra}  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>{emulator}</emulator>
{devices}
  </devices>
</domain>
"""
SHARED = "  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>\n"
TPM = "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"
VIRTIOFS = ("<filesystem type='mount'><driver type='virtiofs'/><source dir='/srv/share'/>"
            "<target dir='share'/></filesystem>")
GPU = "<video><driver name='vhostuser'/><model type='virtio' heads='1'/></video>"


def compiled(tmp_path, devices: str, *, name="g", uuid=UUID, extra="", dirs=None,
             emulator="/usr/bin/qemu-system-x86_64"):
    path = tmp_path / "g.xml"
    path.write_text(DOMAIN.format(name=name, uuid=uuid, extra=extra, devices=devices,
                                  emulator=emulator))
    return compile_file(str(path), make_env(dirs=dirs or HostDirs("/r", "/st")))


def test_tpm_emulator_argv_and_swtpm(tmp_path):
    result = compiled(tmp_path, TPM)
    argv = list(result.argv)
    i = argv.index("-tpmdev")
    assert argv[i - 2:i + 4] == [
        "-chardev", "socket,id=chrtpm,path=/r/g/tpm0-swtpm.sock",
        "-tpmdev", "emulator,id=tpm-tpm0,chardev=chrtpm",
        "-device", '{"driver":"tpm-crb","tpmdev":"tpm-tpm0","id":"tpm0"}']
    (h,) = plan_json(result.plan)["helpers"]
    state = f"/st/swtpm/{UUID}/tpm2"
    assert h["argv"] == [
        "swtpm", "socket", "--ctrl", "type=unixio,path=/r/g/tpm0-swtpm.sock,mode=0600",
        "--tpmstate", f"dir={state},mode=0600", "--log", "file=/r/g/tpm0-swtpm.log",
        "--terminate", "--tpm2"]
    assert h["setup"] == {"creates": f"{state}/tpm2-00.permall", "argv": [
        "swtpm_setup", "--tpm2", "--tpm-state", state, "--vmid", f"g:{UUID}", "--logfile",
        "/r/g/tpm0-swtpm-setup.log", "--createek", "--create-ek-cert", "--create-platform-cert",
        "--lock-nvram", "--not-overwrite"]}
    assert (h["kind"], h["device"], h["socket"], h["chardev"]) == (
        "swtpm", "tpm0", "/r/g/tpm0-swtpm.sock", "chrtpm")
    assert plan_json(result.plan)["state"] == [{
        "what": "TPM 2.0 state of tpm0", "path": state, "template": None,
        "made_by": "swtpm_setup", "where": f"{tmp_path / 'g.xml'}:8"}]


def test_tpm_1_2_banks_and_encrypted_state(tmp_path):
    key = "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"
    tis = ("<tpm model='tpm-tis'><backend type='emulator'><encryption secret='" + key + "'/>"
           "</backend></tpm>")
    h = plan_json(compiled(tmp_path, tis).plan)["helpers"][0]
    assert "--tpm2" not in h["argv"] and h["setup"]["creates"].endswith("/tpm1.2/tpm-00.permall")
    assert h["argv"][-2:] == ["--key", f"pwdfile=/st/secrets/{key},mode=aes-256-cbc"]
    assert h["setup"]["argv"][-4:] == ["--pwdfile", f"/st/secrets/{key}", "--cipher", "aes-256-cbc"]
    banks = TPM.replace("/></tpm>", "><active_pcr_banks><sha384/><sha256/></active_pcr_banks>"
                        "</backend></tpm>")
    h = plan_json(compiled(tmp_path, banks).plan)["helpers"][0]
    assert h["setup"]["argv"][-2:] == ["--pcr-banks", "sha256,sha384"]


def test_virtiofs_gets_virtiofsd(tmp_path):
    fs = VIRTIOFS.replace("<driver type='virtiofs'/>", "<driver type='virtiofs' queue='1024'/>"
                          "<binary path='/usr/libexec/virtiofsd' xattr='on'><cache mode='none'/>"
                          "<thread_pool size='4'/></binary>")
    result = compiled(tmp_path, fs, extra=SHARED)
    argv = list(result.argv)
    assert "socket,id=chr-vu-fs0,path=/r/g/fs0-fs.sock" in argv
    dev = next(json.loads(v) for v in argv if "vhost-user-fs-pci" in v)
    assert (dev["chardev"], dev["tag"], dev["queue-size"]) == ("chr-vu-fs0", "share", 1024)
    (h,) = plan_json(result.plan)["helpers"]
    assert h["argv"] == ["/usr/libexec/virtiofsd", "--socket-path=/r/g/fs0-fs.sock",
                         "--shared-dir=/srv/share", "--cache=never", "--xattr",
                         "--thread-pool-size=4"]


def test_vhost_user_gpu(tmp_path):
    result = compiled(tmp_path, GPU + GPU, extra=SHARED)
    argv = list(result.argv)
    devs = [json.loads(v) for v in argv if "vhost-user-" in v]
    assert [(d["driver"], d["chardev"], d["max_outputs"]) for d in devs] == [
        ("vhost-user-vga", "chr-vu-video0", 1), ("vhost-user-gpu-pci", "chr-vu-video1", 1)]
    assert "socket,id=chr-vu-video1,path=/r/g/video1-gpu.sock" in argv
    assert [h["argv"] for h in plan_json(result.plan)["helpers"]] == [
        ["/usr/lib/qemu/vhost-user-gpu", "--socket-path=/r/g/video0-gpu.sock"],
        ["/usr/lib/qemu/vhost-user-gpu", "--socket-path=/r/g/video1-gpu.sock"]]


def test_plan_json_round_trips(tmp_path):
    result = compiled(tmp_path, TPM + VIRTIOFS + GPU, extra=SHARED)
    data = plan_json(result.plan)
    assert [h["kind"] for h in data["helpers"]] == ["swtpm", "virtiofsd", "vhost-user-gpu"]
    assert plan_json(plan_from_json(json.loads(json.dumps(data)))) == data


@pytest.mark.parametrize("name", ["..", "."])
def test_a_name_that_would_leave_its_directory_is_refused(tmp_path, name):
    with pytest.raises(DomcError) as e:
        compiled(tmp_path, TPM + VIRTIOFS + GPU, name=name, extra=SHARED)
    assert [d.code for d in e.value.diagnostics] == ["unsafe-name"] * 3


def test_paths_follow_the_directories_and_nothing_else(tmp_path):
    a = compiled(tmp_path, TPM, dirs=HostDirs("/x/run", "/x/state"))
    b = compiled(tmp_path, TPM, dirs=HostDirs("/x/run", "/x/state"))
    assert a.argv == b.argv and plan_json(a.plan) == plan_json(b.plan)
    assert plan_json(a.plan)["helpers"][0]["socket"] == "/x/run/g/tpm0-swtpm.sock"
    no_uuid = compiled(tmp_path, TPM.replace("", ""), uuid="")
    assert plan_json(no_uuid.plan)["state"][0]["path"] == "/st/swtpm/g/tpm2"


# ---------------------------------------------------------------- the shell launcher


def _launcher(tmp_path, devices: str, extra: str = "", **kw) -> tuple[str, str]:
    dirs = HostDirs(str(tmp_path / "run"), str(tmp_path / "state"), **kw)
    result = compiled(tmp_path, devices, extra=extra, dirs=dirs, emulator="/bin/true")
    script = tmp_path / "launch.sh"
    script.write_text(shell_launcher(list(result.argv), result.plan))
    return str(script), str(tmp_path / "g.xml")


def _run(script: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


LUKS = ("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
        "<source file='/img/a'><encryption format='luks'><secret type='passphrase' "
        "uuid='0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f'/></encryption></source>"
        "<target dev='vda' bus='virtio'/></disk>")


def test_launcher_refuses_while_a_secret_is_missing(tmp_path):
    script, xml = _launcher(tmp_path, LUKS)
    done = _run(script)
    assert done.returncode == 2
    line = next(n for n, text in enumerate(open(xml), 1) if "<secret" in text)
    assert done.stderr.startswith(f"{xml}:{line}: error[secret-missing]: disk 'vda' (LUKS "
                                  "passphrase): secret 0a81f5b2-")
    secret = tmp_path / "state" / "secrets" / "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"
    secret.parent.mkdir(parents=True)
    secret.write_text("s3cret")
    done = _run(script)
    assert (done.returncode, done.stderr) == (0, "")
    assert "s3cret" not in open(script).read()


def _stub(tmp_path, name: str, body: str) -> None:
    """A stand-in helper on PATH."""
    path = tmp_path / "bin" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text("#!/usr/bin/env python3\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


LISTEN = """import socket, sys, os
path = next(a.split('path=')[1].split(',')[0] for a in sys.argv if a.startswith('type=unixio'))
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen()
open(os.environ['STUB_LOG'], 'a').write('started\\n')
s.accept()
"""
SETUP = """import sys, os
state = sys.argv[sys.argv.index('--tpm-state') + 1]
open(os.path.join(state, 'tpm2-00.permall'), 'w').write('made')
open(os.environ['STUB_LOG'], 'a').write('setup\\n')
"""


def test_launcher_sets_up_tpm_state_once_starts_and_stops_swtpm(tmp_path):
    _stub(tmp_path, "swtpm", LISTEN)
    _stub(tmp_path, "swtpm_setup", SETUP)
    script, _ = _launcher(tmp_path, TPM)
    env = {"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "STUB_LOG": str(tmp_path / "log")}
    for _ in range(2):
        done = _run(script, env)
        assert (done.returncode, done.stderr) == (0, "")
    # set up once, started twice, and stopped both times (no stub left listening)
    assert (tmp_path / "log").read_text() == "setup\nstarted\nstarted\n"
    state = tmp_path / "state" / "swtpm" / UUID / "tpm2" / "tpm2-00.permall"
    assert state.read_text() == "made"
    assert stat.S_IMODE((tmp_path / "run" / "g").stat().st_mode) == 0o700
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(tmp_path / "bin" / "swtpm") not in ps


def test_launcher_reports_a_helper_that_dies(tmp_path):
    _stub(tmp_path, "swtpm", "import sys\nsys.exit(3)\n")
    _stub(tmp_path, "swtpm_setup", SETUP)
    script, _ = _launcher(tmp_path, TPM)
    done = _run(script, {"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
                         "STUB_LOG": str(tmp_path / "log")})
    assert done.returncode == 1
    assert "domc: swtpm exited before it opened" in done.stderr


EFI = ("<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os>"
       "<features><acpi/></features>")


def test_launcher_creates_uefi_variables_from_the_template_and_never_overwrites(tmp_path):
    path = tmp_path / "g.xml"
    template = tmp_path / "VARS.fd"
    template.write_bytes(b"template")
    nvram = tmp_path / "state" / "nvram" / "g_VARS.fd"
    text = DOMAIN.format(name="g", uuid=UUID, extra="", devices="", emulator="/bin/true")
    text = text.replace("<os><type arch='x86_64' machine='q35'>hvm</type></os>",
                        "<os><type arch='x86_64' machine='q35'>hvm</type>"
                        "<loader readonly='yes' type='pflash'>/x/CODE.fd</loader>"
                        f"<nvram template='{template}'/></os><features><acpi/></features>")
    path.write_text(text)
    result = compile_file(str(path), make_env(dirs=HostDirs(str(tmp_path / "run"),
                                                            str(tmp_path / "state"))))
    assert plan_json(result.plan)["state"][0]["path"] == str(nvram)
    script = tmp_path / "launch.sh"
    script.write_text(shell_launcher(list(result.argv), result.plan))
    assert _run(str(script)).returncode == 0
    assert nvram.read_bytes() == b"template"
    nvram.write_bytes(b"the guest's own variables")
    assert _run(str(script)).returncode == 0
    assert nvram.read_bytes() == b"the guest's own variables"
    nvram.unlink()
    template.unlink()
    done = _run(str(script))
    assert done.returncode == 2 and "error[state-template]: UEFI variables:" in done.stderr


# ---------------------------------------------------------------- domc run's side


def test_run_refuses_every_missing_secret_with_its_disk_and_line(tmp_path):
    from compiler.placement.services import check_secrets

    two = LUKS + LUKS.replace("vda", "vdb")
    result = compiled(tmp_path, two, dirs=HostDirs(str(tmp_path / "r"), str(tmp_path / "s")))
    with pytest.raises(DomcError) as e:
        check_secrets(result.plan)
    got = [(d.code, d.span.line, d.message.split(":")[0]) for d in e.value.diagnostics]
    assert got == [("secret-missing", 8, "disk 'vda' (LUKS passphrase)"),
                   ("secret-missing", 8, "disk 'vdb' (LUKS passphrase)")]
    secret = tmp_path / "s" / "secrets" / "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"
    secret.parent.mkdir(parents=True)
    secret.write_text("x")
    check_secrets(result.plan)


def test_run_creates_absent_user_data_and_keeps_what_exists(tmp_path):
    from compiler.placement.services import prepare_state
    from compiler.runtime import StateFile

    template = tmp_path / "T.fd"
    template.write_bytes(b"template")
    mine = tmp_path / "d" / "mine.fd"
    plan = _with_state(compiled(tmp_path, "").plan,
                       StateFile("UEFI variables", str(mine), str(template)))
    assert prepare_state(plan) == [str(mine)]
    assert mine.read_bytes() == b"template"
    mine.write_bytes(b"mine")
    assert prepare_state(plan) == []
    assert mine.read_bytes() == b"mine"


def _with_state(plan, *files):
    from compiler.record import evolve

    return evolve(plan, state=files)


class FakeQmp:
    def __init__(self, chardevs, peripherals, tpms):
        self.answers = {"query-chardev": chardevs, "qom-list": peripherals, "query-tpm": tpms}

    def __call__(self, *commands):
        return [self.answers[c if isinstance(c, str) else c[0]] for c in commands]


def test_check_finds_a_disconnected_helper_a_missing_device_and_no_tpm(tmp_path):
    from compiler.placement.services import helper_mismatches

    plan = compiled(tmp_path, TPM + VIRTIOFS, extra=SHARED).plan
    good = FakeQmp([{"label": "chrtpm", "filename": "unix:"},
                    {"label": "chr-vu-fs0", "filename": "unix:/r/g/fs0-fs.sock"}],
                   [{"name": "tpm0"}, {"name": "fs0"}],
                   [{"id": "tpm-tpm0", "model": "tpm-crb", "options": {"type": "emulator"}}])
    assert helper_mismatches(good, plan) == []
    bad = FakeQmp([{"label": "chrtpm", "filename": "unix:"},
                   {"label": "chr-vu-fs0", "filename": "disconnected:unix:/r/g/fs0-fs.sock"}],
                  [{"name": "tpm0"}], [])
    assert helper_mismatches(bad, plan) == [
        "swtpm for tpm0: query-tpm shows no emulated TPM tpm0",
        "virtiofsd for fs0: chardev chr-vu-fs0 is not connected to /r/g/fs0-fs.sock",
        "virtiofsd for fs0: QEMU has no device fs0"]


def test_run_reports_a_directory_it_cannot_make(tmp_path):
    from compiler.placement.services import Helpers

    (tmp_path / "file").write_text("")
    result = compiled(tmp_path, TPM, dirs=HostDirs(str(tmp_path / "file" / "run"),
                                                   str(tmp_path / "state")))
    with pytest.raises(DomcError) as e:
        with Helpers(result.plan):
            pass
    (d,) = e.value.diagnostics
    assert (d.code, d.span.line) == ("host-dir", 8)
    assert "(another place: --run-dir)" in d.message


def test_launcher_that_fails_leaves_neither_qemu_nor_helpers_behind(tmp_path):
    """With vCPU pinning QEMU runs in the background; when the launcher gives up (here:
    the stand-in QEMU has no vCPU threads to pin) it stops QEMU, then the helpers."""
    _stub(tmp_path, "swtpm", LISTEN)
    _stub(tmp_path, "swtpm_setup", SETUP)
    _stub(tmp_path, "fake-qemu", "import time\ntime.sleep(120)\n")
    dirs = HostDirs(str(tmp_path / "run"), str(tmp_path / "state"))
    result = compiled(tmp_path, TPM, dirs=dirs, emulator=str(tmp_path / "bin" / "fake-qemu"),
                      extra="  <cputune><vcpupin vcpu='0' cpuset='0'/></cputune>\n")
    script = tmp_path / "launch.sh"
    script.write_text(shell_launcher(list(result.argv), result.plan))
    done = _run(str(script), {"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
                              "STUB_LOG": str(tmp_path / "log")})
    assert done.returncode == 1 and "no QEMU thread named 'CPU 0/*'" in done.stderr
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(tmp_path / "bin") not in ps


def test_swtpm_paths_cannot_carry_a_comma(tmp_path):
    """swtpm's --ctrl/--tpmstate options have no escape for ','; QEMU's have (',,')."""
    with pytest.raises(DomcError) as e:
        compiled(tmp_path, TPM, name="a,b")
    assert [d.code for d in e.value.diagnostics] == ["unsafe-name"]
    argv = list(compiled(tmp_path, VIRTIOFS, name="a,b", extra=SHARED).argv)
    assert "socket,id=chr-vu-fs0,path=/r/a,,b/fs0-fs.sock" in argv
    from compiler.cli import main

    xml = str(tmp_path / "g.xml")
    assert main(["compile", xml, "--run-dir", str(tmp_path / "x,y")]) == 2

"""<launchSecurity type='sev'>: AMD SEV as libvirt 9.0 starts it (qemuBuildSEVCommandLine):
a sev-guest object the machine names as its confidential-guest-support, the guest
owner's <dhCert> and <session> in files the launchers write; what libvirt reads from
the host (cbitpos, reducedPhysBits when the XML leaves them out) the XML must give."""

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

DOMAIN = """<domain type='{type}'>
  <name>{name}</name>
  <memory unit='MiB'>256</memory>
  <os><type arch='x86_64' machine='{machine}'>hvm</type></os>
  <devices><emulator>{emulator}</emulator></devices>
  {sev}
</domain>
"""
SEV = ("<launchSecurity type='sev'{attrs}><cbitpos>51</cbitpos>"
       "<reducedPhysBits>1</reducedPhysBits><policy>0x0033</policy>{more}</launchSecurity>")
OWNER = "<dhCert>AQAAAA+/=</dhCert><session>IHAVE'NOIDEA</session>"


def compiled(tmp_path, sev: str, *, type="kvm", name="g", machine="q35", dirs=None,
             emulator="/usr/bin/qemu-system-x86_64"):
    path = tmp_path / "g.xml"
    path.write_text(DOMAIN.format(type=type, name=name, machine=machine, sev=sev,
                                  emulator=emulator))
    return compile_file(str(path), make_env(dirs=dirs or HostDirs("/r", "/st")))


def _objects(argv) -> list[dict]:
    return [json.loads(v) for o, v in zip(argv, argv[1:]) if o == "-object" and v[0] == "{"]


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_sev_guest_object_and_machine(tmp_path, machine):
    argv = list(compiled(tmp_path, SEV.format(attrs=" kernelHashes='yes'", more=OWNER),
                         machine=machine).argv)
    assert argv[argv.index("-machine") + 1].split(",")[-1] == "confidential-guest-support=lsec0"
    [sev] = [o for o in _objects(argv) if o["qom-type"] == "sev-guest"]
    assert sev == {"qom-type": "sev-guest", "id": "lsec0", "cbitpos": 51,
                   "reduced-phys-bits": 1, "policy": 0x33,
                   "dh-cert-file": "/r/g/dh_cert.base64", "session-file": "/r/g/session.base64",
                   "kernel-hashes": True}
    # after the devices, before -sandbox
    at = argv.index(json.dumps(sev, separators=(",", ":")))
    assert at < argv.index("-sandbox") and at > max(i for i, a in enumerate(argv)
                                                     if a == "-device")


def test_without_owner_blobs_no_files(tmp_path):
    result = compiled(tmp_path, SEV.format(attrs="", more=""))
    [sev] = [o for o in _objects(result.argv) if o["qom-type"] == "sev-guest"]
    assert sev == {"qom-type": "sev-guest", "id": "lsec0", "cbitpos": 51,
                   "reduced-phys-bits": 1, "policy": 0x33}
    assert plan_json(result.plan)["files"] == []


def test_the_plan_lists_the_files_and_round_trips(tmp_path):
    data = plan_json(compiled(tmp_path, SEV.format(attrs="", more=OWNER)).plan)
    assert [(f["path"], f["content"]) for f in data["files"]] == [
        ("/r/g/dh_cert.base64", "AQAAAA+/="), ("/r/g/session.base64", "IHAVE'NOIDEA")]
    assert plan_json(plan_from_json(json.loads(json.dumps(data)))) == data


BAD = [
    ("tcg", SEV.format(attrs="", more=""), {"type": "qemu"}, "type='kvm'"),
    ("no-policy", "<launchSecurity type='sev'><cbitpos>51</cbitpos><reducedPhysBits>1"
     "</reducedPhysBits></launchSecurity>", {}, "needs a <policy>"),
    ("bad-policy", SEV.format(attrs="", more="").replace("0x0033", "0xzz"), {}, "hex"),
    ("no-cbitpos", SEV.format(attrs="", more="").replace("<cbitpos>51</cbitpos>", ""), {},
     "<cbitpos>"),
    ("no-reduced-phys-bits", SEV.format(attrs="", more="").replace(
        "<reducedPhysBits>1</reducedPhysBits>", ""), {}, "<reducedPhysBits>"),
    ("s390-pv", "<launchSecurity type='s390-pv'/>", {}, "s390x"),
    ("unknown", "<launchSecurity type='tdx'/>", {}, "type='sev'"),
    ("unsafe-name", SEV.format(attrs="", more=OWNER), {"name": ".."}, "directory"),
]


@pytest.mark.parametrize("sev, kw, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_refused(tmp_path, sev, kw, message):
    with pytest.raises(DomcError) as e:
        compiled(tmp_path, sev, **kw)
    [d] = e.value.diagnostics
    assert message in d.message and d.span.line == 6


def test_shell_launcher_writes_the_files_anew(tmp_path):
    dirs = HostDirs(str(tmp_path / "run"), str(tmp_path / "state"))
    result = compiled(tmp_path, SEV.format(attrs="", more=OWNER), dirs=dirs,
                      emulator="/bin/true")
    script = tmp_path / "launch.sh"
    script.write_text(shell_launcher(list(result.argv), result.plan))
    cert = tmp_path / "run" / "g" / "dh_cert.base64"
    for _ in range(2):  # a second start rewrites what is there
        done = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert cert.read_text() == "AQAAAA+/="
        assert (tmp_path / "run" / "g" / "session.base64").read_text() == "IHAVE'NOIDEA"
        assert stat.S_IMODE(os.stat(cert).st_mode) == 0o600
        cert.write_text("stale")


def test_run_writes_the_files_anew(tmp_path):
    from compiler.placement.services import write_files

    dirs = HostDirs(str(tmp_path / "run"), str(tmp_path / "state"))
    plan = compiled(tmp_path, SEV.format(attrs="", more=OWNER), dirs=dirs).plan
    session = tmp_path / "run" / "g" / "session.base64"
    assert write_files(plan) == [str(tmp_path / "run" / "g" / "dh_cert.base64"), str(session)]
    session.write_text("stale")
    write_files(plan)
    assert session.read_text() == "IHAVE'NOIDEA"
    assert stat.S_IMODE(os.stat(session).st_mode) == 0o600

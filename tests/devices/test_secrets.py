"""Encrypted disks and network credentials: QEMU reads each secret from a file the
compile names (``-object secret,file=...``); libvirt's ids, node graph and property
names (checked against qemuxml2argv's luks-disks, encrypted-disk, disk-network-rbd and
disk-cdrom-network); the plan lists every secret with its owner and line."""

from __future__ import annotations

import json

import pytest

from compiler.api import compile_file, make_env
from compiler.emit.taskset import plan_json
from compiler.runtime import HostDirs

from .helpers import error_of, line_of, options, write

UUID = "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"


def luks_disk(fmt: str, secret: str = f"uuid='{UUID}'", where: str = "source") -> str:
    enc = f"<encryption format='luks'><secret type='passphrase' {secret}/></encryption>"
    inner, outer = (enc, "") if where == "source" else ("", enc)
    return (f"<disk type='file' device='disk'><driver name='qemu' type='{fmt}'/>"
            f"<source file='/img/a'>{inner}</source><target dev='vda' bus='virtio'/>{outer}"
            "</disk>")


def _compile(tmp_path, devices: str, dirs: HostDirs | None = None):
    return compile_file(write(tmp_path, devices), make_env(dirs=dirs))


def _json(argv, opt):
    return [json.loads(v) for v in options(argv, opt)]


@pytest.mark.parametrize("where", ["source", "disk"])
def test_luks_raw_is_a_luks_format_node(tmp_path, where):
    argv = list(_compile(tmp_path, luks_disk("raw", where=where)).argv)
    assert _json(argv, "-object")[-1] == {
        "qom-type": "secret", "id": "libvirt-1-format-encryption-secret0", "format": "raw",
        "file": f"/var/lib/domc/secrets/{UUID}"}
    storage, fmt = _json(argv, "-blockdev")
    assert fmt == {"node-name": "libvirt-1-format", "read-only": False, "driver": "luks",
                   "key-secret": "libvirt-1-format-encryption-secret0", "file": "libvirt-1-storage"}
    # the secret object comes before the nodes that use it
    assert argv.index(options(argv, "-object")[-1]) < argv.index(options(argv, "-blockdev")[0])


def test_luks_in_qcow2_is_the_qcow2_encrypt_option(tmp_path):
    argv = list(_compile(tmp_path, luks_disk("qcow2")).argv)
    fmt = _json(argv, "-blockdev")[1]
    assert (fmt["driver"], fmt["encrypt"]) == (
        "qcow2", {"format": "luks", "key-secret": "libvirt-1-format-encryption-secret0"})


def test_secret_files_by_usage_and_given_on_the_command_line(tmp_path):
    """A usage names a file of its own, percent-encoded so it cannot leave the
    directory; --secret KEY=FILE (KEY the uuid or the usage) wins."""
    devices = luks_disk("raw", "usage='/a/../b'")
    argv = list(_compile(tmp_path, devices).argv)
    assert _json(argv, "-object")[-1]["file"] == "/var/lib/domc/secrets/passphrase-%2Fa%2F..%2Fb"
    dirs = HostDirs(secrets_dir="/s", secrets=(("/a/../b", "/keys/b.pass"),))
    assert _json(list(_compile(tmp_path, devices, dirs).argv), "-object")[-1]["file"] == \
        "/keys/b.pass"
    dirs = HostDirs(secrets_dir="/s")
    assert _json(list(_compile(tmp_path, luks_disk("raw"), dirs).argv), "-object")[-1]["file"] == \
        f"/s/{UUID}"


def test_the_compile_never_reads_the_secret(tmp_path):
    """The secret file may not even exist: the compile only names it."""
    dirs = HostDirs(secrets=((UUID, str(tmp_path / "absent")),))
    result = _compile(tmp_path, luks_disk("qcow2"), dirs)
    assert str(tmp_path / "absent") in " ".join(result.argv)
    assert not (tmp_path / "absent").exists()


def test_plan_lists_each_secret_with_its_disk_and_line(tmp_path):
    devices = luks_disk("raw")
    plan = plan_json(_compile(tmp_path, devices).plan)
    path = write(tmp_path, devices)
    assert plan["secrets"] == [{
        "for": "disk 'vda' (LUKS passphrase)", "where": f"{path}:{line_of(devices, '<secret')}",
        "type": "passphrase", "uuid": UUID, "usage": None,
        "file": f"/var/lib/domc/secrets/{UUID}"}]


@pytest.mark.parametrize("proto,source,auth", [
    ("iscsi", "<source protocol='iscsi' name='iqn.x:y/1'><host name='h' port='6000'/>",
     {"user": "me", "password-secret": "libvirt-1-storage-auth-secret0"}),
    ("rbd", "<source protocol='rbd' name='pool/image'><host name='m' port='6321'/>",
     {"user": "me", "auth-client-required": ["cephx", "none"],
      "key-secret": "libvirt-1-storage-auth-secret0"}),
    ("https", "<source protocol='https' name='/a.iso'><host name='h' port='443'/>",
     {"username": "me", "password-secret": "libvirt-1-storage-auth-secret0"}),
])
def test_network_credentials(tmp_path, proto, source, auth):
    stype = "ceph" if proto == "rbd" else "iscsi"
    devices = (f"<disk type='network' device='disk'><driver name='qemu' type='raw'/>{source}"
               f"<auth username='me'><secret type='{stype}' usage='cluster'/></auth></source>"
               "<target dev='vda' bus='virtio'/></disk>")
    result = _compile(tmp_path, devices)
    assert result.warnings == ()
    argv = list(result.argv)
    assert _json(argv, "-object")[-1] == {
        "qom-type": "secret", "id": "libvirt-1-storage-auth-secret0", "format": "raw",
        "file": f"/var/lib/domc/secrets/{stype}-cluster"}
    storage = _json(argv, "-blockdev")[0]
    assert {k: storage[k] for k in auth} == auth
    assert [s["for"] for s in plan_json(result.plan)["secrets"]] == ["disk 'vda' (login of 'me')"]


@pytest.mark.parametrize("devices,message", [
    (luks_disk("raw").replace("</source>", "<encryption format='luks'><secret "
                              "type='passphrase' uuid='" + UUID + "'/></encryption></source>", 1)
     .replace("<target", "<encryption format='luks'/><target"),
     "already found"),
    (luks_disk("raw").replace("format='luks'", "format='qcow'"), "format 'qcow'"),
    (luks_disk("raw").replace("format='luks'", "format='luks' engine='librbd'"), "librbd"),
    (luks_disk("raw").replace("type='passphrase'", "type='ceph'"), "type='passphrase'"),
    (luks_disk("vmdk"), "'raw' or 'qcow2'"),
    (luks_disk("raw", "uuid='not-a-uuid'"), "not a uuid"),
])
def test_encryption_errors(tmp_path, devices, message):
    err = error_of(tmp_path, devices)
    assert message in err and ("error[disk-encryption]" in err or "error[bad-uuid]" in err)


def test_iscsi_hostdev_login(tmp_path):
    """libvirt 9.0's hostdev-scsi-lsi: ``libvirt-N-backend-secret0`` and the user in the
    iSCSI backend node."""
    devices = ("<controller type='scsi' index='0' model='virtio-scsi'/>"
               "<hostdev mode='subsystem' type='scsi'><source protocol='iscsi' "
               "name='iqn.1992-01.com.example:storage/1'><host name='example.org' port='3260'/>"
               "<auth username='myname'><secret type='iscsi' usage='mycluster_myname'/></auth>"
               "</source><address type='drive' controller='0' bus='0' target='0' unit='1'/>"
               "</hostdev>")
    result = _compile(tmp_path, devices)
    argv = list(result.argv)
    assert _json(argv, "-object")[-1] == {
        "qom-type": "secret", "id": "libvirt-1-backend-secret0", "format": "raw",
        "file": "/var/lib/domc/secrets/iscsi-mycluster_myname"}
    assert _json(argv, "-blockdev")[-1] == {
        "driver": "iscsi", "portal": "example.org:3260", "target": "iqn.1992-01.com.example:storage",
        "lun": 1, "transport": "tcp", "user": "myname",
        "password-secret": "libvirt-1-backend-secret0", "node-name": "libvirt-1-backend",
        "read-only": False}
    assert [s["for"] for s in plan_json(result.plan)["secrets"]] == [
        "iSCSI <hostdev> iqn.1992-01.com.example:storage/1 (login of 'myname')"]

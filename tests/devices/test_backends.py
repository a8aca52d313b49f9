"""Backends behind disks and NICs: vhost-user, vDPA, NFS and RBD sources."""

from __future__ import annotations

import json

import pytest

from .helpers import compile_snippet, devices_of, error_of, options


def test_vhost_user_nic(tmp_path):
    argv = compile_snippet(tmp_path, "<interface type='vhostuser'><mac address='52:54:00:00:00:01'/>"
                           "<source type='unix' path='/run/a,b.sock' mode='server'/></interface>")
    assert options(argv, "-chardev") == ["socket,id=charnet0,path=/run/a,,b.sock,server=on"]
    assert [json.loads(n) for n in options(argv, "-netdev")] == [
        {"type": "vhost-user", "chardev": "charnet0", "id": "hostnet0"}]
    (nic,) = devices_of(argv, "virtio-net-pci")  # vhost-user speaks only virtio
    assert nic["netdev"] == "hostnet0"


def test_vdpa_nic(tmp_path):
    argv = compile_snippet(tmp_path, "<interface type='vdpa'><source dev='/dev/vhost-vdpa-0'/>"
                           "</interface>")
    assert [json.loads(n) for n in options(argv, "-netdev")] == [
        {"type": "vhost-vdpa", "vhostdev": "/dev/vhost-vdpa-0", "id": "hostnet0"}]


def test_vhost_user_nic_needs_virtio(tmp_path):
    err = error_of(tmp_path, "<interface type='vhostuser'><source type='unix' path='/s' "
                   "mode='client'/><model type='e1000'/></interface>")
    assert "needs a virtio model" in err


def test_vhost_user_disk(tmp_path):
    argv = compile_snippet(tmp_path, "<disk type='vhostuser' device='disk'><source type='unix' "
                           "path='/s.sock'><reconnect enabled='yes' timeout='10'/></source>"
                           "<target dev='vda' bus='virtio'/></disk>")
    assert options(argv, "-chardev") == ["socket,id=chr-vu-virtio-disk0,path=/s.sock,reconnect=10"]
    (dev,) = devices_of(argv, "vhost-user-blk-pci")
    assert (dev["chardev"], dev["id"]) == ("chr-vu-virtio-disk0", "virtio-disk0")
    assert options(argv, "-blockdev") == []


@pytest.mark.parametrize("source, expected", [
    ("<source protocol='nfs' name='/export/img'><host name='nfs.example'/>"
     "<identity user='+107' group='+108'/></source>",
     {"driver": "nfs", "server": {"host": "nfs.example", "type": "inet"}, "path": "/export/img",
      "user": 107, "group": 108}),
    ("<source protocol='rbd' name='pool/image'/>",
     {"driver": "rbd", "pool": "pool", "image": "image"}),
])
def test_network_sources(tmp_path, source, expected):
    argv = compile_snippet(tmp_path, f"<disk type='network' device='disk'>{source}"
                           "<target dev='vda' bus='virtio'/></disk>")
    storage = json.loads(options(argv, "-blockdev")[0])
    assert {k: storage[k] for k in expected} == expected


def test_nfs_identity_must_be_numeric(tmp_path):
    err = error_of(tmp_path, "<disk type='network' device='disk'><source protocol='nfs' "
                   "name='/x'><host name='h'/><identity user='qemu'/></source>"
                   "<target dev='vda' bus='virtio'/></disk>")
    assert "error[nfs-identity]" in err

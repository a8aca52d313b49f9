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


def _disk_nodes(argv):
    return [json.loads(b) for b in options(argv, "-blockdev")]


def test_raw_slice_is_an_offset_and_size_on_the_format_node(tmp_path):
    argv = compile_snippet(tmp_path, "<disk type='file' device='disk'><source file='/r.img'>"
                           "<slices><slice type='storage' offset='512' size='4096'/></slices>"
                           "</source><target dev='vda' bus='virtio'/></disk>")
    storage, fmt = _disk_nodes(argv)
    assert (fmt["driver"], fmt["offset"], fmt["size"], fmt["file"]) == (
        "raw", 512, 4096, storage["node-name"])


def test_qcow2_slice_gets_a_raw_node_underneath(tmp_path):
    argv = compile_snippet(tmp_path, "<disk type='file' device='disk'><driver name='qemu' "
                           "type='qcow2'/><source file='/q.img'><slices><slice type='storage' "
                           "offset='0' size='1048576'/></slices></source>"
                           "<target dev='vda' bus='virtio'/></disk>")
    storage, sl, fmt = _disk_nodes(argv)
    assert (sl["driver"], sl["file"], sl["size"]) == ("raw", storage["node-name"], 1048576)
    assert (fmt["driver"], fmt["file"]) == ("qcow2", sl["node-name"])


def test_nvme_source(tmp_path):
    argv = compile_snippet(tmp_path, "<disk type='nvme' device='disk'><source type='pci' "
                           "managed='no' namespace='2'><address domain='0x0001' bus='0x02' "
                           "slot='0x00' function='0x0'/></source><target dev='vda' bus='virtio'/>"
                           "</disk>")
    storage = _disk_nodes(argv)[0]
    assert (storage["driver"], storage["device"], storage["namespace"]) == (
        "nvme", "0001:02:00.0", 2)


def test_guestfwd_channel(tmp_path):
    argv = compile_snippet(tmp_path, "<channel type='pipe'><source path='/tmp/fwd'/>"
                           "<target type='guestfwd' address='10.0.2.1' port='4600'/></channel>")
    assert "pipe,id=charchannel0,path=/tmp/fwd" in options(argv, "-chardev")
    assert [json.loads(n) for n in options(argv, "-netdev")] == [
        {"type": "user", "guestfwd": [{"str": "tcp:10.0.2.1:4600-chardev:charchannel0"}],
         "id": "channel0"}]

import pytest

from .helpers import compile_snippet, devices_of, assert_error_at, options

GOOD = [
    ("9p-default",
     "<filesystem type='mount'><source dir='/export'/><target dir='tag'/></filesystem>",
     "local,security_model=passthrough,id=fsdev-fs0,path=/export",
     {"driver": "virtio-9p-pci", "id": "fs0", "fsdev": "fsdev-fs0", "mount_tag": "tag",
      "bus": "pci.0", "addr": "0x2"}),
    ("9p-mapped-modes",
     "<filesystem accessmode='mapped' fmode='644' dmode='0750' multidevs='remap'>"
     "<driver type='path' wrpolicy='immediate' packed='on'/><source dir='/a,b'/>"
     "<target dir='t'/><readonly/></filesystem>",
     "local,security_model=mapped,multidevs=remap,fmode=0644,dmode=0750,writeout=immediate,"
     "id=fsdev-fs0,path=/a,,b,readonly=on",
     {"driver": "virtio-9p-pci", "packed": True, "id": "fs0", "fsdev": "fsdev-fs0",
      "mount_tag": "t", "bus": "pci.0", "addr": "0x2"}),
    ("9p-handle",
     "<filesystem><driver type='handle'/><source dir='/h'/><target dir='h'/></filesystem>",
     "handle,id=fsdev-fs0,path=/h",
     {"driver": "virtio-9p-pci", "id": "fs0", "fsdev": "fsdev-fs0", "mount_tag": "h",
      "bus": "pci.0", "addr": "0x2"}),
]


@pytest.mark.parametrize("snippet,fsdev,device", [g[1:] for g in GOOD], ids=[g[0] for g in GOOD])
def test_9p(tmp_path, snippet, fsdev, device):
    argv = compile_snippet(tmp_path, snippet)
    assert options(argv, "-fsdev") == [fsdev]
    assert devices_of(argv, device["driver"]) == [device]


SHARED = "  <memoryBacking><access mode='shared'/></memoryBacking>\n"


def test_virtiofs_with_socket(tmp_path):
    snippet = ("<filesystem type='mount'><driver type='virtiofs' queue='1024'/>"
               "<source socket='/run/vfs.sock'/><target dir='tag'/><boot order='2'/></filesystem>")
    argv = compile_snippet(tmp_path, snippet, extra=SHARED)
    assert "socket,id=chr-vu-fs0,path=/run/vfs.sock" in options(argv, "-chardev")
    assert devices_of(argv, "vhost-user-fs-pci") == [
        {"driver": "vhost-user-fs-pci", "id": "fs0", "chardev": "chr-vu-fs0", "queue-size": 1024,
         "tag": "tag", "bootindex": 2, "bus": "pci.0", "addr": "0x2"}]


def test_fs_pci_group_before_net(tmp_path):
    snippet = ("<interface type='user'><model type='virtio'/></interface>"
               "<filesystem><source dir='/x'/><target dir='x'/></filesystem>")
    argv = compile_snippet(tmp_path, snippet)
    assert devices_of(argv, "virtio-9p-pci")[0]["addr"] == "0x2"
    assert devices_of(argv, "virtio-net-pci")[0]["addr"] == "0x3"


BAD = [
    ("virtiofs-no-source", "<filesystem><driver type='virtiofs'/>"
     "<target dir='x'/></filesystem>", SHARED, "<filesystem", "<source dir=.../>"),
    ("virtiofs-private-mem", "<filesystem><driver type='virtiofs'/><source socket='/s'/>"
     "<target dir='x'/></filesystem>", "", "<filesystem", "shared guest memory"),
    ("no-target", "<filesystem><source dir='/x'/></filesystem>", "", "<filesystem",
     "needs <target dir="),
    ("bad-fmode", "<filesystem fmode='9'><source dir='/x'/><target dir='x'/></filesystem>", "",
     "<filesystem", "octal"),
    ("lxc-type", "<filesystem type='template'><source name='x'/><target dir='x'/></filesystem>",
     "", "<filesystem", "containers"),
]


@pytest.mark.parametrize("snippet,extra,needle,message", [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_errors(tmp_path, snippet, extra, needle, message):
    assert_error_at(tmp_path, snippet, needle, message, extra=extra)

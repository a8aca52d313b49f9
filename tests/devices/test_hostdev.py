import pytest

from .helpers import compile_snippet, devices_of, assert_error_at

GOOD = [
    ("pci",
     "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
     "<address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/></source></hostdev>",
     {"driver": "vfio-pci", "host": "0000:06:12.5", "id": "hostdev0", "bus": "pci.0",
      "addr": "0x2"}),
    ("pci-rom-boot",
     "<hostdev mode='subsystem' type='pci'><source><address bus='0x1' slot='0x0'/></source>"
     "<boot order='1'/><rom bar='off'/></hostdev>",
     {"driver": "vfio-pci", "host": "0000:01:00.0", "id": "hostdev0", "bootindex": 1,
      "bus": "pci.0", "addr": "0x2", "rombar": 0}),
    ("usb-busdev",
     "<hostdev mode='subsystem' type='usb'><source guestReset='uninitialized'>"
     "<address bus='14' device='6'/></source></hostdev>",
     {"driver": "usb-host", "hostdevice": "/dev/bus/usb/014/006", "id": "hostdev0",
      "guest-reset": True, "guest-resets-all": False, "bus": "usb.0", "port": "1"}),
    ("usb-vendor-product",
     "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/>"
     "<product id='0xbeef'/></source></hostdev>",
     {"driver": "usb-host", "vendorid": 0x1234, "productid": 0xBEEF, "id": "hostdev0",
      "bus": "usb.0", "port": "1"}),
    ("mdev-ramfb",
     "<hostdev mode='subsystem' type='mdev' model='vfio-pci' display='on' ramfb='on'>"
     "<source><address uuid='53764d0e-85a0-42b4-af5c-2046b460b1dc'/></source></hostdev>",
     {"driver": "vfio-pci-nohotplug", "id": "hostdev0",
      "sysfsdev": "/sys/bus/mdev/devices/53764d0e-85a0-42b4-af5c-2046b460b1dc",
      "display": "on", "ramfb": True, "bus": "pci.0", "addr": "0x2"}),
    ("vhost-scsi",
     "<hostdev mode='subsystem' type='scsi_host'><source protocol='vhost' "
     "wwpn='naa.5123456789abcde0'/></hostdev>",
     {"driver": "vhost-scsi-pci", "wwpn": "naa.5123456789abcde0", "id": "hostdev0",
      "bus": "pci.0", "addr": "0x2"}),
    ("iscsi",
     "<controller type='scsi' index='0'/><hostdev mode='subsystem' type='scsi'>"
     "<source protocol='iscsi' name='iqn.1992-01.com.example/1'>"
     "<host name='example.org' port='3260'/></source>"
     "<address type='drive' controller='0' bus='0' target='0' unit='4'/></hostdev>",
     {"driver": "scsi-generic", "drive": "libvirt-1-backend", "id": "hostdev0",
      "bus": "scsi0.0", "scsi-id": 4}),
]


@pytest.mark.parametrize("snippet,expected", [g[1:] for g in GOOD], ids=[g[0] for g in GOOD])
def test_emit(tmp_path, snippet, expected):
    argv = compile_snippet(tmp_path, snippet)
    assert devices_of(argv, expected["driver"]) == [expected]


def test_aliases_in_document_order(tmp_path):
    snippet = ("<hostdev mode='subsystem' type='pci'><source><address bus='0x1'/></source>"
               "</hostdev><hostdev mode='subsystem' type='usb'><source>"
               "<address bus='1' device='2'/></source></hostdev>")
    argv = compile_snippet(tmp_path, snippet)
    assert [d["id"] for d in devices_of(argv) if d["id"].startswith("hostdev")] == \
        ["hostdev0", "hostdev1"]


BAD = [
    ("no-type", "<hostdev mode='subsystem'><source/></hostdev>", "<hostdev", "needs the attribute 'type'"),
    ("caps-mode", "<hostdev mode='capabilities' type='storage'/>", "<hostdev", "LXC"),
    ("usb-no-source", "<hostdev mode='subsystem' type='usb'><source/></hostdev>",
     "<hostdev", "needs <address bus= device=/>"),
    ("vhost-boot", "<hostdev mode='subsystem' type='scsi_host'><source protocol='vhost' "
     "wwpn='naa.1'/><boot order='1'/></hostdev>", "<hostdev", "vhost SCSI"),
    ("local-scsi", "<controller type='scsi'/><hostdev mode='subsystem' type='scsi'><source>"
     "<adapter name='scsi_host0'/><address bus='0' target='0' unit='0'/></source>"
     "<address type='drive' controller='0' bus='0' target='0' unit='1'/></hostdev>",
     "<controller", "sysfs"),
    ("two-ramfb", "<hostdev mode='subsystem' type='mdev' model='vfio-pci' display='on' "
     "ramfb='on'><source><address uuid='a'/></source></hostdev>\n"
     "<hostdev mode='subsystem' type='mdev' model='vfio-pci' display='on' ramfb='on'>"
     "<source><address uuid='b'/></source></hostdev>", "uuid='b'", "only one vGPU"),
]


@pytest.mark.parametrize("snippet,needle,message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_errors(tmp_path, snippet, needle, message):
    assert_error_at(tmp_path, snippet, needle, message)

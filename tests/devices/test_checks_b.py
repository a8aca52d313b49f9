"""The checks of disk, controller, the chardev kinds, interface, hostdev and filesystem
run before emit (their validate hooks, validate_domain, add_implicit_devices): each
case trips one check and nothing else; compile and normalize both refuse it, with
that code, at the line of the offending element."""

from __future__ import annotations

import pytest

from compiler.api import compile_file, make_env
from compiler.diagnostics import DomcError
from compiler.parse import parse_bytes
from compiler.pipeline import normalize


def document(devices: str, machine: str = "pc", extra: str = "", os_extra: str = "") -> str:
    return ("<domain type='qemu'>\n<name>t</name>\n<memory unit='MiB'>64</memory>\n"
            f"{extra}<os><type arch='x86_64' machine='{machine}'>hvm</type>{os_extra}</os>\n"
            f"<devices>\n{devices}\n</devices>\n</domain>\n")


def line_of(text: str, needle: str) -> int:
    (n,) = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return n


def compile_errors(tmp_path, text: str) -> list[tuple[str, int]]:
    path = tmp_path / "guest.xml"
    path.write_text(text)
    with pytest.raises(DomcError) as exc:
        compile_file(str(path), make_env())
    assert all(d.span.file == str(path) for d in exc.value.diagnostics)
    return [(d.code, d.span.line) for d in exc.value.diagnostics]


def normalize_errors(text: str) -> list[tuple[str, int]]:
    dom, _ = parse_bytes(text.encode(), "t.xml")
    with pytest.raises(DomcError) as exc:
        normalize(dom, make_env())
    return [(d.code, d.span.line) for d in exc.value.diagnostics]


def fdisk(dev: str, bus: str, inner: str = "", device: str = "disk", dtype: str = "file",
          source: str | None = None) -> str:
    if source is None:
        source = f"<source file='/i/{dev}.img'/>"
    return (f"<disk type='{dtype}' device='{device}'>{source}<target dev='{dev}' bus='{bus}'/>"
            f"{inner}</disk>")


def ctrl(ctype: str, index: int, model: str | None = None, inner: str = "") -> str:
    m = f" model='{model}'" if model else ""
    return f"<controller type='{ctype}' index='{index}'{m}>{inner}</controller>"


IOTHREADS = "<iothreads>1</iothreads>\n"
SHARED = "<memoryBacking><access mode='shared'/></memoryBacking>\n"
MDEV = ("<hostdev mode='subsystem' type='mdev' model='{model}'{attrs}><source><address "
        "uuid='{uuid}'/></source></hostdev>")
UUID1, UUID2 = "c2177883-f1bb-47f0-914d-32a22e3a8804", "53764d0e-85a0-42b4-af5c-2046b460b1dc"
ISCSI_HOSTDEV = ("<hostdev mode='subsystem' type='scsi'><source protocol='iscsi' name='{name}'>"
                 "<host name='192.0.2.1'/>{auth}</source>{address}</hostdev>")
DRIVE0 = "<address type='drive' controller='{c}' bus='0' target='0' unit='0'/>"
PFLASH = "<loader readonly='yes' type='pflash'>/x/CODE.fd</loader>"

# (id, devices, code, needle (the element's line; default: the last device line), kw)
CASES = [
    # disk
    ("disk-iso", fdisk("vda", "virtio", "<driver name='qemu' type='iso'/>"), "disk-format",
     None, {}),
    ("disk-cow", fdisk("vda", "virtio", "<driver name='qemu' type='cow'/>"), "disk-format",
     None, {}),
    ("disk-vpd-bus", fdisk("vda", "virtio", "<vendor>X</vendor>"), "disk-vpd", None, {}),
    ("disk-vpd-long", fdisk("sda", "scsi", "<product>A-PRODUCT-TOO-LONG</product>"),
     "disk-vpd", None, {}),
    # libvirt 9.0: "Only ide and scsi disk support wwn", "rotation rate is only valid for
    # SCSI/IDE/SATA bus" (QEMU's virtio-blk and usb-storage have neither property)
    ("disk-wwn-sata", fdisk("sda", "sata", "<wwn>5000c50015ea71ad</wwn>"), "disk-wwn", None, {}),
    ("disk-wwn-virtio", fdisk("vda", "virtio", "<wwn>5000c50015ea71ad</wwn>"), "disk-wwn",
     None, {}),
    ("disk-cor-readonly", fdisk("vda", "virtio", "<driver name='qemu' type='raw' "
                                "copy_on_read='on'/><readonly/>"), "disk-copy-on-read", None, {}),
    ("disk-cor-cdrom", fdisk("sda", "sata", "<driver name='qemu' type='raw' copy_on_read='on'/>",
                             device="cdrom"), "disk-copy-on-read", None, {}),
    ("disk-rotation-usb", fdisk("sda", "usb").replace("bus='usb'", "bus='usb' rotation_rate='1'"),
     "disk-rotation", None, {}),
    ("disk-bus-sd", fdisk("sda", "sd"), "unsupported-disk", None, {}),
    ("disk-floppy-bus", fdisk("hda", "ide", device="floppy"), "unsupported-disk", None, {}),
    ("disk-fdc-disk", fdisk("fda", "fdc"), "unsupported-disk", None, {}),
    ("disk-lun-bus", fdisk("vda", "virtio", device="lun"), "unsupported-disk", None, {}),
    ("disk-target-name", fdisk("vdb1", "virtio"), "disk-target", None, {}),
    ("disk-usb-empty", fdisk("sda", "usb", source=""), "unsupported-disk", None, {}),
    ("disk-cdrom-virtio", fdisk("vda", "virtio", device="cdrom"), "unsupported-disk", None, {}),
    ("disk-vhostuser-bus", fdisk("sda", "scsi", dtype="vhostuser",
                                 source="<source type='unix' path='/s.sock'/>"),
     "unsupported-disk", None, {}),
    ("disk-vhostuser-nosource", fdisk("vda", "virtio", dtype="vhostuser", source=""),
     "disk-source", None, {}),
    ("disk-volume", fdisk("vda", "virtio", dtype="volume",
                          source="<source pool='p' volume='v'/>"), "unsupported-disk", None, {}),
    ("disk-network-nohost", fdisk("vda", "virtio", dtype="network",
                                  source="<source protocol='iscsi' name='iqn.x:y/0'/>"),
     "disk-source", None, {}),
    ("disk-nbd-nohost", fdisk("vda", "virtio", dtype="network",
                              source="<source protocol='nbd' name='e'/>"), "disk-source", None, {}),
    ("disk-protocol", fdisk("vda", "virtio", dtype="network",
                            source="<source protocol='sheepdog' name='i'><host name='h'/>"
                                   "</source>"), "unsupported-disk", None, {}),
    # libvirt 9.0: "missing source information for device vda"
    ("disk-no-source", fdisk("vda", "virtio", source=""), "disk-source", None, {}),
    ("disk-source-no-file", fdisk("vda", "virtio", source="<source/>"), "disk-source", None, {}),
    ("disk-block-no-dev", fdisk("sda", "sata", dtype="block", source=""), "disk-source", None,
     {}),
    ("disk-network-no-source", fdisk("vda", "virtio", dtype="network", source=""),
     "disk-source", None, {}),
    ("disk-volume-no-source", fdisk("vda", "virtio", dtype="volume", source=""),
     "disk-source", None, {}),
    ("disk-iothread-bus", fdisk("sda", "sata", "<driver name='qemu' iothread='1'/>"),
     "iothread-ref", None, {"extra": IOTHREADS}),
    ("disk-iothread-undefined", fdisk("vda", "virtio", "<driver name='qemu' iothread='2'/>"),
     "iothread-ref", None, {"extra": IOTHREADS}),
    # network NVRAM store (validate_domain)
    ("nvram-network-nohost", "", "disk-source", "<nvram",
     {"extra": "<features><acpi/></features>\n", "os_extra": "\n" + PFLASH + "\n<nvram type='network'><source protocol='iscsi' "
                  "name='iqn.x:y/0'/></nvram>\n"}),
    # controller
    ("ctrl-hotplug", ctrl("pci", 1, "pci-bridge", "<target hotplug='off'/>"),
     "unsupported-controller", None, {}),
    ("ctrl-ide-index", ctrl("ide", 1), "unsupported-controller", None, {}),
    ("ctrl-ide-q35", ctrl("ide", 0), "unsupported-controller", None, {"machine": "q35"}),
    ("ctrl-scsi-model", ctrl("scsi", 0, "ibmvscsi"), "unsupported-controller", None, {}),
    ("ctrl-usb-model", ctrl("usb", 0, "musb"), "unsupported-controller", None, {}),
    ("ctrl-vserial-model", ctrl("virtio-serial", 0, "virtio-foo"), "unsupported-controller",
     None, {}),
    ("ctrl-pci-model", ctrl("pci", 1, "pci-foo"), "unsupported-controller", None, {}),
    ("ctrl-xenbus", ctrl("xenbus", 0), "unsupported-controller", None, {}),
    ("ctrl-usb-companion", ctrl("usb", 0, "qemu-xhci") + "\n" + ctrl("usb", 1, "ich9-uhci1"),
     "usb-companion-master", "ich9-uhci1", {}),
    # virt-install's USB2 set written companion first: all get index 0, and the
    # companion's masterbus=usb.0 would name a bus QEMU has not created yet
    ("ctrl-usb-companion-order", "<controller type='usb' model='ich9-uhci1'/>\n"
     "<controller type='usb' model='ich9-ehci1'/>", "usb-companion-order", "ich9-uhci1", {}),
    ("ctrl-iothread", ctrl("scsi", 0, "lsilogic", "<driver iothread='1'/>"), "iothread-ref",
     None, {"extra": IOTHREADS}),
    # chardev kinds
    ("serial-type", "<serial type='nmdm'><target port='0'/></serial>", "unsupported-chardev",
     None, {}),
    ("serial-path", "<serial type='file'><target port='0'/></serial>", "chardev-source", None, {}),
    ("parallel-path", "<parallel type='unix'><source mode='bind'/><target port='0'/></parallel>",
     "chardev-source", None, {}),
    ("console-target", "<console type='pty'><target type='sclp' port='0'/></console>",
     "unsupported-device", None, {}),
    # libvirt 9.0: "Only the first console can be a serial port"
    ("console-second-serial", "<console type='pty'><target type='serial' port='0'/></console>\n"
     "<console type='pty'><target type='serial' port='1'/></console>", "console-serial",
     "port='1'", {}),
    ("console-serial-after-virtio", "<serial type='pty'/>\n<console type='pty'><target "
     "type='virtio'/></console>\n<console type='pty'/>", "console-serial", "<console type='pty'/>",
     {}),
    ("console-virtio-source", "<console type='nmdm'><target type='virtio' port='0'/></console>",
     "unsupported-chardev", None, {}),
    ("console-implied-serial", "<console type='pipe'><target type='serial' port='0'/></console>",
     "chardev-source", None, {}),
    ("channel-target", "<channel type='pty'><target type='xen' name='x'/></channel>",
     "unsupported-device", None, {}),
    ("channel-guestfwd", "<channel type='pty'><target type='guestfwd' address='10.0.2.1'/>"
     "</channel>", "channel-target", None, {}),
    ("channel-unix-unnamed", "<channel type='unix'><source mode='bind'/><target type='virtio'/>"
     "</channel>", "chardev-source", None, {}),
    # interface
    ("net-model", "<interface type='user'><model type='spapr-vlan'/></interface>",
     "unsupported-device", None, {}),
    ("net-network", "<interface type='network'><source network='lab'/></interface>",
     "unsupported-device", None, {}),
    ("net-type", "<interface type='direct'><source dev='eth0'/></interface>",
     "unsupported-device", None, {}),
    ("net-vhostuser-path", "<interface type='vhostuser'><model type='virtio'/></interface>",
     "net-source", None, {}),
    ("net-vdpa-dev", "<interface type='vdpa'><model type='virtio'/></interface>", "net-source",
     None, {}),
    ("net-vhostuser-model", "<interface type='vhostuser'><source type='unix' path='/s' "
     "mode='client'/><model type='e1000'/></interface>", "unsupported-device", None, {}),
    # hostdev
    ("mdev-model", MDEV.format(model="vfio-ccw", attrs="", uuid=UUID1), "unsupported-device",
     None, {}),
    ("mdev-ramfb-twice", MDEV.format(model="vfio-pci", attrs=" display='on' ramfb='on'",
                                     uuid=UUID1) + "\n" +
     MDEV.format(model="vfio-pci", attrs=" display='on' ramfb='on'", uuid=UUID2),
     "hostdev-ramfb", UUID2, {}),
    ("mdev-ramfb-display", MDEV.format(model="vfio-pci", attrs=" ramfb='on'", uuid=UUID1),
     "hostdev-ramfb", None, {}),
    ("scsi-adapter", "<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/>"
     "<address bus='0' target='0' unit='0'/></source>" + DRIVE0.format(c=0) + "</hostdev>",
     "unsupported-hostdev", None, {}),
    ("iscsi-address", ISCSI_HOSTDEV.format(name="iqn.x:y/1", auth="", address=""),
     "hostdev-address", None, {}),
    ("iscsi-lun", ISCSI_HOSTDEV.format(name="iqn.x:y/one", auth="", address=DRIVE0.format(c=0)),
     "bad-value", None, {}),
    ("iscsi-controller", ISCSI_HOSTDEV.format(name="iqn.x:y/1", auth="",
                                              address=DRIVE0.format(c=1)),
     "hostdev-address", None, {}),
    # filesystem
    ("fs-type", "<filesystem type='ram'><source usage='1024'/><target dir='t'/></filesystem>",
     "unsupported-filesystem", None, {}),
    ("fs-driver", "<filesystem type='mount'><driver type='loop'/><source dir='/d'/>"
     "<target dir='t'/></filesystem>", "unsupported-filesystem", None, {}),
    ("fs-9p-source", "<filesystem type='mount'><target dir='t'/></filesystem>",
     "filesystem-source", None, {}),
    ("fs-virtiofs-socket", "<filesystem type='mount'><driver type='virtiofs'/><target dir='t'/>"
     "</filesystem>", "virtiofs-socket", None, {"extra": SHARED}),
    ("fs-virtiofs-memory", "<filesystem type='mount'><driver type='virtiofs'/>"
     "<source socket='/v.sock'/><target dir='t'/></filesystem>", "virtiofs-memory", None, {}),
]


@pytest.mark.parametrize("devices, code, needle, kw", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_check_reports_its_code_at_the_element(tmp_path, devices, code, needle, kw):
    text = document(devices, **kw)
    line = line_of(text, needle or devices.splitlines()[-1])
    assert compile_errors(tmp_path, text) == [(code, line)]
    assert normalize_errors(text) == [(code, line)]


def test_independent_errors_of_several_kinds_are_reported_in_one_run(tmp_path):
    devices = "\n".join([
        fdisk("vda", "virtio", "<driver name='qemu' type='iso'/>"),
        MDEV.format(model="vfio-pci", attrs=" ramfb='on'", uuid=UUID1),
        "<console type='pty'><target type='sclp' port='0'/></console>",
    ])
    text = document(devices)
    want = sorted([("disk-format", line_of(text, "<disk")),
                   ("hostdev-ramfb", line_of(text, "<hostdev")),
                   ("unsupported-device", line_of(text, "<console"))])
    assert sorted(compile_errors(tmp_path, text)) == want
    assert sorted(normalize_errors(text)) == want


@pytest.mark.parametrize("devices", [
    # a unix guest-agent channel gets its socket from add_implicit_devices
    "<channel type='unix'><source mode='bind'/><target type='virtio' "
    "name='org.qemu.guest_agent.0'/></channel>",
    # a serial console mirrors the serial of its port: its own source is not emitted
    "<serial type='pty'><target port='0'/></serial>\n"
    "<console type='nmdm'><target type='serial' port='0'/></console>",
    # an empty cdrom or floppy (nothing in the tray)
    fdisk("hdc", "ide", device="cdrom", source="") + "\n" + fdisk("sdb", "sata", device="cdrom",
                                                                  source=""),
    fdisk("fda", "fdc", device="floppy", source=""),
    # a virtio console after a serial one
    "<console type='pty'><target type='serial' port='0'/></console>\n"
    "<console type='pty'><target type='virtio' port='1'/></console>",
    # an iSCSI hostdev on the controller the SCSI disk implies
    fdisk("sda", "scsi") + "\n" + ISCSI_HOSTDEV.format(
        name="iqn.x:y/1", auth="", address="<address type='drive' controller='0' bus='0' "
                                           "target='0' unit='1'/>"),
    "<filesystem type='mount'><driver type='virtiofs'/><source socket='/v.sock'/>"
    "<target dir='t'/></filesystem>",
])
def test_what_the_checks_leave_alone_compiles(tmp_path, devices):
    kw = {"extra": SHARED} if "virtiofs" in devices else {}
    path = tmp_path / "guest.xml"
    path.write_text(document(devices, **kw))
    assert compile_file(str(path), make_env()).argv


def test_credentials_a_driver_cannot_take_warn_in_compile_and_normalize(tmp_path):
    """QEMU's nbd driver has no password: the <auth> is reported, not dropped silently
    (iSCSI, RBD and the URL drivers take theirs: tests/devices/test_secrets.py)."""
    src = ("<source protocol='nbd' name='e'><host name='h'/>"
           "<auth username='me'><secret type='iscsi' usage='s'/></auth></source>")
    text = document(fdisk("vda", "virtio", dtype="network", source=src))
    path = tmp_path / "guest.xml"
    path.write_text(text)
    env = make_env()
    compile_file(str(path), env)
    assert [(d.code, d.span.line) for d in env.diag.warnings] == [
        ("disk-auth", line_of(text, "<disk"))]
    dom, _ = parse_bytes(text.encode(), "t.xml")
    env = make_env()
    normalize(dom, env)
    assert [d.code for d in env.diag.warnings] == ["disk-auth"]


def test_these_kinds_do_not_raise_diagnostics_while_emitting():
    """Their modules no longer use fail(): every check reports through a Collector."""
    from compiler.devices import blockdev, chardev, controller, disk, filesystem, hostdev, net

    for module in (blockdev, chardev, controller, disk, filesystem, hostdev, net):
        assert not hasattr(module, "fail"), module.__name__

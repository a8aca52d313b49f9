"""The device options issue 10 found ignored or dropped: disk error policies, sharing,
geometry, block sizes and virtio knobs, backing chains, I/O throttling and source
options; virtio-net driver options, tap scripts and port forwarding; PCI controller
model names, bus numbers and chassis numbers; virtio-scsi driver knobs; serial ISA
addresses, chardev logs and the qemu-vdagent's options; the qemu: namespace.

Expected values were read from libvirt 9.0's argv for the same devices
(../shared/tools/libvirt-oracle argv), or, where domxml-to-native rewrites the
device (interfaces), from libvirt's own test data (qemuxml2argv disk-ioeventfd,
event_idx).  Where domc differs on purpose (I/O limits on the command line, port
forwarding without passt) the test says so.  The combined domain is started under
QEMU 7.2, which must accept every property and show the limits and policies."""

from __future__ import annotations

import json

import pytest

from compiler.api import compile_file, make_env
from compiler.diagnostics import DomcError

from .qemu import NO_QEMU, QEMU, ask_paused, bootable

QEMU_NS = "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"


def domain(devices: str, machine: str = "pc", top: str = "") -> str:
    return (f"<domain type='kvm' {QEMU_NS}><name>o</name><memory>1048576</memory>"
            f"<vcpu>1</vcpu><os><type arch='x86_64' machine='{machine}'>hvm</type></os>{top}"
            f"<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>{devices}</devices>"
            "</domain>")


def compiled(tmp_path, devices: str, machine: str = "pc", top: str = ""):
    path = tmp_path / "o.xml"
    path.write_text(domain(devices, machine, top))
    return compile_file(str(path), make_env())


def refused(tmp_path, devices: str, machine: str = "pc") -> str:
    with pytest.raises(DomcError) as exc:
        compiled(tmp_path, devices, machine)
    return str(exc.value)


def devices_of(argv) -> dict:
    return {d["id"]: d for d in (json.loads(v) for o, v in zip(argv, argv[1:])
                                 if o == "-device" and v.startswith("{")) if "id" in d}


def blockdevs(argv) -> list[dict]:
    return [json.loads(v) for o, v in zip(argv, argv[1:]) if o == "-blockdev"]


def values(argv, option) -> list[str]:
    return [v for o, v in zip(argv, argv[1:]) if o == option]


def no_ignored(result) -> None:
    assert not [w for w in result.warnings if "warning[ignored]" in w], result.warnings


# ------------------------------------------------------------------ disks
DISK = ("<disk type='file' device='{device}'><driver name='qemu' type='{fmt}'{drv}/>"
        "<source file='/var/lib/{name}'/><target dev='{dev}' bus='{bus}'/>{more}</disk>")


def disk(dev, bus, drv="", more="", device="disk", fmt="raw", name=None) -> str:
    return DISK.format(dev=dev, bus=bus, drv=drv, more=more, device=device, fmt=fmt,
                       name=name or f"{dev}.img")


@pytest.mark.parametrize("xml, want", [
    (disk("vda", "virtio", " error_policy='stop' rerror_policy='report' queue_size='256' "
          "event_idx='on' ioeventfd='off'", "<shareable/><geometry cyls='16383' heads='16' "
          "secs='63'/><blockio logical_block_size='512' physical_block_size='4096'/>"),
     {"driver": "virtio-blk-pci", "ioeventfd": False, "event_idx": True, "queue-size": 256,
      "share-rw": True, "logical_block_size": 512, "physical_block_size": 4096,
      "write-cache": "on", "cyls": 16383, "heads": 16, "secs": 63, "werror": "stop",
      "rerror": "report"}),
    (disk("hda", "ide", " error_policy='ignore'", "<shareable/><geometry cyls='100' "
          "heads='16' secs='63' trans='none'/>"),
     {"driver": "ide-hd", "share-rw": True, "write-cache": "on", "cyls": 100, "heads": 16,
      "secs": 63, "bios-chs-trans": "none", "werror": "ignore", "rerror": "ignore"}),
    (disk("sdb", "scsi", " error_policy='enospace' rerror_policy='ignore'"),
     {"driver": "scsi-hd", "werror": "enospc", "rerror": "ignore"}),
    (disk("sdc", "scsi", " error_policy='report'", "<readonly/><shareable/>", "cdrom"),
     {"driver": "scsi-cd", "share-rw": True, "werror": "report", "rerror": "report"}),
    (disk("sda", "usb", "", "<blockio logical_block_size='512' physical_block_size='4096'/>"),
     {"driver": "usb-storage", "logical_block_size": 512, "physical_block_size": 4096,
      "removable": False}),
])
def test_disk_device_properties(tmp_path, xml, want):
    result = compiled(tmp_path, xml)
    no_ignored(result)
    [dev] = [d for d in devices_of(result.argv).values() if d["driver"] == want["driver"]]
    assert {k: dev.get(k) for k in want} == want
    if "share-rw" in want and want["driver"] != "scsi-cd":
        # a shared writable disk bypasses the host cache (libvirt's cache='none')
        assert blockdevs(result.argv)[0]["cache"] == {"direct": True, "no-flush": False}


@pytest.mark.parametrize("xml, code", [
    (disk("vda", "virtio", "", "<shareable/>", fmt="qcow2"), "disk-shareable"),
    (disk("vda", "virtio", "", "<geometry cyls='1' heads='1' secs='1' trans='lba'/>"),
     "disk-geometry"),
    (disk("sda", "usb", "", "<geometry cyls='1' heads='1' secs='1'/>"), "disk-geometry"),
    (disk("hdc", "ide", "", "<geometry cyls='1' heads='1' secs='1'/>", "cdrom"),
     "disk-geometry"),
    (disk("sda", "sata", " event_idx='on'"), "disk-driver"),
    (disk("fda", "fdc", " error_policy='stop'", device="floppy"), "disk-driver"),
    (disk("vda", "virtio", " rerror_policy='enospace'"), "bad-value"),
    (disk("vda", "virtio", "", "<transient/>"), "disk-transient"),
    (disk("vda", "virtio", "", "<iotune><total_bytes_sec>5</total_bytes_sec>"
          "<read_bytes_sec>5</read_bytes_sec></iotune>"), "disk-iotune"),
    (disk("vda", "virtio", "", "<iotune><total_iops_sec_max>5</total_iops_sec_max>"
          "</iotune>"), "disk-iotune"),
    (disk("vda", "virtio", "", "<iotune><total_iops_sec>9</total_iops_sec>"
          "<group_name>g</group_name></iotune>") +
     disk("vdb", "virtio", "", "<iotune><total_iops_sec>8</total_iops_sec>"
          "<group_name>g</group_name></iotune>"), "disk-iotune"),
    (disk("vda", "virtio", "", "<backingStore type='file'><source file='/b.qcow2'/>"
          "</backingStore>", fmt="qcow2"), "disk-backing"),
])
def test_disk_options_refused(tmp_path, xml, code):
    assert f"error[{code}]" in refused(tmp_path, xml)


def test_backing_chain_nodes(tmp_path):
    """Node numbers count down from the last disk, each disk's chain top-down; the
    chain is written bottom first; a closing <backingStore/> is "backing": null;
    backing layers take the disk's cache and aio and are read-only (oracle)."""
    result = compiled(tmp_path,
                      disk("vda", "virtio", " cache='none' io='native'",
                           "<backingStore type='file' index='3'><format type='qcow2'/>"
                           "<source file='/var/lib/base.qcow2'/><backingStore type='block'>"
                           "<format type='raw'/><source dev='/dev/sdz'/></backingStore>"
                           "</backingStore>", fmt="qcow2") +
                      "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>" +
                      disk("vdb", "virtio", "", "<backingStore/>", fmt="qcow2"))
    no_ignored(result)
    nodes = {b["node-name"]: b for b in blockdevs(result.argv)}
    assert [b["node-name"] for b in blockdevs(result.argv)] == [
        "libvirt-5-storage", "libvirt-5-format", "libvirt-4-storage", "libvirt-4-format",
        "libvirt-3-storage", "libvirt-3-format", "libvirt-2-storage", "libvirt-2-format"]
    assert nodes["libvirt-3-format"]["backing"] == "libvirt-4-format"
    assert nodes["libvirt-4-format"]["backing"] == "libvirt-5-format"
    assert "backing" not in nodes["libvirt-5-format"]  # raw, and the chain just stops
    assert nodes["libvirt-2-format"]["backing"] is None
    assert nodes["libvirt-5-storage"]["driver"] == "host_device"
    assert nodes["libvirt-4-format"]["read-only"] and not nodes["libvirt-3-format"]["read-only"]
    assert nodes["libvirt-5-storage"]["aio"] == "native"
    assert nodes["libvirt-4-format"]["cache"] == {"direct": True, "no-flush": False}
    assert devices_of(result.argv)["virtio-disk0"]["drive"] == "libvirt-3-format"


def test_source_options(tmp_path):
    result = compiled(tmp_path, """
      <disk type='network' device='cdrom'><driver name='qemu' type='raw'/>
        <source protocol='https' name='/p/f.iso' query='test=val'><host name='h' port='443'/>
        </source><target dev='hdc' bus='ide'/></disk>
      <disk type='network' device='disk'><driver name='qemu' type='raw'/>
        <source protocol='rbd' name='pool/image'><snapshot name='foo'/>
        <config file='/blah/test.conf'/></source><target dev='vda' bus='virtio'/></disk>
      <disk type='network' device='disk'><driver name='qemu' type='raw'/>
        <source protocol='nbd' name='e' tls='yes' tlsHostname='th'><host name='example.com'
        port='1234'/></source><target dev='vdb' bus='virtio'/></disk>
      <disk type='network' device='disk'><driver name='qemu' type='raw'/>
        <source protocol='iscsi' name='iqn.2013-07.com.example:t/1'><host name='e' port='3260'/>
        <initiator><iqn name='iqn.2013-07.com.example:client'/></initiator></source>
        <target dev='vdc' bus='virtio'/></disk>
      <disk type='block' device='lun'><driver name='qemu' type='raw'/>
        <source dev='/dev/sdz'><reservations managed='no'><source type='unix'
        path='/run/pr.sock' mode='client'/></reservations></source>
        <target dev='sda' bus='scsi'/></disk>""")
    no_ignored(result)
    by_driver = {}
    for b in blockdevs(result.argv):
        by_driver.setdefault(b["driver"], b)
    assert by_driver["https"]["url"] == "https://h:443/p/f.iso?test=val"
    assert (by_driver["rbd"]["snapshot"], by_driver["rbd"]["conf"]) == ("foo", "/blah/test.conf")
    assert by_driver["iscsi"]["initiator-name"] == "iqn.2013-07.com.example:client"
    nbd = by_driver["nbd"]
    assert (nbd["tls-creds"], nbd["tls-hostname"]) == ("objlibvirt-3-storage_tls0", "th")
    objects = [json.loads(v) for v in values(result.argv, "-object")]
    assert {"qom-type": "tls-creds-x509", "id": "objlibvirt-3-storage_tls0",
            "dir": "/etc/pki/qemu", "endpoint": "client", "verify-peer": True} in objects
    assert {"qom-type": "pr-manager-helper", "id": "pr-helper-libvirt-1-storage",
            "path": "/run/pr.sock"} in objects
    assert by_driver["host_device"]["pr-manager"] == "pr-helper-libvirt-1-storage"


def test_sources_domc_cannot_open_the_same_way(tmp_path):
    assert "error[disk-reservations]" in refused(
        tmp_path, "<disk type='block' device='lun'><driver name='qemu' type='raw'/>"
        "<source dev='/dev/sdz'><reservations managed='yes'/></source>"
        "<target dev='sda' bus='scsi'/></disk>")
    result = compiled(tmp_path, "<disk type='file' device='disk'><driver name='qemu' "
                      "type='raw'/><source file='/a.img' fdgroup='g' startupPolicy='optional'>"
                      "<seclabel model='selinux' relabel='yes'><label>l</label></seclabel>"
                      "</source><target dev='vda' bus='virtio'/></disk>")
    codes = sorted(w.split("warning[")[1].split("]")[0] for w in result.warnings)
    assert codes == ["disk-fdgroup", "disk-seclabel", "disk-startup-policy"]
    assert blockdevs(result.argv)[0]["filename"] == "/a.img"


def test_iotune_is_a_throttle_group(tmp_path):
    """libvirt sets the limits over QMP once QEMU runs; domc puts the same limits on
    the command line: a throttle-group per group (or per disk) and a throttle node."""
    tune = ("<iotune><total_bytes_sec>5000</total_bytes_sec><total_iops_sec>600"
            "</total_iops_sec><total_iops_sec_max>1100</total_iops_sec_max>"
            "<group_name>{}</group_name></iotune>")
    result = compiled(tmp_path, disk("vda", "virtio", "", tune.format("g,1")) +
                      disk("vdb", "virtio", "", tune.format("g,1")) +
                      disk("vdc", "virtio", "", "<iotune><write_iops_sec>100</write_iops_sec>"
                           "</iotune>"))
    no_ignored(result)
    groups = [json.loads(v) for v in values(result.argv, "-object")
              if '"throttle-group"' in v]
    assert groups == [
        {"qom-type": "throttle-group", "id": "iotune-group0",
         "limits": {"bps-total": 5000, "iops-total": 600, "iops-total-max": 1100}},
        {"qom-type": "throttle-group", "id": "iotune-virtio-disk2",
         "limits": {"iops-write": 100}}]
    devs = devices_of(result.argv)
    throttles = {b["node-name"]: b for b in blockdevs(result.argv) if b["driver"] == "throttle"}
    for dev, group in (("virtio-disk0", "iotune-group0"), ("virtio-disk1", "iotune-group0"),
                       ("virtio-disk2", "iotune-virtio-disk2")):
        node = throttles[devs[dev]["drive"]]
        assert node["throttle-group"] == group
        assert node["file"] == devs[dev]["drive"].replace("-throttle", "-format")


# ------------------------------------------------------------------ interfaces
def test_virtio_net_driver_options(tmp_path):
    """qemuxml2argv disk-ioeventfd / event_idx, and libvirt's qemuBuildNicDevProps."""
    result = compiled(tmp_path, "<interface type='user'><mac address='52:54:00:e5:48:58'/>"
                      "<model type='virtio'/><driver name='vhost' txmode='iothread' "
                      "ioeventfd='off' event_idx='off' rx_queue_size='512' "
                      "tx_queue_size='1024' rss='on' rss_hash_report='on'><host csum='off' "
                      "tso4='off' mrg_rxbuf='off'/><guest csum='off' ecn='off'/></driver>"
                      "</interface>")
    no_ignored(result)
    net = devices_of(result.argv)["net0"]
    assert list(net)[:13] == ["driver", "tx", "ioeventfd", "event_idx", "csum", "host_tso4",
                              "mrg_rxbuf", "guest_csum", "guest_ecn", "rx_queue_size",
                              "tx_queue_size", "rss", "hash"]
    assert (net["tx"], net["ioeventfd"], net["event_idx"], net["rss"], net["hash"]) == \
        ("bh", False, False, True, True)


def test_tap_scripts_and_vhost(tmp_path):
    result = compiled(tmp_path, "<interface type='ethernet'><target dev='tap0'/><script "
                      "path='/etc/up'/><downscript path='/etc/down'/><model type='virtio'/>"
                      "<driver name='vhost'/></interface>")
    no_ignored(result)
    [nd] = [json.loads(v) for v in values(result.argv, "-netdev")]
    assert nd == {"type": "tap", "ifname": "tap0", "script": "/etc/up", "downscript": "/etc/down",
                  "vhost": True, "id": "hostnet0"}


def test_port_forwarding_on_localhost_by_default(tmp_path):
    result = compiled(tmp_path, "<interface type='user'><model type='virtio'/>"
                      "<portForward proto='tcp'><range start='2022' to='22'/></portForward>"
                      "<portForward proto='udp' address='0.0.0.0'><range start='5000' "
                      "end='5003' to='6000'/><range start='5002' exclude='yes'/></portForward>"
                      "</interface>")
    no_ignored(result)
    [nd] = [json.loads(v) for v in values(result.argv, "-netdev")]
    assert [r["str"] for r in nd["hostfwd"]] == [
        "tcp:127.0.0.1:2022-:22", "udp:0.0.0.0:5000-:6000", "udp:0.0.0.0:5001-:6001",
        "udp:0.0.0.0:5003-:6003"]


@pytest.mark.parametrize("xml, code", [
    ("<interface type='user'><model type='e1000'/><driver txmode='timer'/></interface>",
     "net-driver"),
    ("<interface type='user'><model type='virtio'/><driver rx_queue_size='300'/></interface>",
     "net-driver"),
    ("<interface type='user'><script path='/x'/></interface>", "net-script"),
    ("<interface type='user'><portForward proto='tcp' address='::1'><range start='1'/>"
     "</portForward></interface>", "net-forward"),
    ("<interface type='user'><portForward proto='tcp' dev='eth0'><range start='1'/>"
     "</portForward></interface>", "net-forward"),
    ("<interface type='user'><backend type='passt'/></interface>", "bad-value"),
])
def test_interface_options_refused(tmp_path, xml, code):
    assert f"error[{code}]" in refused(tmp_path, xml)


# ------------------------------------------------------------------ controllers
def test_controller_options(tmp_path):
    result = compiled(tmp_path, """
      <controller type='pci' index='1' model='pcie-expander-bus'/>
      <controller type='pci' index='2' model='pcie-expander-bus'><target busNr='200'/>
      </controller>
      <controller type='pci' index='3' model='pcie-expander-bus'/>
      <controller type='pci' index='4' model='pcie-root-port'><model name='ioh3420'/>
        <target chassis='9' port='0x10'/></controller>
      <controller type='scsi' index='0' model='virtio-scsi'><driver queues='2' cmd_per_lun='8'
        max_sectors='512' ioeventfd='off'/></controller>""", machine="q35")
    no_ignored(result)
    devs = devices_of(result.argv)
    assert [devs[f"pci.{n}"]["bus_nr"] for n in (1, 2, 3)] == [198, 200, 196]  # oracle
    assert devs["pci.4"]["driver"] == "ioh3420" and devs["pci.4"]["chassis"] == 9
    scsi = devs["scsi0"]
    assert (scsi["num_queues"], scsi["cmd_per_lun"], scsi["max_sectors"], scsi["ioeventfd"]) \
        == (2, 8, 512, False)
    bridge = devices_of(compiled(tmp_path, "<controller type='pci' index='1' model='pci-bridge'>"
                                 "<model name='pci-bridge'/><target chassisNr='7'/>"
                                 "</controller>").argv)["pci.1"]
    assert bridge["chassis_nr"] == 7


@pytest.mark.parametrize("xml, code", [
    ("<controller type='pci' index='1' model='pci-bridge'><model name='pxb'/></controller>",
     "unsupported-controller"),
    ("<controller type='pci' index='1' model='pci-expander-bus'><target busNr='2'/>"
     "</controller><controller type='pci' index='2' model='pci-expander-bus'/>",
     "pci-bus-number"),
    ("<controller type='pci' index='1' model='pci-expander-bus'><target><node>3</node>"
     "</target></controller>", "unsupported-controller"),
])
def test_controller_options_refused(tmp_path, xml, code):
    assert f"error[{code}]" in refused(tmp_path, xml)


# ------------------------------------------------------------------ character devices
def test_serial_isa_address_and_logs(tmp_path):
    result = compiled(tmp_path, """
      <serial type='pty'><target type='isa-serial' port='0'><model name='isa-serial'/></target>
        <address type='isa' iobase='0x3f8' irq='4'/></serial>
      <serial type='file'><source path='/tmp/s.log' append='on'/>
        <log file='/tmp/l,og' append='off'/><target port='1'/></serial>
      <channel type='qemu-vdagent'><source><clipboard copypaste='no'/><mouse mode='client'/>
        </source><target type='virtio' name='com.redhat.spice.0'/></channel>""")
    no_ignored(result)
    devs = devices_of(result.argv)
    assert (devs["serial0"]["iobase"], devs["serial0"]["irq"]) == (0x3F8, 4)
    chardevs = values(result.argv, "-chardev")
    assert "file,id=charserial1,path=/tmp/s.log,append=on,logfile=/tmp/l,,og,logappend=off" \
        in chardevs
    assert "qemu-vdagent,id=charchannel0,name=vdagent,clipboard=off,mouse=on" in chardevs


# ------------------------------------------------------------------ qemu: namespace
def test_qemu_namespace(tmp_path):
    top = ("<qemu:commandline><qemu:arg value='-newarg'/><qemu:arg value='val,x'/>"
           "<qemu:env name='FOO' value='bar baz'/><qemu:env name='EMPTY'/></qemu:commandline>"
           "<qemu:override><qemu:device alias='ua-disk1'><qemu:frontend>"
           "<qemu:property name='serial' type='string' value='abc'/>"
           "<qemu:property name='bootindex' type='remove'/>"
           "<qemu:property name='logical_block_size' type='unsigned' value='4096'/>"
           "<qemu:property name='share-rw' type='bool' value='true'/>"
           "</qemu:frontend></qemu:device><qemu:device alias='nope'/></qemu:override>"
           "<qemu:deprecation behavior='reject'/>")
    result = compiled(tmp_path, disk("vda", "virtio", "", "<alias name='ua-disk1'/>"), top=top)
    no_ignored(result)
    argv = list(result.argv)
    # libvirt 9.0's argv for the same domain
    assert devices_of(argv)["ua-disk1"] == {
        "driver": "virtio-blk-pci", "bus": "pci.0", "addr": "0x2", "drive": "libvirt-1-format",
        "id": "ua-disk1", "serial": "abc", "logical_block_size": 4096, "share-rw": True}
    assert argv[argv.index("-sandbox") - 2:argv.index("-sandbox")] == ["-newarg", "val,x"]
    assert argv[3:5] == ["-compat", '{"deprecated-output":"hide","deprecated-input":"reject"}']
    assert result.env == (("FOO", "bar baz"), ("EMPTY", ""))
    warnings = [w for w in result.warnings if "warning[qemu-namespace]" in w]
    assert len(warnings) == 3 and "alias='nope'" in warnings[2]


def test_qemu_capabilities_are_refused(tmp_path):
    path = tmp_path / "c.xml"
    path.write_text(domain("").replace("<devices>", "<qemu:capabilities><qemu:del "
                                       "capability='blockdev'/></qemu:capabilities><devices>"))
    with pytest.raises(DomcError) as exc:
        compile_file(str(path), make_env())
    assert "error[qemu-capabilities]" in str(exc.value)


# ------------------------------------------------------------------ on QEMU
@pytest.mark.skipif(QEMU is None, reason=NO_QEMU)
def test_qemu_takes_every_option(tmp_path):
    tune = "<iotune><read_bytes_sec>7000</read_bytes_sec><group_name>g</group_name></iotune>"
    result = compiled(tmp_path, (
        disk("vda", "virtio", " error_policy='stop' rerror_policy='report' queue_size='256' "
             "event_idx='on' ioeventfd='off'",
             "<backingStore type='file'><format type='qcow2'/><source file='/var/lib/b.qcow2'/>"
             "<backingStore/></backingStore><geometry cyls='16383' heads='16' secs='63'/>"
             "<blockio logical_block_size='512' physical_block_size='4096'/>" + tune,
             fmt="qcow2") +
        disk("sda", "sata", " error_policy='enospace'", "<shareable/>" + tune) +
        disk("sdb", "scsi", "", "<geometry cyls='100' heads='16' secs='63'/>") +
        "<controller type='scsi' index='0' model='virtio-scsi'><driver cmd_per_lun='8' "
        "max_sectors='512' ioeventfd='off'/></controller>"
        "<controller type='pci' index='1' model='pcie-expander-bus'/>"
        "<controller type='pci' index='2' model='pcie-root-port'><model name='ioh3420'/>"
        "</controller>"
        "<interface type='user'><model type='virtio'/><driver txmode='timer' ioeventfd='on' "
        "event_idx='off' rx_queue_size='512' rss='on' rss_hash_report='on'><host csum='off' "
        "tso4='off' tso6='off' ecn='off' ufo='off'/><guest csum='off' tso4='off' tso6='off' "
        "ecn='off' ufo='off'/></driver><portForward proto='tcp'><range start='20022' to='22'/>"
        "</portForward></interface>"
        "<serial type='pty'><target type='isa-serial' port='0'/><address type='isa' "
        "iobase='0x2f8' irq='3'/></serial>"
        "<serial type='null'><log file='" + str(tmp_path / "serial.log") + "'/>"
        "<target port='1'/></serial>"), machine="q35",
        top="<qemu:commandline><qemu:arg value='-no-reboot'/></qemu:commandline>")
    argv, _ = bootable(list(result.argv), tmp_path)
    devs = devices_of(result.argv)

    async def ask(qmp):
        async def prop(dev, name):
            return await qmp.execute("qom-get", {"path": f"/machine/peripheral/{dev}",
                                                 "property": name})
        return {
            "werror": await prop("virtio-disk0", "werror"),
            "rerror": await prop("virtio-disk0", "rerror"),
            "cyls": await prop("virtio-disk0", "cyls"),
            "queue-size": await prop("virtio-disk0", "queue-size"),
            "share-rw": await prop("sata0-0-0", "share-rw"),
            "sata-werror": await prop("sata0-0-0", "werror"),
            "iobase": await prop("serial0", "iobase"),
            "rss": await prop("net0", "rss"),
            "bus_nr": await prop("pci.1", "bus_nr"),
            "limits": await qmp.execute("qom-get", {"path": "/objects/iotune-g",
                                                    "property": "limits"}),
            "nodes": [n["node-name"] for n in await qmp.execute("query-named-block-nodes")],
        }

    got = ask_paused(argv, ask)
    assert (got["werror"], got["rerror"], got["cyls"], got["queue-size"]) == \
        ("stop", "report", 16383, 256)
    assert got["share-rw"] is True and got["sata-werror"] == "enospc"
    assert got["iobase"] == 0x2F8 and got["rss"] is True and got["bus_nr"] == 254
    assert got["limits"]["bps-read"] == 7000
    assert devs["virtio-disk0"]["drive"] in got["nodes"]
    assert "libvirt-4-format" in got["nodes"]  # the backing layer


ENCRYPTED_CHAIN = (
    "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
    "<source file='/var/lib/top.qcow2'><encryption format='luks'><secret type='passphrase' "
    "uuid='0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f'/></encryption></source>"
    "<backingStore type='file'><format type='qcow2'/><source file='/var/lib/mid.qcow2'>"
    "<encryption format='luks'><secret type='passphrase' "
    "uuid='0a81f5b2-8403-7b23-c8d6-21ccc2f80d6e'/></encryption></source>"
    "<backingStore type='file'><format type='raw'/><source file='/var/lib/base.raw'>"
    "<slices><slice type='storage' offset='4096' size='65536'/></slices></source>"
    "<backingStore/></backingStore></backingStore>"
    "<target dev='vda' bus='virtio'/></disk>"
    "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
    "<source file='/var/lib/top2.qcow2'/>"
    "<backingStore type='file'><format type='raw'/><source file='/var/lib/base2.luks'>"
    "<encryption format='luks'><secret type='passphrase' "
    "uuid='0a81f5b2-8403-7b23-c8d6-21ccc2f80d6d'/></encryption></source></backingStore>"
    "<target dev='vdb' bus='virtio'/></disk>")


def test_backing_layers_keep_their_encryption_and_slices(tmp_path):
    """A backing image's own <encryption> and <slices> reach its nodes as the top
    image's do (libvirt: luks-disks-source-qcow2, disk-slices), and the plan asks for
    each layer's passphrase."""
    from compiler.emit.taskset import plan_json

    result = compiled(tmp_path, ENCRYPTED_CHAIN)
    no_ignored(result)
    nodes = {b["node-name"]: b for b in blockdevs(result.argv)}
    # vda: nodes 3 (top), 4, 5 (base); vdb: nodes 1 (top), 2
    assert nodes["libvirt-3-format"]["encrypt"] == nodes["libvirt-4-format"]["encrypt"] | {
        "key-secret": "libvirt-3-format-encryption-secret0"}
    assert nodes["libvirt-4-format"]["encrypt"] == {
        "format": "luks", "key-secret": "libvirt-4-format-encryption-secret0"}
    assert (nodes["libvirt-5-format"]["offset"], nodes["libvirt-5-format"]["size"]) == \
        (4096, 65536)
    assert nodes["libvirt-2-format"] == {
        "node-name": "libvirt-2-format", "read-only": True, "driver": "luks",
        "key-secret": "libvirt-2-format-encryption-secret0", "file": "libvirt-2-storage"}
    secrets = [(s["for"], s["uuid"][-2:]) for s in plan_json(result.plan)["secrets"]]
    assert secrets == [("disk 'vda' (LUKS passphrase)", "6f"),
                       ("disk 'vda' (LUKS passphrase, backing image 1)", "6e"),
                       ("disk 'vdb' (LUKS passphrase, backing image 1)", "6d")]
    bad = ENCRYPTED_CHAIN.replace("<format type='qcow2'/><source file='/var/lib/mid.qcow2'>",
                                  "<format type='vmdk'/><source file='/var/lib/mid.qcow2'>")
    assert "backing image 1): LUKS encryption needs format 'raw' or 'qcow2'" in \
        refused(tmp_path, bad)


@pytest.mark.skipif(QEMU is None, reason=NO_QEMU)
def test_qemu_opens_encrypted_and_sliced_backing_layers(tmp_path):
    result = compiled(tmp_path, ENCRYPTED_CHAIN)
    argv, _ = bootable(list(result.argv), tmp_path)

    async def ask(qmp):
        return {n["node-name"]: n for n in await qmp.execute("query-named-block-nodes")}

    nodes = ask_paused(argv, ask)
    assert nodes["libvirt-3-format"]["backing_file_depth"] == 2
    assert nodes["libvirt-4-format"]["encrypted"] is True
    assert nodes["libvirt-2-format"]["drv"] == "luks"
    assert nodes["libvirt-1-format"]["backing_file_depth"] == 1

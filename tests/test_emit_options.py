"""Domain-wide options of the argv (machine, CPU flags, timers, power management, NUMA
distances, iothreads...) and the options devices add around their -device, table-driven.
Expected values were read from libvirt 9.0's argv for the same domains
(../shared/tools/libvirt-oracle argv)."""

from __future__ import annotations

import json

import pytest

from compiler.api import make_env
from compiler.diagnostics import DomcError
from compiler.emit.argv import emit_argv
from compiler.parse import parse_bytes
from compiler.pipeline import normalize

from .qemu import NO_QEMU, QEMU, ask_paused, bootable


def argv_for(body: str, machine: str = "pc", top: str = "", features: str = "<acpi/>",
             memory_mib: int = 64) -> list[str]:
    data = (f"<domain type='qemu'><name>m</name><memory unit='MiB'>{memory_mib}</memory>{top}"
            f"<os><type arch='x86_64' machine='{machine}'>hvm</type></os>"
            f"<features>{features}</features><devices>{body}</devices></domain>").encode()
    dom, _ = parse_bytes(data, "m.xml")
    env = make_env()
    return emit_argv(normalize(dom, env), env)


def values(argv: list[str], option: str) -> list[str]:
    return [v for o, v in zip(argv, argv[1:]) if o == option]


@pytest.mark.parametrize("machine, features, no_acpi", [
    ("pc", "<acpi/>", False),
    ("pc", "", True),
    ("q35", "<acpi/>", False),
    ("q35", "", True),        # libvirt switches ACPI off on q35 too; QEMU 7.2 boots it so
    ("q35", "<apic/>", True),
])
def test_acpi_is_off_unless_the_domain_asks_for_it(machine, features, no_acpi):
    assert ("-no-acpi" in argv_for("", machine, features=features)) is no_acpi


@pytest.mark.parametrize("machine, pm, want", [
    ("pc", "<suspend-to-mem enabled='no'/><suspend-to-disk enabled='no'/>",
     ["PIIX4_PM.disable_s3=1", "PIIX4_PM.disable_s4=1"]),
    ("q35", "<suspend-to-mem enabled='no'/><suspend-to-disk enabled='yes'/>",
     ["ICH9-LPC.disable_s3=1", "ICH9-LPC.disable_s4=0"]),
    ("q35", "<suspend-to-disk enabled='no'/>", ["ICH9-LPC.disable_s4=1"]),
    ("pc", "", []),
])
def test_pm_switches_s3_and_s4(machine, pm, want):
    argv = argv_for("", machine, top=f"<pm>{pm}</pm>")
    assert values(argv, "-global") == want
    if want:  # libvirt's place: after -no-shutdown, before -boot
        assert argv.index("-no-shutdown") < argv.index("-global") < argv.index("-boot")


def test_cpu_enlightenments_in_libvirts_order():
    features = ("<acpi/><apic eoi='on'/><hyperv mode='custom'><relaxed state='on'/></hyperv>"
                "<kvm><hidden state='on'/></kvm><pvspinlock state='on'/><pmu state='off'/>")
    argv = argv_for("<panic model='hyperv'/>", features=features)
    assert values(argv, "-cpu") == [
        "qemu64,kvm-pv-eoi=on,kvm-pv-unhalt=on,hv-relaxed=on,hv-crash,kvm=off,pmu=off"]


def test_hyperv_features_are_typed_values():
    """<hyperv> children become HypervFeature(name, state, value): the spinlock retry
    count is a number, the vendor id a string, <stimer><direct> a feature of its own.
    The flags are libvirt 9.0's for the same domain (libvirt orders them by its own
    feature list; domc keeps document order, so this compares them as a set)."""
    from compiler.model import HypervFeature

    hyperv = ("<hyperv mode='custom'><relaxed state='off'/><vpindex state='on'/>"
              "<synic state='on'/><spinlocks state='on' retries='8191'/>"
              "<stimer state='on'><direct state='on'/></stimer>"
              "<vendor_id state='on' value='KVMKVMKVM'/></hyperv>")
    data = (f"<domain type='kvm'><name>m</name><memory unit='MiB'>64</memory>"
            f"<os><type arch='x86_64' machine='pc'>hvm</type></os>"
            f"<features><acpi/>{hyperv}</features></domain>").encode()
    dom, _ = parse_bytes(data, "m.xml")
    assert dom.features.hyperv == (
        HypervFeature("relaxed", False), HypervFeature("vpindex", True),
        HypervFeature("synic", True), HypervFeature("spinlocks", True, 8191),
        HypervFeature("stimer", True), HypervFeature("stimer-direct", True),
        HypervFeature("vendor_id", True, "KVMKVMKVM"))
    cpu = values(argv_for("", features="<acpi/>" + hyperv), "-cpu")[0].split(",")
    assert cpu[0] == "qemu64"
    assert set(cpu[1:]) == {"hv-spinlocks=0x1fff", "hv-vpindex=on", "hv-synic=on", "hv-stimer=on",
                            "hv-stimer-direct=on", "hv-vendor-id=KVMKVMKVM"}


@pytest.mark.parametrize("ioapic, want", [("qemu", "kernel_irqchip=split"), ("kvm", "kernel_irqchip=on")])
def test_ioapic_driver(ioapic, want):
    machine = values(argv_for("", "q35", features=f"<acpi/><ioapic driver='{ioapic}'/>"), "-machine")[0]
    assert machine.split(",")[2] == want  # after usb=off, before dump-guest-core


def test_vmcoreinfo_comes_before_sandbox_and_panic_after():
    argv = argv_for("<panic model='isa'/>", features="<acpi/><vmcoreinfo state='on'/>")
    assert argv[-8:] == ["-device", '{"driver":"vmcoreinfo"}', "-sandbox",
                         "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
                         "-device", '{"driver":"pvpanic"}', "-msg", "timestamp=on"]


def ignored_for(features: str) -> list[str]:
    """The warning[ignored] messages (up to the ';') of a domain with these features."""
    data = (f"<domain type='qemu'><name>m</name><memory unit='MiB'>64</memory>"
            f"<os><type arch='x86_64'>hvm</type></os><features>{features}</features>"
            f"<devices/></domain>").encode()
    dom, _ = parse_bytes(data, "m.xml")
    env = make_env()
    normalize(dom, env)
    return [w.message.split(";")[0] for w in env.diag.warnings if w.code == "ignored"]


def test_unknown_features_are_reported_not_dropped():
    assert ignored_for("<acpi/><hap/>") == ["feature <hap> is not used by domc"]


def test_locked_memory():
    argv = argv_for("", top="<memoryBacking><locked/></memoryBacking>")
    assert values(argv, "-overcommit") == ["mem-lock=on"]
    assert values(argv_for(""), "-overcommit") == ["mem-lock=off"]


IOTHREADS = ("<iothreads>4</iothreads><iothreadids><iothread id='3' thread_pool_max='5'/>"
             "<iothread id='7'/></iothreadids><defaultiothread thread_pool_min='2'/>")


def test_iothreads_in_document_order_then_filled_ids_then_the_main_loop():
    argv = argv_for("<disk type='file' device='disk'><driver name='qemu' iothread='3'/>"
                    "<source file='/x.img'/><target dev='vda' bus='virtio'/></disk>"
                    "<controller type='scsi' model='virtio-scsi'><driver iothread='7' queues='2'/>"
                    "</controller>", top=IOTHREADS)
    objects = [json.loads(v) for v in values(argv, "-object") if "iothread" in v or "main-loop" in v]
    assert objects == [
        {"qom-type": "iothread", "id": "iothread3", "thread-pool-max": 5},
        {"qom-type": "iothread", "id": "iothread7"},
        {"qom-type": "iothread", "id": "iothread1"},
        {"qom-type": "iothread", "id": "iothread2"},
        {"qom-type": "main-loop", "id": "main-loop", "thread-pool-min": 2},
    ]
    assert argv.index("-smp") < argv.index("-object", argv.index("-smp"))
    devices = [json.loads(v) for v in values(argv, "-device")]
    scsi = next(d for d in devices if d["driver"] == "virtio-scsi-pci")
    blk = next(d for d in devices if d["driver"] == "virtio-blk-pci")
    assert list(scsi)[:4] == ["driver", "iothread", "id", "num_queues"] and scsi["iothread"] == "iothread7"
    assert list(blk)[:2] == ["driver", "iothread"] and blk["iothread"] == "iothread3"


@pytest.mark.parametrize("body, message", [
    ("<disk type='file' device='disk'><driver name='qemu' iothread='9'/><source file='/x'/>"
     "<target dev='vda' bus='virtio'/></disk>", "iothread 9 is not defined"),
    ("<disk type='file' device='disk'><driver name='qemu' iothread='1'/><source file='/x'/>"
     "<target dev='sda' bus='sata'/></disk>", "iothreads serve only virtio"),
])
def test_iothread_references_are_checked(body, message):
    with pytest.raises(DomcError, match=message):
        argv_for(body, "q35", top="<iothreads>1</iothreads>")


@pytest.mark.parametrize("action, want", [(None, "reset"), ("poweroff", "poweroff"),
                                          ("dump", "pause"), ("inject-nmi", "inject-nmi")])
def test_watchdog_action(action, want):
    attr = f" action='{action}'" if action else ""
    argv = argv_for(f"<watchdog model='i6300esb'{attr}/>")
    assert values(argv, "-watchdog-action") == [want]
    assert argv.index("-watchdog-action") == argv.index("-device", argv.index("-watchdog-action") - 2) + 2


@pytest.mark.parametrize("model, props", [
    ("vga", {"vgamem_mb": 16}),
    ("cirrus", {}),
    ("vmvga", {"vgamem_mb": 16}),
    ("bochs", {"vgamem": 16777216}),
    ("virtio", {"max_outputs": 1}),
    ("qxl", {"max_outputs": 1, "ram_size": 67108864, "vram_size": 67108864,
             "vram64_size_mb": 0, "vgamem_mb": 16}),
])
def test_video_defaults_as_libvirt_fills_them(model, props):
    argv = argv_for(f"<graphics type='spice'/><video><model type='{model}'/></video>")
    (video,) = [json.loads(v) for v in values(argv, "-device") if '"video0"' in v]
    assert {k: v for k, v in video.items() if k not in ("driver", "id", "bus", "addr")} == props
    assert list(video)[:len(props) + 2][2:] == list(props)


@pytest.mark.skipif(QEMU is None, reason=NO_QEMU)
def test_qemu_creates_the_iothreads(tmp_path):
    argv = argv_for("<disk type='file' device='disk'><driver name='qemu' iothread='3'/>"
                    "<source file='/x.img'/><target dev='vda' bus='virtio'/></disk>", top=IOTHREADS)
    argv, _ = bootable(argv, tmp_path)

    async def ask(qmp):
        return await qmp.execute("query-iothreads")

    assert sorted(t["id"] for t in ask_paused(argv, ask)) == [
        "iothread1", "iothread2", "iothread3", "iothread7"]


@pytest.mark.parametrize("timers, want", [
    ("<timer name='pit' tickpolicy='delay'/>", ["-rtc", "base=utc", "-global",
                                                "kvm-pit.lost_tick_policy=delay"]),
    ("<timer name='pit' tickpolicy='discard'/><timer name='hpet' present='no'/>",
     ["-rtc", "base=utc", "-global", "kvm-pit.lost_tick_policy=discard", "-no-hpet"]),
    ("<timer name='pit' tickpolicy='catchup'/><timer name='hpet' present='yes'/>",
     ["-rtc", "base=utc"]),
    ("<timer name='rtc' tickpolicy='catchup' track='guest'/>",
     ["-rtc", "base=utc,driftfix=slew,clock=vm"]),
])
def test_timers(timers, want):
    argv = argv_for("", top=f"<clock offset='utc'>{timers}</clock>")
    assert argv[argv.index("-rtc"):argv.index("-no-shutdown")] == want


@pytest.mark.parametrize("timer, message", [
    ("<timer name='pit' tickpolicy='merge'/>", "pit timer tickpolicy 'merge' is not supported"),
    ("<timer name='rtc' tickpolicy='discard'/>", "rtc timer tickpolicy 'discard'"),
    ("<timer name='platform'/>", "timer 'platform' is not supported"),
])
def test_timers_qemu_cannot_follow_are_refused(timer, message):
    with pytest.raises(DomcError, match=message):
        argv_for("", top=f"<clock offset='utc'>{timer}</clock>")


def numa_argv(cells: list[str]) -> list[str]:
    body = "".join(f"<cell id='{i}' cpus='{i}' memory='64' unit='MiB'>{c}</cell>"
                   for i, c in enumerate(cells))
    return argv_for("", top=f"<vcpu>{len(cells)}</vcpu><cpu><numa>{body}</numa></cpu>",
                    memory_mib=64 * len(cells))


def dist(*sibs: tuple[int, int]) -> str:
    return "<distances>" + "".join(f"<sibling id='{i}' value='{v}'/>" for i, v in sibs) + "</distances>"


# expected matrices read from libvirt 9.0's argv for the same cells
@pytest.mark.parametrize("cells, matrix", [
    ([dist((1, 21)), "", ""], [[10, 21, 20], [21, 10, 20], [20, 20, 10]]),
    ([dist((1, 21), (2, 31)), dist((2, 15)), ""], [[10, 21, 31], [21, 10, 15], [31, 15, 10]]),
    ([dist((1, 20)), dist((0, 30)), ""], [[10, 20, 20], [30, 10, 20], [20, 20, 10]]),
    (["", "", ""], None),
])
def test_numa_distances_are_completed_as_libvirt_does(cells, matrix):
    got = [v.split(",") for v in values(numa_argv(cells), "-numa") if v.startswith("dist,")]
    if matrix is None:
        assert got == []
        return
    want = [["dist", f"src={a}", f"dst={b}", f"val={matrix[a][b]}"]
            for a in range(len(cells)) for b in range(len(cells))]
    assert got == want


@pytest.mark.parametrize("cells, message", [
    ([dist((0, 12)), ""], "distance of a cell to itself is 10, not 12"),
    ([dist((1, 9)), ""], "distance 9 to cell 1 is outside 10..255"),
    ([dist((5, 20)), ""], "sibling 5 is not a guest NUMA cell"),
    ([dist((1, 20), (1, 30)), ""], "given twice"),
])
def test_bad_numa_distances_are_refused(cells, message):
    with pytest.raises(DomcError, match=message):
        numa_argv(cells)


@pytest.mark.skipif(QEMU is None, reason=NO_QEMU)
def test_qemu_takes_the_distance_matrix(tmp_path):
    argv, _ = bootable(numa_argv([dist((1, 21), (2, 31)), dist((2, 15)), ""]), tmp_path)

    async def ask(qmp):
        return await qmp.execute("query-status")

    assert ask_paused(argv, ask)["status"] == "prelaunch"


def test_root_bus_hotplug_switch():
    argv = argv_for("<controller type='pci' model='pci-root'><target hotplug='off'/></controller>")
    assert values(argv, "-global") == ["PIIX4_PM.acpi-root-pci-hotplug=off"]
    assert argv.index("-boot") < argv.index("-global")
    with pytest.raises(DomcError, match="hotplug cannot be switched on a 'pcie-root'"):
        argv_for("<controller type='pci' model='pcie-root'><target hotplug='off'/></controller>",
                 "q35")


def test_launch_security_is_refused_not_dropped():
    with pytest.raises(DomcError, match="launchSecurity"):
        argv_for("", top="<launchSecurity type='sev'><policy>0x0003</policy></launchSecurity>")


@pytest.mark.parametrize("devices, audio", [
    ("", ['{"id":"audio1","driver":"none"}']),
    ("<graphics type='vnc'/>", ['{"id":"audio1","driver":"none"}']),
    ("<graphics type='spice'/>", ['{"id":"audio1","driver":"spice"}']),
    ("<graphics type='egl-headless'/>", []),   # a display without audio (libvirt's corpus)
])
def test_default_audio_backend(devices, audio):
    assert values(argv_for(devices), "-audiodev") == audio


# libvirt 9.0 refuses each (checked with the oracle)
@pytest.mark.parametrize("vcpus, cells, message", [
    (2, ["0-3"], "the NUMA cells list 4 vCPUs, more than the 2 of <vcpu>"),
    (4, ["0-1", "1-3"], "NUMA cells 1 and 0 have overlapping vCPU ids"),
    (4, ["0", "6"], r"vCPU ids 6 in <numa> are beyond the 4 vCPUs"),
])
def test_bad_numa_cells_are_refused(vcpus, cells, message):
    body = "".join(f"<cell id='{i}' cpus='{c}' memory='64' unit='MiB'/>" for i, c in enumerate(cells))
    with pytest.raises(DomcError, match=message):
        argv_for("", top=f"<vcpu>{vcpus}</vcpu><cpu><numa>{body}</numa></cpu>")


def test_numa_cells_must_be_numbered_in_order():
    body = ("<cell id='0' cpus='0' memory='32' unit='MiB'/>"
            "<cell id='2' cpus='1' memory='32' unit='MiB'/>")
    with pytest.raises(DomcError, match=r"numbered 0..N-1, one <cell> each \(got 0, 2\)"):
        argv_for("", top=f"<vcpu>2</vcpu><cpu><numa>{body}</numa></cpu>")


def test_unknown_kvm_features_are_reported_not_dropped():
    assert ignored_for("<acpi/><kvm><hidden state='on'/><dirty-ring state='on'/></kvm>") == [
        "KVM feature <dirty-ring> is not used by domc"]


def _with_bios(bios: str, devices: str = "<serial type='pty'/>") -> list[str]:
    data = ("<domain type='qemu'><name>m</name><memory unit='MiB'>64</memory>"
            f"<os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type>{bios}</os>"
            f"<devices>{devices}</devices></domain>").encode()
    dom, _ = parse_bytes(data, "m.xml")
    env = make_env()
    return emit_argv(normalize(dom, env), env)


@pytest.mark.parametrize("bios, machine_end, boot", [
    ("<bios useserial='yes' rebootTimeout='0'/><bootmenu enable='yes' timeout='200'/>",
     "memory-backend=pc.ram,graphics=off", "menu=on,reboot-timeout=0,splash-time=200,strict=on"),
    ("<bios useserial='no'/>", "memory-backend=pc.ram", "strict=on"),
    ("<bios rebootTimeout='-1'/>", "memory-backend=pc.ram", "reboot-timeout=-1,strict=on"),
    ("<bios rebootTimeout='5000'/><bootmenu enable='no' timeout='100'/>", "memory-backend=pc.ram",
     "menu=off,reboot-timeout=5000,strict=on"),
])
def test_bios_serial_output_and_reboot_timeout(bios, machine_end, boot):
    # <bios> was dropped with a warning[ignored]; these are libvirt 9.0's words
    argv = _with_bios(bios)
    assert values(argv, "-machine")[0].endswith(machine_end)
    assert values(argv, "-boot") == [boot]


@pytest.mark.parametrize("bios, devices, code", [
    ("<bios useserial='yes'/>", "", "bios-serial"),  # libvirt: "need at least one serial port"
    ("<bios rebootTimeout='65536'/>", "<serial type='pty'/>", "bad-number"),
    ("<bios rebootTimeout='-2'/>", "<serial type='pty'/>", "bad-number"),
])
def test_bios_settings_libvirt_refuses(bios, devices, code):
    with pytest.raises(DomcError) as e:
        _with_bios(bios, devices)
    assert [d.code for d in e.value.diagnostics] == [code]


def test_a_serial_console_is_a_serial_port_for_the_bios():
    argv = _with_bios("<bios useserial='yes'/>", "<console type='pty'/>")
    assert values(argv, "-machine")[0].endswith(",graphics=off")


def test_evdev_inputs_are_input_linux_objects_in_their_place():
    # libvirt 9.0's argv for these inputs, word for word (they were compiled to nothing)
    argv = argv_for("<input type='evdev'><source dev='/dev/input/event1'/></input>"
                    "<input type='evdev'><source dev='/dev/input/event2' grab='all' "
                    "grabToggle='ctrl-ctrl' repeat='on'/></input>"
                    "<input type='tablet' bus='usb'/>", machine="q35")
    objects = [v for v in values(argv, "-object") if "input-linux" in v]
    assert objects == [
        '{"qom-type":"input-linux","id":"input0","evdev":"/dev/input/event1"}',
        '{"qom-type":"input-linux","id":"input1","evdev":"/dev/input/event2","repeat":true,'
        '"grab_all":true,"grab-toggle":"ctrl-ctrl"}']
    assert [json.loads(v)["id"] for v in values(argv, "-device") if "usb-tablet" in v] == ["input2"]


@pytest.mark.parametrize("inner, code", [
    ("", "missing-attribute"),
    ("<source dev='/dev/input/event1' grabToggle='f12'/>", "bad-value"),
])
def test_evdev_inputs_libvirt_refuses(inner, code):
    with pytest.raises(DomcError) as e:
        argv_for(f"<input type='evdev'>{inner}</input>")
    assert [d.code for d in e.value.diagnostics] == [code]


def _vcpus(lines: str, current: int = 4, topology: str = "") -> list[str]:
    data = (f"<domain type='qemu'><name>m</name><memory unit='MiB'>64</memory>"
            f"<vcpu placement='static' current='{current}'>4</vcpu><vcpus>{lines}</vcpus>"
            "<os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>"
            f"<cpu><model>qemu64</model>{topology}</cpu><devices/></domain>").encode()
    dom, _ = parse_bytes(data, "m.xml")
    env = make_env()
    return emit_argv(normalize(dom, env), env)


def _v(n: int, on: str, hot: str, extra: str = "") -> str:
    return f"<vcpu id='{n}' enabled='{on}' hotpluggable='{hot}'{extra}/>"


TOPO = "<topology sockets='2' dies='1' cores='2' threads='1'/>"


def test_hotpluggable_vcpus_are_cpu_devices_and_not_in_smp():
    # libvirt 9.0: -smp 1,maxcpus=4,... (current='3' is overruled by <vcpus>) and vcpu1
    # plugged at start; here vcpu1 is a -device CPU at socket 0, core 1
    argv = _vcpus(_v(0, "yes", "no") + _v(1, "yes", "yes") + _v(2, "no", "yes")
                  + _v(3, "no", "yes"), current=3, topology=TOPO)
    assert values(argv, "-smp") == ["1,maxcpus=4,sockets=2,dies=1,cores=2,threads=1"]
    assert [v for v in values(argv, "-device") if "x86_64-cpu" in v] == [
        '{"driver":"qemu64-x86_64-cpu","id":"vcpu1","socket-id":0,"core-id":1,"thread-id":0}']


def test_hotpluggable_vcpus_follow_their_order():
    argv = _vcpus(_v(0, "yes", "no", " order='1'") + _v(1, "yes", "yes", " order='3'")
                  + _v(2, "yes", "yes", " order='2'") + _v(3, "no", "yes", " order='4'"))
    assert [json.loads(v)["id"] for v in values(argv, "-device") if "x86_64-cpu" in v] == \
        ["vcpu2", "vcpu1"]
    assert values(argv, "-smp") == ["1,maxcpus=4,sockets=4,cores=1,threads=1"]


@pytest.mark.parametrize("lines", [
    _v(0, "yes", "yes") + _v(1, "yes", "no") + _v(2, "no", "yes") + _v(3, "no", "yes"),
    _v(0, "yes", "no") + _v(1, "no", "yes") + _v(2, "yes", "no") + _v(3, "no", "yes"),
    _v(0, "yes", "no") + _v(1, "no", "no") + _v(2, "no", "yes") + _v(3, "no", "yes"),
    _v(0, "yes", "no") + _v(1, "yes", "yes", " order='3'") + _v(2, "yes", "yes") + _v(3, "no", "yes"),
], ids=["vcpu0-hotpluggable", "not-first", "offline-fixed", "some-orders"])
def test_vcpus_libvirt_refuses(lines):
    # each refused by libvirt 9.0 too (libvirt-oracle argv)
    with pytest.raises(DomcError) as e:
        _vcpus(lines)
    assert {d.code for d in e.value.diagnostics} == {"vcpus"}


@pytest.mark.skipif(QEMU is None, reason=NO_QEMU)
def test_qemu_starts_with_the_hotpluggable_vcpu_plugged(tmp_path):
    argv = _vcpus(_v(0, "yes", "no") + _v(1, "no", "yes") + _v(2, "yes", "yes")
                  + _v(3, "no", "yes"), topology=TOPO)
    argv, _ = bootable(argv, tmp_path)

    async def ask(qmp):
        return await qmp.execute("query-hotpluggable-cpus")

    plugged = {c["qom-path"] for c in ask_paused(argv, ask) if "qom-path" in c}
    assert "/machine/peripheral/vcpu2" in plugged and len(plugged) == 2


def test_vcpus_left_out_are_offline_and_hotpluggable():
    # libvirt 9.0 fills in <vcpu id='2' enabled='no' hotpluggable='yes'/> and id 3 alike
    argv = _vcpus(_v(0, "yes", "no") + _v(1, "yes", "yes"))
    assert values(argv, "-smp") == ["1,maxcpus=4,sockets=4,cores=1,threads=1"]
    assert [json.loads(v)["id"] for v in values(argv, "-device") if "x86_64-cpu" in v] == ["vcpu1"]

"""Normalized Domain -> QEMU 7.2 argv.  Reads the domain, never changes it.

Options come in libvirt's order (qemuBuildCommandLine): machine and CPU first, then
memory, SMP, iothreads, guest NUMA, identity (uuid, SMBIOS, fw_cfg), display, clock,
power management and boot, then the devices kind by kind in registry order (inside a
kind by its argv_key, e.g. controllers by type and index, then document order; the
audio kind writes the default backend when there is no <audio>), -sandbox, and the
kinds whose argv_position is LATE (panic, vsock) last.
"""

from __future__ import annotations

from ..cpu.policy import argv_head, argv_value
from ..devices import DEVICE_KINDS, kind_of
from ..devices.base import ArgvPosition, EmitCtx, no_absent_words, qjson
from ..devices.blockdev import AUTH_PROTOCOLS, node_count, protocol_node, secret_object
from ..devices.disk import Disk
from ..devices.graphics import Graphics, audio_env, graphics_env
from ..model import Domain, MachineFamily, VirtType
from ..placement.hmat import has_hmat
from ..runtime import GuestFile, HostDirs
from ..tables.hypervisor import HYPERV_PROPS, KVM_PROPS
from .numa import emit_numa, memory_backend_props, numa_memory_kib
from .qemuopts import escape
from .smbios import emit_fw_cfg, emit_smbios
from ..qemu_namespace import apply_overrides, compat_args

MIB = 1024  # KiB per MiB


def memory_mib(dom: Domain) -> int:
    """libvirt aligns guest RAM up to whole MiB before giving it to QEMU."""
    return -(-dom.memory.max_kib // MIB)


def emit_argv(dom: Domain, env=None) -> list[str]:
    family = dom.os.family
    assert family is not None, "emit needs a domain canonicalize_machine has seen"
    argv = [dom.emulator or "/usr/bin/qemu-system-x86_64"]
    argv += ["-name", f"guest={escape(dom.name)},debug-threads=on"]
    dirs = env.dirs if env is not None else HostDirs()
    argv += compat_args(dom.qemu)
    argv += _pflash(dom, dirs)
    argv += ["-machine", _machine(dom, family)]
    argv += ["-accel", "kvm" if dom.type is VirtType.KVM else "tcg"]
    if dom.features.tseg_kib is not None:
        argv += ["-global", f"mch.extended-tseg-mbytes={dom.features.tseg_kib // 1024}"]
    argv += ["-cpu", cpu_value(dom)]
    argv += _firmware(dom)
    memory, numa = _memory(dom, env)
    argv += memory
    argv += ["-overcommit", f"mem-lock={'on' if dom.tuning.backing.locked else 'off'}"]
    argv += ["-smp", _smp(dom)]
    argv += _iothreads(dom)
    argv += numa
    if dom.uuid:
        argv += ["-uuid", dom.uuid]
    argv += emit_smbios(dom)
    argv += emit_fw_cfg(dom)
    if dom.genid:
        argv += ["-device", qjson({"driver": "vmgenid", "guid": dom.genid, "id": "vmgenid0"})]
    argv += _display(dom)
    argv += ["-no-user-config", "-nodefaults"]
    argv += _clock(dom)
    argv += ["-no-shutdown"]
    if not dom.features.acpi:
        argv += ["-no-acpi"]
    argv += _power(dom, family)
    argv += ["-boot", _boot(dom)]
    argv += _kernel(dom)
    devices, late = _devices(dom, family, dirs)
    argv += devices + _vcpu_devices(dom)
    if dom.features.vmcoreinfo:
        argv += ["-device", qjson({"driver": "vmcoreinfo"})]
    argv += _launch_security(dom, dirs)
    argv = apply_overrides(argv, dom.qemu) + list(dom.qemu.args)  # <qemu:arg>s as written
    argv += ["-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"]
    argv += late
    argv += ["-msg", "timestamp=on"]
    return argv


def emit_env(dom: Domain) -> tuple[tuple[str, str], ...]:
    """Variables QEMU's environment needs besides the argv, in libvirt's order."""
    return audio_env(dom) + graphics_env(dom) + dom.qemu.env


def _machine(dom: Domain, family: MachineFamily) -> str:
    opts = [dom.os.machine, "usb=off"]
    if dom.features.vmport is not None:
        opts.append(f"vmport={'on' if dom.features.vmport else 'off'}")
    if dom.features.smm is not None:
        opts.append(f"smm={'on' if dom.features.smm else 'off'}")
    if dom.features.ioapic_driver is not None:
        opts.append(f"kernel_irqchip={'on' if dom.features.ioapic_driver == 'kvm' else 'split'}")
    opts.append("dump-guest-core=off")
    # what the devices need of the machine (nvdimm=on, pcspk-audiodev=), kind by kind
    by_kind: dict = {}  # by tag: a DeviceKind record hashes all its fields
    for d in dom.devices:
        by_kind.setdefault(d.kind_tag, []).append(d)
    opts += dict.fromkeys(o for k in DEVICE_KINDS for d in by_kind.get(k.tag, ())
                          for o in k.machine_opts(d))
    if not (dom.cpu and dom.cpu.numa):
        opts.append("memory-backend=pc.ram")
    if dom.os.loader is not None and dom.os.loader.type == "pflash":
        opts.append("pflash0=libvirt-pflash0-format")
        if dom.os.nvram or dom.os.nvram_source is not None:
            opts.append("pflash1=libvirt-pflash1-format")
    if dom.os.bios_serial:
        opts.append("graphics=off")  # SeaBIOS writes to the serial port (libvirt 9.0)
    if has_hmat(dom.cpu):
        opts.append("hmat=on")
    if dom.launch_security is not None:
        opts.append(f"confidential-guest-support={LAUNCH_SECURITY_ID}")
    return ",".join(opts)


LAUNCH_SECURITY_ID = "lsec0"


def launch_security_files(dom: Domain, dirs: HostDirs) -> tuple[GuestFile, ...]:
    """The SEV guest owner's blobs, in files under the domain's run directory (libvirt:
    dh_cert.base64 and session.base64 in the domain's private directory)."""
    ls = dom.launch_security
    if ls is None:
        return ()
    run = dirs.domain_run_dir(dom.name)
    return tuple(GuestFile(what, f"{run}/{name}", content, ls.span)
                 for what, name, content in (
                     ("SEV guest owner's certificate (<dhCert>)", "dh_cert.base64", ls.dh_cert),
                     ("SEV launch session (<session>)", "session.base64", ls.session))
                 if content is not None)


def _launch_security(dom: Domain, dirs: HostDirs) -> list[str]:
    """-object sev-guest (qemuBuildSEVCommandLine); the machine names it as its
    confidential-guest-support."""
    ls = dom.launch_security
    if ls is None:
        return []
    files = {f.path.rsplit("/", 1)[1]: f.path for f in launch_security_files(dom, dirs)}
    return ["-object", qjson({"qom-type": "sev-guest", "id": LAUNCH_SECURITY_ID,
                              "cbitpos": ls.cbitpos, "reduced-phys-bits": ls.reduced_phys_bits,
                              "policy": ls.policy, "dh-cert-file": files.get("dh_cert.base64"),
                              "session-file": files.get("session.base64"),
                              "kernel-hashes": ls.kernel_hashes})]


def cpu_value(dom: Domain) -> str:
    """The -cpu argument: resolved model and flags, then hypervisor enlightenments."""
    value = argv_value(dom.cpu) if dom.cpu is not None else "qemu64"
    extra = []
    f = dom.features
    for t in dom.clock.timers:
        if t.name == "kvmclock" and t.present is not None:
            extra.append(f"kvmclock={'on' if t.present else 'off'}")
        elif t.name == "hypervclock" and t.present:
            extra.append("hv-time=on")
    if f.apic_eoi is not None:
        extra.append(f"kvm-pv-eoi={'on' if f.apic_eoi else 'off'}")
    if f.pvspinlock is not None:
        extra.append(f"kvm-pv-unhalt={'on' if f.pvspinlock else 'off'}")
    if f.hyperv_mode == "passthrough":
        extra.append("hv-passthrough=on")
    for hv in f.hyperv:
        prop = HYPERV_PROPS.get(hv.name)
        if prop is None or not hv.state:
            continue
        if hv.name == "spinlocks":
            extra.append(f"{prop}=0x{hv.value:x}")
        elif hv.name == "vendor_id":
            extra.append(f"{prop}={hv.value}")
        else:
            extra.append(f"{prop}=on")
    extra += dict.fromkeys(p for d in dom.devices for p in kind_of(d).cpu_props(d))
    for name, state in f.kvm:
        prop = KVM_PROPS.get(name)
        if prop is None:
            continue
        on = state == "on"
        if name == "hidden":
            on = not on  # hidden=on means kvm=off
        extra.append(f"{prop}={'on' if on else 'off'}")
    if f.pmu is not None:
        extra.append(f"pmu={'on' if f.pmu else 'off'}")
    return ",".join([value, *extra])


# the power-management device whose S3/S4 switches <pm> sets, per machine family
PM_DEVICE = {MachineFamily.I440FX: "PIIX4_PM", MachineFamily.Q35: "ICH9-LPC"}


def _power(dom: Domain, family: MachineFamily) -> list[str]:
    """<pm>: -global switches that hide S3 (suspend to RAM) / S4 (to disk) from the guest."""
    out = []
    for state, on in (("s3", dom.features.suspend_to_mem), ("s4", dom.features.suspend_to_disk)):
        if on is not None:
            out += ["-global", f"{PM_DEVICE[family]}.disable_{state}={0 if on else 1}"]
    return out


def _pool(obj: dict, lo: int | None, hi: int | None) -> dict:
    if lo is not None:
        obj["thread-pool-min"] = lo
    if hi is not None:
        obj["thread-pool-max"] = hi
    return obj


def _iothreads(dom: Domain) -> list[str]:
    """-object iothread per <iothreadids> entry (document order, then the ids libvirt
    filled in), and the main loop's thread pool (<defaultiothread>)."""
    t = dom.tuning
    argv = []
    for io in t.iothreads:
        argv += ["-object", qjson(_pool({"qom-type": "iothread", "id": f"iothread{io.id}"},
                                        io.pool_min, io.pool_max))]
    if t.main_loop_pool is not None:
        argv += ["-object", qjson(_pool({"qom-type": "main-loop", "id": "main-loop"},
                                        *t.main_loop_pool))]
    return argv


def _memory(dom: Domain, env) -> tuple[list[str], list[str]]:
    """-m with the one backend for all guest RAM (pc.ram, named by -machine
    memory-backend=); with guest NUMA, the cells' backends and -numa nodes separately
    (libvirt writes them after -smp)."""
    m = dom.memory
    numa = bool(dom.cpu and dom.cpu.numa)
    mib = numa_memory_kib(dom) // MIB if numa else memory_mib(dom)
    size = f"{mib}"
    if m.max_memory_kib is not None:
        size = f"size={mib * MIB}k,slots={m.slots or 0},maxmem={m.max_memory_kib}k"
    argv = ["-m", size]
    if numa:
        objects = []
        tail = emit_numa(dom, env)
    else:
        objects, _ = memory_backend_props(dom, "pc.ram", mib * MIB)
        tail = []
    for obj in objects:
        argv += ["-object", qjson(obj)]
    if _wants_mem_prealloc(dom, objects, tail):
        argv.append("-mem-prealloc")
    return argv, tail


def _wants_mem_prealloc(dom: Domain, objects: list, tail: list) -> bool:
    """<allocation mode='immediate'> with no backend preallocating itself."""
    if not dom.tuning.backing.prealloc:
        return False
    return not any(o.get("prealloc") for o in objects) and '"prealloc":true' not in " ".join(tail)


def _smp(dom: Domain) -> str:
    v = dom.vcpu
    topo = dom.cpu.topology if dom.cpu and dom.cpu.topology else None
    boot = v.online - len(v.hotplug)  # the hotpluggable ones are -device cpus (_vcpu_devices)
    parts = [str(boot)]
    if boot != v.count:
        parts.append(f"maxcpus={v.count}")
    if topo is None:
        parts += [f"sockets={v.count}", "cores=1", "threads=1"]
    else:
        # with a <topology>, libvirt 9.0 writes dies too (every QEMU it supports has them)
        parts += [f"sockets={topo.sockets}", f"dies={topo.dies}", f"cores={topo.cores}",
                  f"threads={topo.threads}"]
    return ",".join(parts)


def _vcpu_devices(dom: Domain) -> list[str]:
    """The online hotpluggable vCPUs of <vcpus>, in plug order: CPU devices at their
    place in the topology.  libvirt 9.0 starts QEMU with the others only and plugs these
    over QMP before the guest runs; on the command line the guest gets the same CPUs,
    unpluggable as libvirt's are, with no monitor needed."""
    v = dom.vcpu
    if not v.hotplug:
        return []
    topo = dom.cpu.topology if dom.cpu and dom.cpu.topology else None
    sockets, dies, cores, threads = (topo.sockets, topo.dies, topo.cores, topo.threads) \
        if topo is not None else (v.count, 1, 1, 1)
    cpu_type = (argv_head(dom.cpu).split(",")[0] if dom.cpu is not None else "qemu64") \
        + "-x86_64-cpu"
    argv = []
    for n in v.hotplug:
        props = {"driver": cpu_type, "id": f"vcpu{n}",
                 "socket-id": n // (threads * cores * dies)}
        if dies > 1:
            props["die-id"] = n // (threads * cores) % dies
        props.update({"core-id": n // threads % cores, "thread-id": n % threads})
        argv += ["-device", qjson(props)]
    return argv


def _display(dom: Domain) -> list[str]:
    """No display without graphics; the graphics write their own -display in their place."""
    return [] if dom.devices_of(Graphics) else ["-display", "none"]


def _clock(dom: Domain) -> list[str]:
    c = dom.clock
    base = {"utc": "utc", "localtime": "localtime"}.get(c.offset, "utc")
    opts = [f"base={base}"]
    for t in c.timers:
        if t.name == "rtc" and t.tickpolicy == "catchup":
            opts.append("driftfix=slew")
        if t.name == "rtc" and t.track in ("guest", "wall"):
            opts.append(f"clock={'vm' if t.track == 'guest' else 'host'}")
    argv = ["-rtc", ",".join(opts)]
    for t in c.timers:
        # catchup is QEMU's own default for the PIT: libvirt writes nothing for it
        if t.name == "pit" and t.tickpolicy in ("delay", "discard"):
            argv += ["-global", f"kvm-pit.lost_tick_policy={t.tickpolicy}"]
    if any(t.name == "hpet" and t.present is False for t in c.timers):
        argv.append("-no-hpet")
    return argv


def _boot(dom: Domain) -> str:
    opts = []
    bm = dom.os.boot_menu
    if bm is not None and bm.enable is not None:
        opts.append(f"menu={'on' if bm.enable else 'off'}")
    if dom.os.reboot_timeout is not None:
        opts.append(f"reboot-timeout={dom.os.reboot_timeout}")
    if bm is not None and bm.enable and bm.timeout is not None:
        opts.append(f"splash-time={bm.timeout}")
    opts.append("strict=on")
    return ",".join(opts)


def _kernel(dom: Domain) -> list[str]:
    argv = []
    if dom.os.kernel:
        argv += ["-kernel", dom.os.kernel]
    if dom.os.initrd:
        argv += ["-initrd", dom.os.initrd]
    if dom.os.cmdline:
        argv += ["-append", dom.os.cmdline]
    return argv


def _firmware(dom: Domain) -> list[str]:
    """After -cpu: a ROM loader (-bios), or the SMM-only flash switch for secure boot."""
    loader = dom.os.loader
    if loader is None or not loader.path:
        return []
    if loader.type != "pflash":
        return ["-bios", loader.path]
    if loader.secure:
        return ["-global", "driver=cfi.pflash01,property=secure,value=on"]
    return []


NVRAM_AUTH_SECRET = "libvirt-pflash1-storage-auth-secret0"


def nvram_auth(dom: Domain) -> bool:
    src = dom.os.nvram_source
    return src is not None and src.auth_secret is not None and src.protocol in AUTH_PROTOCOLS


def _nvram_node(dom: Domain) -> dict | None:
    """The storage node of the variable store: a file, a host block device or a
    network source."""
    o = dom.os
    if o.nvram_source is not None:  # checked by validate_domain
        return protocol_node(o.nvram_source, NVRAM_AUTH_SECRET if nvram_auth(dom) else None)
    if not o.nvram:
        return None
    return {"driver": "host_device" if o.nvram_block else "file", "filename": o.nvram}


def _pflash(dom: Domain, dirs: HostDirs) -> list[str]:
    """Before -machine: the code flash (pflash0) and the variable store (pflash1) as
    blockdev pairs; -machine pflash0=/pflash1= names them."""
    loader = dom.os.loader
    if loader is None or not loader.path or loader.type != "pflash":
        return []
    argv = ["-blockdev", qjson({"driver": "file", "filename": loader.path,
                                "node-name": "libvirt-pflash0-storage", "auto-read-only": True,
                                "discard": "unmap"}),
            "-blockdev", qjson({"node-name": "libvirt-pflash0-format",
                                "read-only": loader.readonly is True,
                                "driver": loader.format or "raw",
                                "file": "libvirt-pflash0-storage"})]
    store = _nvram_node(dom)
    if store is not None and nvram_auth(dom):
        argv += secret_object(NVRAM_AUTH_SECRET, dom.os.nvram_source.auth_secret, dirs)
    if store is not None:
        argv += ["-blockdev", qjson({**store, "node-name": "libvirt-pflash1-storage",
                                     "auto-read-only": True, "discard": "unmap"}),
                 "-blockdev", qjson({"node-name": "libvirt-pflash1-format", "read-only": False,
                                     "driver": "raw", "file": "libvirt-pflash1-storage"})]
    return argv


def _device_order(dom: Domain) -> dict[str, list]:
    """The devices of each kind, ordered by the kind's argv_key, then document order."""
    by_kind: dict[str, list] = {}
    for _, d in sorted(enumerate(dom.devices), key=lambda p: (kind_of(p[1]).argv_key(p[1]), p[0])):
        by_kind.setdefault(d.kind_tag, []).append(d)
    return by_kind


def device_words(dom: Domain, family: MachineFamily, dirs: HostDirs):
    """(kind, device, words) for every device in argv order, kind by kind in registry
    order; a kind the domain has no device of may still write something in its place
    (emit_absent: the default audio backend), yielded with device None.  Each device's
    words are its own (``domc explain`` attributes them to it)."""
    disk_nodes = sum(node_count(d) for d in dom.devices if isinstance(d, Disk))
    ctx = EmitCtx(dom=dom, machine_family=family, blockdev_index=disk_nodes,
                  backend_index=disk_nodes, dirs=dirs)
    by_kind = _device_order(dom)
    for kind in DEVICE_KINDS:
        if kind.tag not in by_kind:
            if kind.emit_absent is not no_absent_words:  # most kinds write nothing then
                yield kind, None, kind.emit_absent(ctx)
        for d in by_kind.get(kind.tag, ()):
            yield kind, d, kind.emit(d, ctx)


def _devices(dom: Domain, family: MachineFamily, dirs: HostDirs) -> tuple[list[str], list[str]]:
    """The device options: those before -sandbox, and the late ones after it (each
    kind's argv_position)."""
    devices: list[str] = []
    late: list[str] = []
    for kind, _, words in device_words(dom, family, dirs):
        (late if kind.argv_position is ArgvPosition.LATE else devices).extend(words)
    return devices, late

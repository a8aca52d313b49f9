"""Domain XML -> model.Domain.

The document is read by :mod:`compiler.xmldoc` (locked down: no DTD loading, no
entity expansion, no network, no XInclude, bounded size and depth); every failure
is a Diagnostic with the line.
"""

from __future__ import annotations

from .record import evolve, fill

from .devices import NOT_DEVICES, kind_for_element
from .devices.blockdev import read_source
from .devices.controller import number_controllers
from .diagnostics import Diagnostic, DomcError, Severity, Span, fail
from .inputs import display_name, read_input_file
from .model import (BootMenu, Clock, Cpu, CpuFeature, CpuMatch, CpuMode, Domain, FeaturePolicy,
                    Features, FirmwareFeature, FirmwareKind, HypervFeature, LaunchSecurity,
                    Loader, Memory, NumaCell, Os, Timer, Topology, Vcpu, VirtType)
from .placement.hmat import read_caches, read_interconnects
from .placement.tuning import Placement
from .placement.xml import tuning_from_xml
from .qemu_namespace import read_qemu_namespace
from .sysinfo import read_smbios_mode, read_sysinfo, sysinfo_uuid
from .xmldoc import MAX_BYTES, read_document, source_lines
from .xmlread import Reader, Usage

MAX_VCPUS = 4096


def parse_file(path: str) -> tuple[Domain, object]:
    """Read and parse a domain file.  Returns the Domain and the lxml root (kept by
    the caller for `normalize`, which patches the original document)."""
    return parse_bytes(read_input_file(path, MAX_BYTES), display_name(path))


def parse_bytes(data: bytes, file: str = "<input>") -> tuple[Domain, object]:
    root = read_document(data, file)
    usage = Usage()
    dom = domain_from_xml(Reader(root, file, usage, source_lines(data, root)))
    return evolve(dom, ignored=(*dom.ignored, *_unread_outside_devices(usage, root, file))), root


# elements that describe the domain to people and tools, not to the guest
METADATA = ("title", "description", "metadata")
_NOT_CHECKED = frozenset((*METADATA, "devices"))  # here: devices are checked one by one


def _unread_outside_devices(usage: Usage, root, file: str) -> list[Diagnostic]:
    """A warning for every element and attribute outside <devices> that no reader used
    (the devices have their own, per device)."""
    return [Diagnostic("ignored", f"{what} is not used by domc; the compiled guest does not "
                       "have it", span, Severity.WARNING)
            for span, what in usage.unread(root, file, _NOT_CHECKED)]


# --------------------------------------------------------------------------- sections


def domain_from_xml(r: Reader) -> Domain:
    if r.tag != "domain":
        raise r.error("not-a-domain", f"root element is <{r.tag}>, expected <domain>")
    vtype = r.attr("type")
    if vtype is None:
        raise r.error("missing-attribute", "<domain> needs the attribute 'type' (kvm or qemu)")
    try:
        virt = VirtType(vtype)
    except ValueError:
        raise r.error("bad-value", f"domain type {vtype!r} is not supported; expected kvm or "
                      "qemu") from None
    r.attr("id")  # the number libvirt gives a running domain: nothing to compile
    name = r.text("name")
    if name is None:
        raise r.error("missing-name", "<domain> needs a <name>")
    devices_el = r.child("devices")
    devices, ignored = _devices(devices_el) if devices_el is not None else ((), ())
    notes: list[Diagnostic] = []  # warnings from read_sysinfo and _cpu
    emulator = devices_el.text("emulator") if devices_el is not None else None
    sysinfo = read_sysinfo(r, notes)
    qemu = read_qemu_namespace(r, notes)
    dom = Domain(
        type=virt,
        name=name,
        uuid=sysinfo_uuid(_uuid(r), sysinfo),
        genid=_genid(r),
        memory=_memory(r),
        vcpu=_vcpu(r),
        os=_os(r),
        features=_power(r, _features(r)),
        cpu=_cpu(r, notes),
        clock=_clock(r),
        **_lifecycle(r),
        emulator=emulator,
        devices=devices,
        sysinfo=sysinfo,
        ignored=(*notes, *ignored),
        tuning=tuning_from_xml(r),
        qemu=qemu,
        launch_security=_launch_security(r),
        file=r.file,
        span=r.span,
    )
    return dom


def _reboot_timeout(bios: Reader) -> int | None:
    """<bios rebootTimeout=...>: milliseconds, or -1 for no retry (libvirt: -1..65535)."""
    text = bios.attr("rebootTimeout")
    if text is None:
        return None
    try:
        value = int(text.strip(), 10)
    except ValueError:
        value = None
    if value is None or not -1 <= value <= 65535:
        raise bios.error("bad-number", f"rebootTimeout {text!r} must be a number of "
                         "milliseconds from -1 (no retry) to 65535")
    return value


# libvirt's lifecycle actions, and those its QEMU driver carries out (9.0's
# qemuValidateLifecycleAction: no rename-restart anywhere, no preserve on poweroff or
# reboot; the coredump ones are on_crash's alone)
LIFECYCLE_ACTIONS = ("destroy", "restart", "rename-restart", "preserve", "coredump-destroy",
                     "coredump-restart")
LIFECYCLE_QEMU = {"on_poweroff": ("destroy", "restart"), "on_reboot": ("destroy", "restart"),
                  "on_crash": ("destroy", "restart", "preserve", "coredump-destroy",
                               "coredump-restart")}


def _lifecycle(r: Reader) -> dict:
    """<on_poweroff>, <on_reboot>, <on_crash>: what the launcher does when the guest
    powers off, reboots or panics (None: libvirt's default, destroy/restart/destroy)."""
    out, errors = {}, []
    for event, allowed in LIFECYCLE_QEMU.items():
        el = r.child(event)
        value = el.text() if el is not None else None
        out[event] = value
        if value is None or value in allowed:
            continue
        if value not in LIFECYCLE_ACTIONS:
            why = (f"<{event}>{value}</{event}> is not a lifecycle action; expected one of: "
                   f"{', '.join(allowed)}")
        else:
            why = (f"<{event}>{value}</{event}>: QEMU guests take {', '.join(allowed)} here "
                   "(libvirt 9.0's QEMU driver refuses the others)")
        errors.append(Diagnostic("lifecycle", why, el.span))
    if errors:
        raise DomcError(errors)
    return out


def _launch_security(r: Reader) -> LaunchSecurity | None:
    """<launchSecurity type='sev'> as libvirt 9.0 reads it: <policy> in hex, required;
    <cbitpos> and <reducedPhysBits> are the host's (libvirt fills them in from the host's
    SEV capabilities when they are missing, which a compile does not read)."""
    ls = r.child("launchSecurity")
    if ls is None:
        return None
    kind = ls.require("type")
    if kind == "s390-pv":
        raise ls.error("launch-security", "<launchSecurity type='s390-pv'> is s390x's "
                       "protected virtualization; an x86 guest has type='sev'")
    if kind != "sev":
        raise ls.error("launch-security", f"<launchSecurity type='{kind}'> is not one libvirt "
                       "9.0 knows; an x86 guest has type='sev'")
    policy = ls.child("policy")
    text = policy.text() if policy is not None else None
    if text is None:
        raise ls.error("launch-security", "<launchSecurity type='sev'> needs a <policy> (the "
                       "guest policy bits, in hex: <policy>0x0001</policy>)")
    try:
        value = int(text, 16)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise policy.error("bad-value", f"<policy> must be a 32-bit hex number, not {text!r}")
    host = {}
    for tag in ("cbitpos", "reducedPhysBits"):
        n = ls.text_int(tag, hi=63)
        if n is None:
            raise ls.error("launch-security", f"<launchSecurity type='sev'> needs <{tag}>: "
                           "it is the host's (virsh domcapabilities: <sev><{tag}>), which "
                           "libvirt fills in when the XML has none and a compile does not "
                           "read; write the target host's value".replace("{tag}", tag))
        host[tag] = n
    return LaunchSecurity(type=kind, policy=value, cbitpos=host["cbitpos"],
                          reduced_phys_bits=host["reducedPhysBits"], dh_cert=ls.text("dhCert"),
                          session=ls.text("session"),
                          kernel_hashes=ls.attr_bool("kernelHashes"), span=ls.span)


def _genid(r: Reader) -> str | None:
    g = r.child("genid")
    if g is not None and g.text() is None:
        raise g.error("genid-value", "an empty <genid/> asks libvirt to invent a generation ID; "
                      "domc compiles reproducibly, so give the GUID")
    return _uuid(r, "genid")


def _uuid(r: Reader, tag: str = "uuid") -> str | None:
    u = r.text(tag)
    if u is None:
        return None
    hexd = u.replace("-", "").lower()
    if len(hexd) != 32 or any(c not in "0123456789abcdef" for c in hexd):
        raise r.child(tag).error(f"bad-{tag}", f"{tag} {u!r} is not 32 hex digits")
    return f"{hexd[:8]}-{hexd[8:12]}-{hexd[12:16]}-{hexd[16:20]}-{hexd[20:]}"


def _memory(r: Reader) -> Memory:
    m = r.child("memory")
    if m is None:
        raise r.error("missing-memory", "<domain> needs a <memory> size")
    cur = r.child("currentMemory")
    mx = r.child("maxMemory")
    return Memory(
        max_kib=m.memory_kib(),
        current_kib=cur.memory_kib() if cur is not None else None,
        max_memory_kib=mx.memory_kib() if mx is not None else None,
        slots=mx.attr_int("slots", hi=255) if mx is not None else None,
        span=m.span,
    )


def _vcpu(r: Reader) -> Vcpu:
    v = r.child("vcpu")
    if v is None:
        return Vcpu(span=r.span)
    count = v.text_int(lo=1, hi=MAX_VCPUS)
    if count is None:
        raise v.error("bad-number", "<vcpu> needs a count")
    current = v.attr_int("current", lo=1, hi=count)
    enabled, hotplug = _vcpus(r.child("vcpus"), count)
    return Vcpu(count=count, current=current,
                placement=Placement(v.attr_choice("placement", ("static", "auto"), "static")),
                cpuset=v.attr("cpuset"), enabled=enabled, hotplug=hotplug, span=v.span)


def _vcpus(vs: Reader | None, count: int) -> tuple[tuple[int, ...] | None, tuple[int, ...]]:
    """<vcpus>: (the vCPUs online at start, the hotpluggable ones of them in plug
    order), with libvirt 9.0's rules (its qemuDomainDefVcpusPostParse and
    qemuValidateDomainVcpuHotplug): vCPU 0 online and not hotpluggable, every offline
    vCPU hotpluggable (one the element leaves out is both), the online non-hotpluggable
    ones first, an order on all of them or none.  None when the element is absent
    (<vcpu current> says)."""
    if vs is None:
        return None, ()
    seen: dict[int, tuple] = {}
    errors = []
    for c in vs.children("vcpu"):
        n = c.attr_int("id", hi=count - 1)
        if n in seen:
            errors.append(c.error("vcpus", f"vcpu {n} is listed twice"))
            continue
        seen[n] = (c.attr_bool("enabled") is not False, c.attr_bool("hotpluggable") is True,
                   c.attr_int("order", lo=1), c)
    if errors:
        raise DomcError([d for e in errors for d in e.diagnostics])
    for n in range(count):  # libvirt: a vCPU <vcpus> leaves out is offline, hotpluggable
        seen.setdefault(n, (False, True, None, vs))
    ids = sorted(seen)
    if not seen[0][0] or seen[0][1]:
        errors.append(seen[0][3].error("vcpus", "vcpu 0 must be online and not hotpluggable"))
    for n in ids:
        on, hot, _, c = seen[n]
        if not on and not hot:
            errors.append(c.error("vcpus", f"vcpu {n} is both offline and not hotpluggable"))
    fixed = [n for n in ids if seen[n][0] and not seen[n][1]]
    if fixed and fixed != list(range(len(fixed))):
        errors.append(vs.error("vcpus", "the online vCPUs that are not hotpluggable must be "
                               "the first ones (ids 0, 1, ...)"))
    orders = [seen[n][2] for n in ids if seen[n][0]]
    if any(o is not None for o in orders) and any(o is None for o in orders):
        errors.append(vs.error("vcpus", "an order on every online vCPU or on none"))
    if errors:
        raise DomcError([d for e in errors for d in e.diagnostics])
    enabled = tuple(n for n in ids if seen[n][0])
    hotplug = tuple(sorted((n for n in enabled if seen[n][1]),
                           key=lambda n: (seen[n][2] or 0, n)))
    return enabled, hotplug


_FIRMWARE_FEATURES = ("enrolled-keys", "secure-boot")


def _firmware_feature(f: Reader) -> FirmwareFeature:
    f.require("name")
    f.require("enabled")
    return FirmwareFeature(f.attr_choice("name", _FIRMWARE_FEATURES), f.attr_bool("enabled"),
                           span=f.span)


def _os(r: Reader) -> Os:
    o = r.child("os")
    if o is None:
        return Os(span=r.span)
    t = o.child("type")
    if t is not None and t.text() not in (None, "hvm"):
        raise t.error("bad-value", f"OS type {t.text()!r} is not supported; only hvm guests run "
                      "on QEMU x86")
    arch = (t.attr("arch") if t is not None else None) or "x86_64"
    if arch not in ("x86_64", "i686"):
        raise t.error("bad-arch", f"architecture {arch!r} is not supported; domc targets "
                      "x86_64 and i686")
    bm = o.child("bootmenu")
    bios = o.child("bios")
    loader = o.child("loader")
    nvram = o.child("nvram")
    fw = o.child("firmware")
    fw_features = tuple(_firmware_feature(f) for f in fw.children("feature")) if fw else ()
    smbios_mode, smbios_span = read_smbios_mode(o)
    return Os(
        arch=arch,
        machine=t.attr("machine") if t is not None else None,
        boot_devs=tuple(b.attr_choice("dev", ("hd", "cdrom", "fd", "network"), "hd")
                        for b in o.children("boot")),
        boot_menu=BootMenu(bm.attr_bool("enable"), bm.attr_int("timeout", hi=65535))
        if bm is not None else None,
        bios_serial=bios.attr_bool("useserial") if bios is not None else None,
        reboot_timeout=_reboot_timeout(bios) if bios is not None else None,
        loader=Loader(loader.text(), loader.attr_bool("readonly"),
                      loader.attr_choice("type", ("rom", "pflash")), loader.attr_bool("secure"),
                      loader.attr_bool("stateless"), loader.attr_choice("format", ("raw", "qcow2")),
                      span=loader.span) if loader is not None else None,
        nvram=_nvram_path(nvram),
        nvram_template=nvram.attr("template") if nvram is not None else None,
        nvram_network=nvram is not None and nvram.attr("type") == "network",
        nvram_source=read_source(nvram, "network")
        if nvram is not None and nvram.attr("type") == "network" else None,
        nvram_block=nvram is not None and nvram.attr("type") == "block",
        nvram_span=nvram.span if nvram is not None else o.span,
        kernel=o.text("kernel"),
        initrd=o.text("initrd"),
        cmdline=o.text("cmdline"),
        firmware=o.attr_enum("firmware", FirmwareKind),
        firmware_features=fw_features,
        smbios_mode=smbios_mode,
        smbios_span=smbios_span,
        span=o.span,
    )


def _nvram_path(nvram: Reader | None) -> str | None:
    """<nvram>PATH</nvram>, or <nvram type='file|block'><source file|dev=PATH/></nvram>."""
    if nvram is None:
        return None
    ntype = nvram.attr_choice("type", ("file", "block", "network"))
    src = nvram.child("source")
    if ntype in ("file", "block") and src is not None:
        return src.attr("file" if ntype == "file" else "dev")
    return nvram.text()


_ONOFF = ("on", "off")


def _features(r: Reader) -> Features:
    f = r.child("features")
    if f is None:
        return Features()
    hyperv, hv_mode, kvm, other = [], None, [], []
    pvspin = vmport = smm = tseg = pmu = vmcoreinfo = ioapic = None
    for c in f.children():
        if c.tag == "hyperv":
            hv_mode = c.attr("mode")
            for h in c.children():
                on = h.attr("state", "on") == "on"
                value = None
                if h.tag == "spinlocks" and on:
                    value = h.attr_int("retries", 4095, lo=4095)
                elif h.tag == "vendor_id" and on:
                    value = h.attr("value", "")
                elif h.tag == "stimer" and h.child("direct") is not None:
                    if h.child("direct").attr("state") == "on":
                        hyperv.append(HypervFeature(h.tag, on))
                        hyperv.append(HypervFeature("stimer-direct", True))
                        continue
                hyperv.append(HypervFeature(h.tag, on, value))
        elif c.tag == "kvm":
            kvm.extend((k.tag, k.attr("state", "on")) for k in c.children())
        elif c.tag == "pvspinlock":
            pvspin = c.attr("state", "on") == "on"
        elif c.tag == "vmport":
            vmport = c.attr("state", "on") == "on"
        elif c.tag == "smm":
            smm = c.attr("state", "on") == "on"
            t = c.child("tseg")
            if t is not None:
                tseg = t.memory_kib(default_unit="MiB")
        elif c.tag == "pmu":
            pmu = c.attr("state", "on") == "on"
        elif c.tag == "vmcoreinfo":
            vmcoreinfo = c.attr("state", "on") == "on"
        elif c.tag == "ioapic":
            ioapic = c.attr_choice("driver", ("kvm", "qemu"))
        elif c.tag not in ("acpi", "apic", "pae"):
            other.append(c.tag)
    apic = f.child("apic")
    return Features(acpi=f.has("acpi"), apic=apic is not None, pae=f.has("pae"),
                    apic_eoi=apic.attr_bool("eoi") if apic is not None else None,
                    hyperv=tuple(hyperv), hyperv_mode=hv_mode, kvm=tuple(kvm), pvspinlock=pvspin,
                    vmport=vmport, smm=smm, tseg_kib=tseg, pmu=pmu, vmcoreinfo=vmcoreinfo,
                    ioapic_driver=ioapic, other=tuple(other), span=f.span)


def _power(r: Reader, features: Features) -> Features:
    """<pm><suspend-to-mem enabled=.../><suspend-to-disk enabled=.../></pm>."""
    pm = r.child("pm")
    if pm is None:
        return features
    states = {}
    for tag in ("suspend-to-mem", "suspend-to-disk"):
        s = pm.child(tag)
        states[tag] = None if s is None else s.attr_bool("enabled")
    return evolve(features, suspend_to_mem=states["suspend-to-mem"],
                  suspend_to_disk=states["suspend-to-disk"])


def _cpu(r: Reader, notes: list[Diagnostic]) -> Cpu | None:
    """<cpu>; warnings about parts of it go to ``notes``."""
    c = r.child("cpu")
    if c is None:
        return None
    mode = c.attr_enum("mode", CpuMode, CpuMode.CUSTOM)
    model = c.child("model")
    topo = c.child("topology")
    numa = c.child("numa")
    return Cpu(
        mode=mode,
        match=c.attr_enum("match", CpuMatch),
        check=c.attr("check"),
        migratable=c.attr_bool("migratable"),
        model=model.text() if model is not None else None,
        fallback=model.attr("fallback") if model is not None else None,
        vendor=c.text("vendor"),
        topology=Topology(
            sockets=topo.attr_int("sockets", 1, lo=1, hi=MAX_VCPUS),
            dies=topo.attr_int("dies", 1, lo=1, hi=MAX_VCPUS),
            cores=topo.attr_int("cores", 1, lo=1, hi=MAX_VCPUS),
            threads=topo.attr_int("threads", 1, lo=1, hi=MAX_VCPUS),
            span=topo.span) if topo is not None else None,
        features=tuple(CpuFeature(f.require("name"),
                                  f.attr_enum("policy", FeaturePolicy, FeaturePolicy.REQUIRE),
                                  span=f.span) for f in c.children("feature")),
        numa=tuple(NumaCell(id=cell.attr_int("id", n, hi=255), cpus=cell.attr("cpus") or "",
                            memory_kib=_cell_kib(cell),
                            memaccess=cell.attr_choice("memAccess", ("shared", "private")),
                            discard=cell.attr_bool("discard"), caches=read_caches(cell, notes),
                            distances=_distances(cell), span=cell.span)
                   for n, cell in enumerate(numa.children("cell"))) if numa is not None else (),
        interconnects=read_interconnects(numa, notes) if numa is not None else (),
        span=c.span,
    )


def _distances(cell: Reader) -> tuple[tuple[int, int, Span], ...]:
    d = cell.child("distances")
    if d is None:
        return ()
    out = []
    for s in d.children("sibling"):
        s.require("id")
        s.require("value")
        out.append((s.attr_int("id", hi=255), s.attr_int("value", hi=255), s.span))
    return tuple(out)


def _cell_kib(cell: Reader) -> int:
    size = cell.attr("memory")
    if size is None:
        raise cell.error("missing-attribute", "<cell> needs the attribute 'memory'")
    fake = _AttrAsText(cell, size, cell.attr("unit", "KiB"))
    return fake.memory_kib()


class _AttrAsText(Reader):
    """A Reader whose text is an attribute value (for sizes written as attributes)."""

    __slots__ = ("_text", "_unit")

    def __init__(self, base: Reader, text: str, unit: str):
        super().__init__(base.el, base.file, base.usage, base.lines)
        self._text, self._unit = text, unit

    def text(self, tag=None):
        return self._text

    def attr(self, name, default=None):
        return self._unit if name == "unit" else super().attr(name, default)


def _clock(r: Reader) -> Clock:
    c = r.child("clock")
    if c is None:
        return Clock()
    return Clock(
        offset=c.attr_choice("offset", ("utc", "localtime", "timezone", "variable", "absolute"),
                             "utc"),
        adjustment=c.attr("adjustment"),
        basis=c.attr("basis"),
        timers=tuple(Timer(t.require("name"), t.attr_bool("present"), t.attr("tickpolicy"),
                           t.attr("track")) for t in c.children("timer")),
        span=c.span,
    )


def _devices(d: Reader) -> tuple[tuple, tuple]:
    """The devices, and a warning for every element or attribute of theirs that no
    device reader used (so nothing is dropped without a word)."""
    out = []
    errors = []
    ignored = []
    for origin, c in enumerate(d.children()):
        if c.tag in NOT_DEVICES:
            continue
        kind = kind_for_element(c.tag, c.el.get("model"))
        if kind is None:
            errors.append(fail("unsupported-device", f"device <{c.tag}> is not supported by domc "
                               "yet; refusing to compile rather than leave it out", c.span))
            continue
        usage = Usage()
        try:
            dev = kind.from_xml(Reader(c.el, c.file, usage, c.lines))
        except DomcError as exc:
            errors.append(exc)
            continue
        out.append(_place(dev, origin, c.span))
        for span, what in usage.unread(c.el, c.file):
            if what.startswith("element <alias>") or what.startswith("attribute 'name' of <alias>"):
                continue
            ignored.append(Diagnostic("ignored", f"{what} of <{c.tag}> is not used by domc; "
                                      "the compiled guest does not have it", span,
                                      Severity.WARNING))
    if errors:
        raise DomcError([diag for e in errors for diag in e.diagnostics])
    return tuple(number_controllers(out)), tuple(ignored)


def _place(dev, origin: int, span: Span):
    # the kind's reader just made the device: set its place in it, no copy needed
    return fill(dev, origin=origin, span=span)

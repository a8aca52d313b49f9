"""Where the options that are not a device's come from: the machine, CPU, memory,
SMP, NUMA, identity, clock, boot and the constant options libvirt writes for every
guest.  One function per option (``RULES``); each returns the option's source and
one source per property of its value."""

from __future__ import annotations

import json

from ..cpu.features import table
from ..cpu.models import catalogue
from ..devices import kind_of
from ..model import CpuMode, FeaturePolicy
from ..sysinfo import smbios_source
from ..tables.hypervisor import HYPERV_PROPS, KVM_PROPS
from .model import Origin, Prop, Source

FIXED = "emit_argv"


def split_opts(value: str) -> list[str]:
    """A QemuOpts value split at its commas (``,,`` is an escaped comma)."""
    parts, cur, i = [], "", 0
    while i < len(value):
        if value[i] == ",":
            if value[i + 1:i + 2] == ",":
                cur += ",,"
                i += 2
                continue
            parts.append(cur)
            cur = ""
        else:
            cur += value[i]
        i += 1
    parts.append(cur)
    return parts


def json_props(value: str, each) -> tuple[Prop, ...]:
    """One Prop per key of a JSON option value; ``each(key, value)`` -> Source."""
    return tuple(Prop(k, f'"{k}":' + json.dumps(v, separators=(",", ":"), ensure_ascii=False),
                      each(k, v)) for k, v in json.loads(value).items())


def fixed(reason: str) -> Source:
    return Source(Origin.FIXED, reason, rule=FIXED)


class Rules:
    """The option rules over one explain context (``c``: explain.core.Context)."""

    def __init__(self, c):
        self.c = c
        self.loc = c.loc

    # ------------------------------------------------------------ helpers
    def el(self, *xpaths):
        for x in xpaths:
            e = self.loc.find(x)
            if e is not None:
                return e
        return None

    def xml(self, xpath: str, reason: str, attr: str | None = None, fallback=None) -> Source:
        """Read from the element ``xpath`` selects; when the XML has none, ``fallback``
        (a Source) or a rule of the domain as a whole."""
        e = self.el(xpath)
        if e is None:
            return fallback if fallback is not None else self.loc.rule(FIXED, reason)
        if attr is not None and e.get(attr) is None:
            rule = "select_firmware" if self.c.dom.os.firmware_file and \
                xpath.startswith("os/") else FIXED
            return self.loc.rule(rule, f"{reason}: not written, so the default"
                                 + (" of the chosen firmware" if rule != FIXED else ""), e)
        return self.loc.xml(e, reason, attr)

    def qemuopts(self, value: str, each) -> tuple[Prop, ...]:
        """One Prop per part of a QemuOpts value; ``each(key, val, part)`` -> Source."""
        out = []
        for part in split_opts(value):
            key, eq, val = part.partition("=")
            if not eq:
                key, val = "", part
            out.append(Prop(key, part, each(key, val, part)))
        return tuple(out)

    def jsonprops(self, value: str, each) -> tuple[Prop, ...]:
        return json_props(value, each)

    # ------------------------------------------------------------ the emulator
    def emulator(self, value):
        e = self.el("devices/emulator")
        if e is not None:
            return self.loc.xml(e, "the QEMU binary <emulator> names"), ()
        return self.loc.rule(FIXED, "no <emulator>: the default QEMU binary"), ()

    # ------------------------------------------------------------ -name
    def name(self, value):
        def each(k, v, part):
            if k == "guest":
                return self.xml("name", "the domain's <name>")
            return fixed("libvirt names QEMU's threads (CPU 0/KVM ...) so that tools can "
                         "find and pin them")
        return self.xml("name", "the domain's <name>"), self.qemuopts(value, each)

    # ------------------------------------------------------------ -machine
    def machine(self, value):
        c, dom, parsed = self.c, self.c.dom, self.c.parsed
        type_el = self.el("os/type")

        def each(k, v, part):
            if k == "":
                if parsed.os.machine is None or type_el is None:
                    return self.loc.rule("canonicalize_machine", f"no machine= on <os><type>: "
                                         f"the profile's default machine type {v}", type_el)
                if parsed.os.machine != v:
                    return self.loc.xml(type_el, f"machine='{parsed.os.machine}' is an alias the "
                                        f"QEMU profile resolves to {v} (canonicalize_machine)",
                                        "machine", "canonicalize_machine")
                return self.loc.xml(type_el, "the machine type as written", "machine")
            if k == "usb":
                return fixed("the machine's own USB is off: USB controllers are -device options")
            if k == "dump-guest-core":
                return fixed("guest memory stays out of QEMU's core dumps (libvirt's default)")
            if k == "vmport":
                return self.xml("features/vmport", "<vmport state=...>", "state")
            if k == "smm":
                if parsed.features.smm is None:
                    return self.loc.rule("select_firmware", "the firmware chosen for <os "
                                         "firmware=...> needs SMM, so SMM is on",
                                         self.el("os"))
                return self.xml("features/smm", "<smm state=...>", "state")
            if k == "kernel_irqchip":
                return self.xml("features/ioapic", "<ioapic driver=...>: where the IOAPIC is "
                                "emulated", "driver")
            if k == "memory-backend":
                return self.loc.rule(FIXED, "no guest NUMA: all guest RAM is one memory backend "
                                     "object, pc.ram (the -object after -m)", self.el("memory"))
            if k == "pflash0":
                return self._loader("the code flash is the block node libvirt-pflash0-format")
            if k == "pflash1":
                return self._nvram("the variable store is the block node libvirt-pflash1-format")
            if k == "hmat":
                return self.xml("cpu/numa", "the guest NUMA cells have caches or <interconnects>: "
                                "the guest gets an ACPI HMAT")
            for d in dom.devices:
                if part in kind_of(d).machine_opts(d):
                    return c.device_source(d, f"the {d.describe()} needs {part} on the machine")
            return c.unknown(part)

        src = self.loc.xml(type_el, "<os><type>: the machine") if type_el is not None else \
            self.loc.rule("canonicalize_machine", "no <os><type>: the profile's default machine")
        return src, self.qemuopts(value, each)

    def _loader(self, reason: str) -> Source:
        if self.c.parsed.os.loader is None and self.c.dom.os.firmware_file:
            return self.loc.rule("select_firmware", f"{reason}; the firmware "
                                 f"{self.c.dom.os.firmware_file} was chosen for <os firmware=...>",
                                 self.el("os"))
        return self.xml("os/loader", reason)

    def _nvram(self, reason: str) -> Source:
        e = self.el("os/nvram")
        if e is not None:
            return self.loc.xml(e, reason)
        return self.loc.rule("select_firmware", f"{reason}; with no <nvram>, libvirt keeps it "
                             f"at {self.c.dom.os.nvram} (copied from the firmware's template)",
                             self.el("os/loader", "os"))

    # ------------------------------------------------------------ -blockdev (firmware)
    def blockdev(self, value):
        obj = json.loads(value)
        node = obj.get("node-name", "") or obj.get("file", "")
        store = "pflash1" in node
        src = self._nvram("the UEFI variable store") if store else self._loader("the firmware code")

        def each(k, v):
            if k == "filename":
                return src
            if k in ("node-name", "file"):
                return fixed("libvirt's block node names for the firmware flash: "
                             "libvirt-pflash0 (code), libvirt-pflash1 (variables)")
            if k == "read-only" and not store:
                return self.xml("os/loader", "<loader readonly=...>", "readonly", fallback=src)
            if k == "driver" and "storage" not in node:
                return self.xml("os/loader", "<loader format=...> (raw unless given)", "format",
                                fallback=src) if not store else src
            return Source(src.origin, f"{src.reason} ({k}: libvirt's setting for a flash image)",
                          src.line, src.path, src.attr, src.rule)

        return src, self.jsonprops(value, each)

    # ------------------------------------------------------------ -accel
    def accel(self, value):
        return self.loc.xml(self.loc.root, f"<domain type='{self.c.dom.type.value}'>: "
                            f"{'KVM' if value == 'kvm' else 'TCG, QEMU emulates the CPU'}",
                            "type"), ()

    # ------------------------------------------------------------ -global
    def global_(self, value):
        if value.startswith("driver=cfi.pflash01"):
            src = self.xml("os/loader", "<loader secure='yes'>: the code flash is writable "
                           "only from SMM (secure boot)", "secure",
                           fallback=self._loader("secure boot firmware"))
            return src, self.qemuopts(value, lambda k, v, p: src)
        key = value.split("=", 1)[0]
        prop = key.split(".", 1)[-1]
        if key == "mch.extended-tseg-mbytes":
            src = self.xml("features/smm/tseg", "<smm><tseg>: the SMM memory (TSEG) size")
        elif prop in ("disable_s3", "disable_s4"):
            which = "suspend-to-mem" if prop == "disable_s3" else "suspend-to-disk"
            src = self.xml(f"pm/{which}", f"<pm><{which} enabled=...>: hides (1) or offers (0) "
                           f"S{prop[-1]} to the guest", "enabled")
        elif key == "kvm-pit.lost_tick_policy":
            src = self.xml("clock/timer[@name='pit']", "<timer name='pit' tickpolicy=...>",
                           "tickpolicy")
        else:
            return self.c.unknown(value), ()
        return src, (Prop(key, value, src),)

    # ------------------------------------------------------------ -cpu
    def cpu(self, value):
        c, dom, parsed = self.c, self.c.dom, self.c.parsed
        cpu_el = self.el("cpu")
        tab = table()
        resolved = dom.cpu

        def head(v):
            p = parsed.cpu
            if p is None:
                return self.loc.rule("resolve_cpu", f"no <cpu>: the machine's default CPU type "
                                     f"{v} (QEMU profile)")
            if p.mode is CpuMode.HOST_MODEL:
                return self.loc.xml(cpu_el, f"host-model: the named model closest to the host "
                                    f"CPU ({self._host()}) is {v}", "mode", "resolve_cpu")
            if p.mode in (CpuMode.HOST_PASSTHROUGH, CpuMode.MAXIMUM):
                return self.loc.xml(cpu_el, f"<cpu mode='{p.mode.value}'>: QEMU's '{v}' CPU",
                                    "mode")
            m = self.el("cpu/model")
            if m is not None and p.model:
                return self.loc.xml(m, "the CPU model as written")
            return self.loc.rule("resolve_cpu", f"<cpu> names no model: the machine's default "
                                 f"CPU type {v}", cpu_el)

        def flag(part):
            on, name = part[0] == "+", part[1:]
            canon = tab.canonical(name) or name
            for f in parsed.cpu.features if parsed.cpu else ():
                if (tab.canonical(f.name) or f.name) == canon:
                    el = self.loc.at_line(f.span.line)
                    if el is not None and el.tag == "feature":
                        return self.loc.xml(el, f"<feature policy='{f.policy.value}'>: "
                                            f"{'on' if on else 'off'}"
                                            + (" (the host CPU decides)"
                                               if f.policy is FeaturePolicy.OPTIONAL else ""),
                                            "name", "resolve_cpu")
            mode = parsed.cpu.mode if parsed.cpu else None
            model = resolved.model if resolved else None
            if mode is CpuMode.HOST_MODEL:
                why = (f"host-model: a feature of the host CPU ({self._host()}) beyond {model}"
                       if on else f"host-model: QEMU's {model} has it, the host CPU "
                       f"({self._host()}) does not")
                return self.loc.rule("resolve_cpu", why, cpu_el)
            m = catalogue(c.env.profile).get(model) if model else None
            if not on and m is not None and canon in m.removed:
                return self.loc.rule("resolve_cpu", f"libvirt's {model} does not have {name}, "
                                     "QEMU's does: it is switched off so the guest sees "
                                     "libvirt's model", self.el("cpu/model", "cpu"))
            if on and parsed.cpu is not None and parsed.cpu.match is not None:
                return self.loc.rule("resolve_cpu", f"match='{parsed.cpu.match.value}': a "
                                     f"feature of the host CPU ({self._host()})", cpu_el)
            return c.unknown(part)

        def extra(k, v, part):
            if k == "kvmclock":
                return self.xml("clock/timer[@name='kvmclock']", "<timer name='kvmclock' "
                                "present=...>", "present")
            if k == "hv-time":
                return self.xml("clock/timer[@name='hypervclock']", "<timer "
                                "name='hypervclock' present='yes'>", "present")
            if k == "kvm-pv-eoi":
                return self.xml("features/apic", "<apic eoi=...>", "eoi")
            if k == "kvm-pv-unhalt":
                return self.xml("features/pvspinlock", "<pvspinlock state=...>", "state")
            if k == "hv-passthrough":
                return self.xml("features/hyperv", "<hyperv mode='passthrough'>", "mode")
            if k == "pmu":
                return self.xml("features/pmu", "<pmu state=...>", "state")
            hv = {p: n for n, p in HYPERV_PROPS.items()}.get(k)
            if hv is not None:
                return self.xml("features/hyperv/" + hv.replace("-", "/"),
                                f"<hyperv><{hv}>: the Hyper-V enlightenment {k}",
                                fallback=self.xml("features/hyperv/" + hv.split("-")[0],
                                                  f"<hyperv><{hv}>"))
            kv = {p: n for n, p in KVM_PROPS.items()}.get(k)
            if kv is not None:
                return self.xml(f"features/kvm/{kv}", f"<kvm><{kv} state=...>"
                                + (": hidden=on is kvm=off" if kv == "hidden" else ""), "state")
            for d in dom.devices:
                if part in kind_of(d).cpu_props(d):
                    return c.device_source(d, f"the {d.describe()} needs the CPU property {part}")
            return c.unknown(part)

        props = []
        for i, part in enumerate(value.split(",")):
            if i == 0:
                src = head(part)
            elif part[:1] in "+-":
                src = flag(part)
            else:
                k = part.split("=", 1)[0]
                src = extra(k, part.split("=", 1)[-1], part)
            props.append(Prop(part.lstrip("+-").split("=")[0] if i else "", part, src))
        if cpu_el is not None:
            src = self.loc.xml(cpu_el, "the guest CPU, resolved by resolve_cpu")
        else:
            src = self.loc.rule("resolve_cpu", "no <cpu>: the machine's default CPU type")
        return src, tuple(props)

    def _host(self) -> str:
        f = self.c.env.host_cpu_file
        return f"--host {f}" if f else "this machine's CPU"

    # ------------------------------------------------------------ firmware
    def bios(self, value):
        return self._loader("<loader type='rom'>: the BIOS image"), ()

    def kernel(self, value, tag="kernel"):
        return self.xml(f"os/{tag}", f"<os><{tag}>"), ()

    # ------------------------------------------------------------ memory
    def memory(self, value):
        dom = self.c.dom
        mem = self.el("memory")
        if dom.cpu and dom.cpu.numa:
            src = self.xml("cpu/numa", "with guest NUMA, -m is the sum of the cells' memory, "
                           "each rounded up to whole MiB")
        else:
            src = self.loc.xml(mem, "<memory>, rounded up to whole MiB")

        def each(k, v, part):
            if k in ("", "size"):
                return src
            return self.xml("maxMemory", f"<maxMemory slots=...>: memory hotplug ({k})",
                            "slots" if k == "slots" else None)
        return src, self.qemuopts(value, each)

    def mem_prealloc(self, value):
        return self.xml("memoryBacking/allocation", "<allocation mode='immediate'>: all guest "
                        "memory is allocated at start", "mode"), ()

    def overcommit(self, value):
        if self.c.dom.tuning.backing.locked:
            src = self.xml("memoryBacking/locked", "<memoryBacking><locked/>: guest memory is "
                           "never swapped")
        else:
            src = fixed("guest memory may be swapped (no <memoryBacking><locked/>)")
        return src, self.qemuopts(value, lambda k, v, p: src)

    def object(self, value):
        obj = json.loads(value)
        qom, oid = obj.get("qom-type", ""), obj.get("id", "")
        if qom == "iothread":
            n = oid.removeprefix("iothread")
            src = self.xml(f"iothreadids/iothread[@id='{n}']", f"<iothread id='{n}'>",
                           fallback=self.xml("iothreads", f"<iothreads>: iothread {n} of the "
                                             "count (ids 1..N)"))
            return src, self.jsonprops(value, lambda k, v: self._pool(k, src))
        if qom == "main-loop":
            src = self.xml("defaultiothread", "<defaultiothread>: the main loop's thread pool")
            return src, self.jsonprops(value, lambda k, v: src)
        if qom.startswith("memory-backend"):
            return self._backend(value, obj)
        if qom == "thread-context":
            n = oid.removeprefix("tc-ram-node")
            src = self.xml(f"numatune/memnode[@cellid='{n}']", "<memnode>: the threads that "
                           "preallocate this cell's memory run on its host nodes",
                           fallback=self.xml("numatune/memory", "<numatune><memory>: the "
                                             "threads that preallocate guest memory run on its "
                                             "host nodes"))
            return src, self.jsonprops(value, lambda k, v: src)
        return self.c.unknown(value), ()

    def _pool(self, k: str, src: Source) -> Source:
        if k in ("thread-pool-min", "thread-pool-max"):
            return Source(src.origin, f"{src.reason}: thread_pool_min/max", src.line, src.path,
                          None, src.rule)
        return src

    def _backend(self, value, obj):
        oid = obj.get("id", "")
        if oid.startswith("ram-node"):
            n = oid.removeprefix("ram-node")
            cell = self.el(f"cpu/numa/cell[@id='{n}']")
            src = self.loc.xml(cell, f"guest NUMA cell {n}: its memory backend") \
                if cell is not None else self.c.unknown(oid)
        else:
            src = self.loc.xml(self.el("memory"), "all guest RAM (<memory>) in one backend")

        def each(k, v):
            if k in ("id", "qom-type"):
                why = {"id": "libvirt's backend id (pc.ram, or ram-nodeN per guest cell)",
                       "qom-type": "the backend type: RAM, or a file / memfd per "
                       "<memoryBacking><source>/<hugepages>"}[k]
                return self.loc.rule(FIXED, f"{v}: {why}", self.loc.find(src.path) if src.path
                                     and src.path != "/domain" else None) \
                    if k == "id" else self._backing("source", why, src)
            if k == "size":
                return src
            if k in ("prealloc", "prealloc-threads"):
                return self._backing("allocation", "<allocation mode='immediate'>", src)
            if k in ("mem-path", "page-size", "hugetlb", "hugetlbsize"):
                return self._backing("hugepages", "<hugepages>: huge page backing", src)
            if k == "share":
                cell = src.path and self.loc.find(src.path)
                if cell is not None and cell.get("memAccess"):
                    return self.loc.xml(cell, "<cell memAccess=...>", "memAccess")
                return self._backing("access", "<access mode=...>", src)
            if k in ("host-nodes", "policy"):
                n = oid.removeprefix("ram-node")
                return self.xml(f"numatune/memnode[@cellid='{n}']", "<memnode>: this cell's "
                                "host nodes", fallback=self.xml("numatune/memory",
                                                                "<numatune><memory>: host nodes"))
            if k == "discard-data":
                return self._backing("discard", "<discard/>", src)
            if k == "dump":
                return fixed("libvirt's default dump setting for guest memory")
            if k == "merge":
                return self._backing("nosharepages", "<nosharepages/>: no KSM merging", src)
            if k in ("x-use-canonical-path-for-ramblock-id",):
                return fixed("keeps the RAM block id stable for migration (libvirt)")
            if k in ("reserve",):
                return self._backing("source", "<source type='memfd'> without reserve", src)
            return self._backing("", f"{k}: from <memoryBacking>", src)

        return src, self.jsonprops(value, each)

    def _backing(self, child: str, reason: str, fallback: Source) -> Source:
        e = self.el(f"memoryBacking/{child}" if child else "memoryBacking")
        if e is None:
            return Source(fallback.origin, f"{fallback.reason} ({reason.split(':')[0]})",
                          fallback.line, fallback.path, fallback.attr, fallback.rule)
        return self.loc.xml(e, reason)

    # ------------------------------------------------------------ -smp
    def smp(self, value):
        dom = self.c.dom
        vcpu = self.el("vcpu")
        topo = self.el("cpu/topology")

        def each(k, v, part):
            if k == "":
                if dom.vcpu.current is not None and vcpu is not None:
                    return self.loc.xml(vcpu, "<vcpu current=...>: the vCPUs online at start",
                                        "current")
                return self.xml("vcpu", "<vcpu>: the number of vCPUs")
            if k == "maxcpus":
                return self.xml("vcpu", "<vcpu>: the most vCPUs (hotplug up to this)")
            if topo is not None:
                return self.loc.xml(topo, f"<topology {k}=...>", k)
            if k == "sockets":
                return self.loc.rule(FIXED, "no <topology>: one socket per vCPU (libvirt)", vcpu)
            return self.loc.rule(FIXED, f"no <topology>: {k}=1", vcpu)
        return (self.xml("vcpu", "<vcpu>") if vcpu is not None else
                self.loc.rule(FIXED, "no <vcpu>: one vCPU")), self.qemuopts(value, each)

    # ------------------------------------------------------------ -numa
    def numa(self, value):
        kind = value.split(",", 1)[0]
        parts = dict(p.split("=", 1) for p in split_opts(value)[1:] if "=" in p)
        if kind == "node":
            cell = self.el(f"cpu/numa/cell[@id='{parts.get('nodeid')}']")
            src = self.loc.xml(cell, "a guest NUMA cell") if cell is not None \
                else self.c.unknown(value)

            def each(k, v, part):
                attr = {"cpus": "cpus", "mem": "memory", "nodeid": "id"}.get(k)
                if k == "memdev":
                    return self.loc.rule(FIXED, "the cell's memory backend (-object ram-nodeN)",
                                         cell)
                if k == "initiator":
                    return self.xml("cpu/numa/interconnects", "HMAT: the cell whose CPUs "
                                    "access this memory (placement/hmat.py)", fallback=src)
                return self.loc.xml(cell, f"<cell {attr}=...>", attr) if attr and cell is not \
                    None else src
            return src, self.qemuopts(value, each)
        if kind == "dist":
            src_id = parts.get("src")
            el = self.el(f"cpu/numa/cell[@id='{src_id}']/distances/sibling"
                         f"[@id='{parts.get('dst')}']")
            if el is not None:
                src = self.loc.xml(el, "<sibling value=...>: the distance", "value")
            else:
                src = self.loc.rule(FIXED, "a distance no cell gives: the mirror of its "
                                    "sibling's, else 10 to itself and 20 to the others",
                                    self.el("cpu/numa"))
            return src, self.qemuopts(value, lambda k, v, p: src)
        if kind == "hmat-lb":
            src = self._link(parts)
            return src, self.qemuopts(value, lambda k, v, p: src)
        if kind == "hmat-cache":
            node = parts.get("node-id")
            caches = [c for c in self.loc.root.xpath(f"cpu/numa/cell[@id='{node}']/cache")]
            level = parts.get("level")
            el = next((c for c in caches if c.get("level") == level), None)
            src = self.loc.xml(el, "<cache>: a memory side cache of the cell") if el is not None \
                else self.c.unknown(value)
            return src, self.qemuopts(value, lambda k, v, p: src)
        return self.c.unknown(value), ()

    def _link(self, parts) -> Source:
        kind = "latency" if "latency" in parts else "bandwidth"
        for el in self.loc.root.xpath(f"cpu/numa/interconnects/{kind}"):
            if el.get("initiator") == parts.get("initiator") and \
                    el.get("target") == parts.get("target"):
                return self.loc.xml(el, f"<{kind}>: an HMAT {kind} between two cells")
        return self.c.unknown(",".join(f"{k}={v}" for k, v in parts.items()))

    # ------------------------------------------------------------ identity
    def uuid(self, value):
        e = self.el("uuid")
        parsed = self.c.parsed
        if e is not None and parsed.uuid == value:
            return self.loc.xml(e, "<uuid>"), ()
        s = self.el("sysinfo/system/entry[@name='uuid']")
        if s is not None:
            return self.loc.xml(s, "<sysinfo><system><entry name='uuid'>"), ()
        return self.c.unknown(value), ()

    def smbios(self, value):
        parts = split_opts(value)
        number = parts[0].split("=", 1)[1]
        source = smbios_source(self.c.dom)
        tag = {"0": "bios", "1": "system", "2": "baseBoard", "3": "chassis",
               "11": "oemStrings"}.get(number)
        nth = self.c.count("smbios", number)
        struct = self.loc.root.xpath(f"sysinfo[@type='smbios']/{tag}") if tag else []
        struct_el = struct[nth] if nth < len(struct) else (struct[0] if struct else None)
        if struct_el is None:
            return self.c.unknown(value), ()
        top = self.loc.xml(struct_el, f"<sysinfo><{tag}>: SMBIOS type {number}")
        del source
        oem = 0

        def each(k, v, part):
            nonlocal oem
            if k == "type":
                return top
            if number == "11":
                entries = struct_el.findall("entry")
                oem += 1
                return self.loc.xml(entries[oem - 1], "an OEM string") if oem <= len(entries) \
                    else top
            e = struct_el.find(f"entry[@name='{k}']")
            if e is not None:
                return self.loc.xml(e, f"<entry name='{k}'>")
            if k == "manufacturer":
                return Source(Origin.RULE, "libvirt always writes the manufacturer of SMBIOS "
                              "types 2 and 3 (empty when not given)", top.line, top.path,
                              rule=FIXED)
            return self.c.unknown(part)
        return top, self.qemuopts(value, each)

    def fw_cfg(self, value):
        name = split_opts(value)[0].split("=", 1)[1].replace(",,", ",")
        for s in self.c.dom.sysinfo:
            for e in s.fw_cfg:
                if e.name == name:
                    el = self.loc.at_line(e.span.line)
                    src = self.loc.xml(el, "<sysinfo type='fwcfg'><entry>: a fw_cfg file the "
                                       "guest firmware reads")
                    return src, self.qemuopts(value, lambda k, v, p: src)
        return self.c.unknown(value), ()

    def device(self, value):
        obj = json.loads(value)
        drv = obj.get("driver")
        if drv == "vmgenid":
            src = self.xml("genid", "<genid>: the VM generation ID")
        elif drv == "vmcoreinfo":
            src = self.xml("features/vmcoreinfo", "<vmcoreinfo state='on'>")
        else:
            return self.c.unknown(value), ()

        def each(k, v):
            if k == "id":
                return fixed(f"{v}: libvirt's id for the {drv} device")
            return src
        return src, self.jsonprops(value, each)

    # ------------------------------------------------------------ display, clock, power, boot
    def display(self, value):
        if value == "none":
            return self.loc.rule(FIXED, "no <graphics>: no display window",
                                 self.el("devices")), ()
        return self.xml(f"devices/graphics[@type='{value}']", f"<graphics type='{value}'>",
                        "type"), ()

    def rtc(self, value):
        def each(k, v, part):
            if k == "base":
                clock = self.el("clock")
                if clock is None:
                    return self.loc.rule(FIXED, "no <clock>: the guest's clock is UTC")
                return self.loc.xml(clock, f"<clock offset='{clock.get('offset', 'utc')}'>",
                                    "offset")
            if k == "driftfix":
                return self.xml("clock/timer[@name='rtc']", "<timer name='rtc' "
                                "tickpolicy='catchup'>: the RTC catches up missed ticks",
                                "tickpolicy")
            if k == "clock":
                return self.xml("clock/timer[@name='rtc']", "<timer name='rtc' track=...>",
                                "track")
            return self.c.unknown(part)
        props = self.qemuopts(value, each)
        return props[0].source, props

    def no_hpet(self, value):
        return self.xml("clock/timer[@name='hpet']", "<timer name='hpet' present='no'>: no "
                        "HPET in the guest", "present"), ()

    def no_acpi(self, value):
        e = self.el("features")
        return self.loc.rule(FIXED, "<features> has no <acpi/>: the guest runs without ACPI",
                             e), ()

    def boot(self, value):
        def each(k, v, part):
            if k == "menu":
                return self.xml("os/bootmenu", "<bootmenu enable=...>", "enable")
            if k == "splash-time":
                return self.xml("os/bootmenu", "<bootmenu timeout=...>", "timeout")
            if k == "strict":
                return fixed("boot only from the devices that have a boot index (libvirt)")
            return self.c.unknown(part)
        props = self.qemuopts(value, each)
        menu = self.el("os/bootmenu")
        return (self.loc.xml(menu, "<bootmenu>") if menu is not None else
                fixed("the firmware's boot options")), props

    # ------------------------------------------------------------ constants
    def constant(self, reason):
        def rule(value):
            src = fixed(reason)
            return src, (self.qemuopts(value, lambda k, v, p: src) if value else ())
        return rule


def rules(c) -> dict:
    r = Rules(c)
    return {
        "": r.emulator, "-name": r.name, "-machine": r.machine, "-blockdev": r.blockdev,
        "-accel": r.accel,
        "-global": r.global_, "-cpu": r.cpu, "-bios": r.bios,
        "-kernel": r.kernel, "-initrd": lambda v: r.kernel(v, "initrd"),
        "-append": lambda v: r.kernel(v, "cmdline"),
        "-m": r.memory, "-mem-prealloc": r.mem_prealloc, "-overcommit": r.overcommit,
        "-object": r.object, "-smp": r.smp, "-numa": r.numa, "-uuid": r.uuid,
        "-smbios": r.smbios, "-fw_cfg": r.fw_cfg, "-device": r.device,
        "-display": r.display, "-rtc": r.rtc, "-no-hpet": r.no_hpet, "-no-acpi": r.no_acpi,
        "-boot": r.boot,
        "-no-user-config": r.constant("QEMU reads no configuration files of its own: the "
                                      "command line is the whole configuration"),
        "-nodefaults": r.constant("QEMU adds no default devices: every device is on the "
                                  "command line"),
        "-no-shutdown": r.constant("when the guest powers off QEMU stops instead of exiting, "
                                   "so the manager applies <on_poweroff>"),
        "-sandbox": r.constant("QEMU's seccomp sandbox: no obsolete system calls, no "
                               "privilege changes, no new processes (libvirt's default)"),
        "-msg": r.constant("QEMU's messages carry timestamps (libvirt)"),
    }

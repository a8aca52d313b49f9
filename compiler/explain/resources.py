"""Where the CPU, memory, SMP and NUMA options come from (-cpu, -m, -object
memory backends and iothreads, -smp, -numa)."""

from __future__ import annotations

import json

from ..cpu.features import table
from ..cpu.models import catalogue
from ..cpu.policy import argv_flags, argv_head
from ..devices import kind_of
from ..model import CpuMode, FeaturePolicy
from ..tables.hypervisor import HYPERV_PROPS, KVM_PROPS
from .base import FIXED, RulesBase, fixed, split_opts
from .model import Prop, Source


class ResourceRules(RulesBase):
    """-cpu, -m, -mem-prealloc, -overcommit, -object, -smp, -numa."""

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
                return self.loc.xml(cpu_el, f"host-model: the named model closest to "
                                    f"{self._offer()} is {v}", "mode", "resolve_cpu")
            if p.mode in (CpuMode.HOST_PASSTHROUGH, CpuMode.MAXIMUM):
                return self.loc.xml(cpu_el, f"<cpu mode='{p.mode.value}'>: QEMU's '{v}' CPU",
                                    "mode")
            m = self.el("cpu/model")
            if m is not None and p.model:
                return self.loc.xml(m, "the CPU model as written")
            return self.loc.rule("resolve_cpu", f"<cpu> names no model: the machine's default "
                                 f"CPU type {v}", cpu_el)

        def flag(part):
            name, _, state = part.partition("=")
            on = state == "on"
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
                why = (f"host-model: a feature of {self._offer()} beyond {model}"
                       if on else f"host-model: QEMU's {model} has it, {self._offer()} "
                       "does not")
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
            if k == "migratable":
                return self.xml("cpu", f"<cpu mode='{parsed.cpu.mode.value}'>: migratable="
                                f"{v} (the XML's migratable=, libvirt's default on for "
                                "host-passthrough)", "migratable")
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

        # the parts: the model (host-passthrough's also migratable=), the resolved
        # features, then the properties of other elements (argv_head, argv_flags, cpu_value)
        heads = len(argv_head(resolved).split(",")) if resolved is not None else 1
        flags = heads + (len(argv_flags(resolved)) if resolved is not None else 0)
        props = []
        for i, part in enumerate(value.split(",")):
            if i == 0:
                src = head(part)
            elif heads <= i < flags:
                src = flag(part)
            else:
                k = part.split("=", 1)[0]
                src = extra(k, part.split("=", 1)[-1], part)
            props.append(Prop(part.split("=")[0] if i else "", part, src))
        if cpu_el is not None:
            src = self.loc.xml(cpu_el, "the guest CPU, resolved by resolve_cpu")
        else:
            src = self.loc.rule("resolve_cpu", "no <cpu>: the machine's default CPU type")
        return src, tuple(props)

    def _host(self) -> str:
        got = self.c.env.host_facts.get("cpu")
        if got:
            return got
        f = self.c.env.host_cpu_file
        return f"--host {f}" if f else "this machine's CPU"

    def _offer(self) -> str:
        """What a host-model CPU was made from: the host CPU, or what the accelerator
        gives a guest (resolve_cpu records which)."""
        src = self._host()
        if src.startswith("--host") or src == "this machine's CPU":
            return f"the host CPU ({src})"
        return f"what {src} gives a guest"

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
        if qom == "secret" and oid.startswith("libvirt-pflash1"):
            src = self.xml("os/nvram/source/auth/secret", "the login of the network variable "
                           "store (<nvram><source><auth><secret>): QEMU reads it from the "
                           "secret file", fallback=self.xml("os/nvram", "<nvram>: the login "
                                                            "of its network store"))
            return src, self.jsonprops(value, lambda k, v: src)
        if qom == "sev-guest":
            return self._sev(value)
        return self.c.unknown(value), ()

    def _sev(self, value):
        src = self.xml("launchSecurity", "<launchSecurity type='sev'>: AMD SEV memory encryption")
        where = {"cbitpos": ("launchSecurity/cbitpos", "<cbitpos>: the host's C-bit position"),
                 "reduced-phys-bits": ("launchSecurity/reducedPhysBits",
                                       "<reducedPhysBits>: physical address bits the host loses"),
                 "policy": ("launchSecurity/policy", "<policy>: the guest policy bits"),
                 "dh-cert-file": ("launchSecurity/dhCert", "<dhCert>: the guest owner's "
                                  "certificate, in the file the launcher writes"),
                 "session-file": ("launchSecurity/session", "<session>: the launch session, "
                                  "in the file the launcher writes")}

        def each(k, v):
            if k in where:
                return self.xml(*where[k], fallback=src)
            if k == "kernel-hashes":
                return self.xml("launchSecurity", "<launchSecurity kernelHashes=...>: the "
                                "firmware measures the kernel, initrd and command line",
                                "kernelHashes", fallback=src)
            if k == "id":
                return fixed("libvirt's id of the launch security object")
            return src

        return src, self.jsonprops(value, each)

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


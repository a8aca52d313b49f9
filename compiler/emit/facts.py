"""Normalized Domain -> the guest-visible facts a compile decided: what ``domc lock``
writes and what ``domc abi-diff`` compares.

One JSON object, keys sorted, every value a string, number, boolean, list or object:

``machine``   the versioned machine type
``cpu``       the -cpu model and every feature on/off: the profile's expansion of the
              model (QEMU property names) with the compile's own switches on top;
              ``model_features`` says when the expansion is the host's or unknown
``topology``  vCPUs (online / total) and sockets, dies, cores, threads
``memory``    guest RAM, hotplug slots and limit, NUMA cells
``firmware``  loader, its type, NVRAM template and the descriptor autoselection chose
``smbios``    uuid, VM generation id, the SMBIOS strings and fw_cfg entries
``features``  <features> (ACPI, APIC, Hyper-V, KVM, SMM ...) and the clock
``devices``   key (devices/identity.py) -> kind, id, address, model and the kind's
              locked fields (a NIC's MAC, a disk's bus ...); ``implicit`` marks the
              devices the compile added
``hotplug``   free hotplug places left (passes/hotplug.py)
``about``     not compared: QEMU version, domain name, the machine type as written
``from_host`` not compared: which facts came from the host rather than the XML, and
              from where (``--host FILE``, this machine)
"""

from __future__ import annotations

import enum

from ..devices import kind_of
from ..devices.identity import device_keys, key_order
from ..lockfile import LOCK_FORMAT, address_attrs
from ..model import Domain
from ..passes.hotplug import headroom
from .argv import cpu_value

# facts that describe the compile rather than the guest
NOT_COMPARED = ("about", "from_host", "hotplug", "domc-lock")


def _plain(v):
    if isinstance(v, enum.Enum):
        return v.value
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    return v


def _cpu(dom: Domain, profile) -> dict:
    head, *tokens = cpu_value(dom).split(",")
    defn = profile.cpu_model(head)
    feats: dict[str, str] = {}
    out: dict = {"model": head}
    if head in ("host", "max"):
        out["model_features"] = "the host's" if head == "host" else "QEMU's maximum"
    elif defn is None or not defn.features_known:
        out["model_features"] = f"unknown to the QEMU {profile.version} profile"
    else:
        feats = {f: "on" for f in defn.features}
    for t in tokens:
        if t.startswith("+"):
            feats[t[1:]] = "on"
        elif t.startswith("-"):
            feats[t[1:]] = "off"
        elif "=" in t:
            k, v = t.split("=", 1)
            feats[k] = v
        else:
            feats[t] = "on"
    out["features"] = dict(sorted(feats.items()))
    return out


def _topology(dom: Domain) -> dict:
    v = dom.vcpu
    t = dom.cpu.topology if dom.cpu is not None else None
    out = {"vcpus": v.count, "online": v.online}
    if t is None:
        out.update(sockets=v.count, dies=1, cores=1, threads=1)
    else:
        out.update(sockets=t.sockets, dies=t.dies, cores=t.cores, threads=t.threads)
    return out


def _memory(dom: Domain) -> dict:
    m = dom.memory
    out: dict = {"kib": m.max_kib}
    if m.max_memory_kib is not None:
        out.update(max_kib=m.max_memory_kib, slots=m.slots)
    cells = dom.cpu.numa if dom.cpu is not None else ()
    if cells:
        out["numa"] = [{"cell": c.id, "cpus": c.cpus, "kib": c.memory_kib} for c in cells]
    return out


def _firmware(dom: Domain) -> dict:
    o = dom.os
    out: dict = {}
    if o.loader is not None:
        out.update({k: v for k, v in (("loader", o.loader.path), ("type", o.loader.type),
                                      ("secure", o.loader.secure)) if v is not None})
    if o.nvram_template:
        out["nvram_template"] = o.nvram_template
    if o.firmware_file:
        out["descriptor"] = o.firmware_file
    return out


def _table(t) -> dict:
    return dict(t.entries) if t is not None else {}


def _smbios(dom: Domain) -> dict:
    out: dict = {}
    if dom.uuid:
        out["uuid"] = dom.uuid
    if dom.genid:
        out["genid"] = dom.genid
    if dom.os.smbios_mode is not None:
        out["mode"] = dom.os.smbios_mode.value
    for s in dom.sysinfo:
        if s.type.value == "smbios":
            for name, t in (("bios", s.bios), ("system", s.system), ("chassis", s.chassis)):
                if t is not None:
                    out[name] = _table(t)
            if s.baseboards:
                out["baseboard"] = [_table(b) for b in s.baseboards]
            if s.oem_strings:
                out["oem_strings"] = list(s.oem_strings)
        else:
            out["fw_cfg"] = {e.name: e.value if e.file is None else f"file {e.file}"
                             for e in s.fw_cfg}
    return out


def _features(dom: Domain) -> dict:
    f = dom.features
    out: dict = {}
    for name in ("acpi", "apic", "apic_eoi", "pae", "pvspinlock", "vmport", "smm", "tseg_kib",
                 "pmu", "vmcoreinfo", "ioapic_driver", "suspend_to_mem", "suspend_to_disk",
                 "hyperv_mode"):
        v = getattr(f, name)
        if v is not None:
            out[name] = _plain(v)
    if f.hyperv:
        out["hyperv"] = {h.name: (h.value if h.state and h.value is not None else h.state)
                         for h in f.hyperv}
    if f.kvm:
        out["kvm"] = dict(f.kvm)
    c = dom.clock
    clock: dict = {"offset": c.offset}
    if c.adjustment is not None:
        clock["adjustment"] = c.adjustment
    if c.basis is not None:
        clock["basis"] = c.basis
    for t in c.timers:
        clock[f"timer {t.name}"] = {k: v for k, v in (("present", t.present),
                                                      ("tickpolicy", t.tickpolicy),
                                                      ("track", t.track)) if v is not None}
    out["clock"] = clock
    return out


def device_facts(d) -> dict:
    """One device's entry: kind, id, address, model and its kind's locked fields."""
    entry: dict = {"kind": d.kind_tag}
    if d.origin is None:
        entry["implicit"] = True
    if d.alias:
        entry["alias"] = d.alias
    addr = address_attrs(d.address)
    if addr is not None:
        entry["address"] = addr
    for f in ("model",) + kind_of(d).lock_fields:
        v = getattr(d, f, None)
        if v is not None:
            entry[f] = _plain(v)
    return entry


def guest_facts(dom: Domain, env) -> dict:
    """The facts of a normalized domain compiled with ``env``."""
    profile = env.profile
    keys = device_keys(dom.devices)
    return {
        "domc-lock": LOCK_FORMAT,
        "about": {"qemu": profile.version, "emulator_version": profile.emulator_version,
                  "domain": dom.name, "machine_written": dom.os.machine_written},
        "machine": dom.os.machine,
        "cpu": _cpu(dom, profile),
        "topology": _topology(dom),
        "memory": _memory(dom),
        "firmware": _firmware(dom),
        "smbios": _smbios(dom),
        "features": _features(dom),
        "devices": {k: device_facts(d) for k, d in sorted(zip(keys, dom.devices), key=lambda p: key_order(p[0]))},
        "hotplug": headroom(dom),
        "from_host": dict(sorted(env.host_facts.items())),
    }


__all__ = ["NOT_COMPARED", "device_facts", "guest_facts"]

"""The affinity plan: where the guest's threads run and where its memory lives.

``plan(dom, env)`` reads a Domain that went through ``place_vcpus``.  A CPU set of
``None`` means "not restricted" (any host CPU).  The rules follow libvirt:

* emulator: ``<emulatorpin>``, else ``<vcpu cpuset>``, else the CPUs of the
  automatically chosen nodes; the launcher's ``taskset`` uses this set, so every
  thread starts there (libvirt's qemuProcessInitCpuAffinity).
* vCPU n: its ``<vcpupin>``, else ``<vcpu cpuset>``, else the automatic CPUs.
* iothread n: its ``<iothreadpin>``, else the emulator's set.
* memory: ``<numatune><memory>`` mode and nodeset (automatic: the chosen nodes);
  per guest cell: its ``<memnode>``, else the guest-wide policy.

The plan also says what must be on the host before QEMU starts (runtime.py): the
helper processes (swtpm, virtiofsd, vhost-user-gpu) with their sockets, the secret
files, and the user data (TPM state, UEFI variables) that is created when absent
and never overwritten.
"""

from __future__ import annotations

from ..record import frozen

from ..devices import kind_of
from ..devices.base import no_host_needs
from ..diagnostics import NOWHERE as _NOWHERE
from ..diagnostics import Span
from .argv import launch_security_files, nvram_auth
from ..model import Domain
from ..runtime import GuestFile, Helper, HostDirs, SecretNeed, SecretRef, Setup, StateFile
from ..placement.cpuset import CpuSet, parse_cpuset
from ..placement.tuning import MemoryMode, MemoryPolicy, Placement, cell_policy, memory_policy

PLAN_VERSION = 2


@frozen
class ThreadAffinity:
    id: int  # vCPU index or iothread id
    cpus: CpuSet | None
    online: bool = True


@frozen
class CellPolicy:
    cell: int
    mode: MemoryMode
    nodes: CpuSet


@frozen
class AffinityPlan:
    placement: Placement
    auto_nodes: CpuSet | None
    emulator: CpuSet | None
    vcpus: tuple[ThreadAffinity, ...]
    iothreads: tuple[ThreadAffinity, ...]
    memory: MemoryPolicy | None
    cells: tuple[CellPolicy, ...]
    helpers: tuple[Helper, ...] = ()
    secrets: tuple[SecretNeed, ...] = ()
    state: tuple[StateFile, ...] = ()
    files: tuple[GuestFile, ...] = ()  # written by the launcher at every start
    # what the launcher does when the guest powers off, reboots or panics, where the
    # domain says something else than libvirt's defaults (LIFECYCLE_DEFAULTS)
    lifecycle: tuple[tuple[str, str], ...] = ()

    @property
    def pins_anything(self) -> bool:
        return self.emulator is not None or any(
            t.cpus is not None for t in self.vcpus + self.iothreads
        )


def plan(dom: Domain, env=None) -> AffinityPlan:
    t = dom.tuning
    placement = dom.vcpu.placement
    auto_cpus = t.auto.cpus if t.auto is not None else None
    if placement is Placement.AUTO or not dom.vcpu.cpuset:
        default = auto_cpus if placement is Placement.AUTO else None
    else:
        default = parse_cpuset(dom.vcpu.cpuset, dom.vcpu.span)
    emulator = t.emulatorpin if t.emulatorpin is not None else default
    vcpus = []
    for n in range(dom.vcpu.count):
        pin = t.vcpupin(n)
        vcpus.append(ThreadAffinity(n, pin.cpuset if pin else default, online=dom.vcpu.is_online(n)))
    iopins = {p.iothread: p.cpuset for p in t.iothreadpins}
    iothreads = tuple(ThreadAffinity(i, iopins.get(i, emulator)) for i in t.iothread_ids)
    cells = []
    for cell in dom.cpu.numa if dom.cpu else ():
        pol = cell_policy(t, cell.id)
        if pol is not None:
            cells.append(CellPolicy(cell.id, pol.mode, pol.nodes))
    dirs = env.dirs if env is not None else HostDirs()
    helpers, secrets, state = host_needs(dom, dirs)
    return AffinityPlan(
        placement=placement,
        auto_nodes=t.auto.nodes if t.auto is not None else None,
        emulator=emulator,
        vcpus=tuple(vcpus),
        iothreads=iothreads,
        memory=memory_policy(t),
        cells=tuple(cells),
        helpers=helpers,
        secrets=secrets,
        state=state,
        files=launch_security_files(dom, dirs),
        lifecycle=tuple((event, action) for event, action in (
            ("on_poweroff", dom.on_poweroff), ("on_reboot", dom.on_reboot),
            ("on_crash", dom.on_crash)) if action not in (None, LIFECYCLE_DEFAULTS[event])),
    )


# libvirt's: a guest that powers off is destroyed, one that reboots restarts, one that
# panics is destroyed
LIFECYCLE_DEFAULTS = {"on_poweroff": "destroy", "on_reboot": "restart", "on_crash": "destroy"}


def lifecycle_actions(p: AffinityPlan) -> dict[str, str]:
    """Every event's action: the plan's, else libvirt's default."""
    return {**LIFECYCLE_DEFAULTS, **dict(p.lifecycle)}


def host_needs(dom: Domain, dirs: HostDirs) -> tuple[tuple, tuple, tuple]:
    """(helpers, secrets, state) of the whole domain: the UEFI variable store and the
    credentials of a network one, then every device's, in document order."""
    helpers, secrets, state = [], [], []
    o = dom.os
    if o.nvram and not o.nvram_block and o.nvram_source is None and o.loader is not None \
            and o.loader.type == "pflash":
        state.append(StateFile("UEFI variables", o.nvram, o.nvram_template, o.nvram_span))
    if nvram_auth(dom):
        secrets.append(SecretNeed("the NVRAM store (login)", _filed(o.nvram_source.auth_secret,
                                                                   dirs), o.nvram_span))
    for d in dom.devices:
        kind = kind_of(d)
        # most kinds need nothing of the host: their hooks are not even asked
        if kind.helpers is not no_host_needs:
            helpers += kind.helpers(d, dom, dirs)
        if kind.secrets is not no_host_needs:
            secrets += [SecretNeed(n.what, _filed(n.secret, dirs), n.where)
                        for n in kind.secrets(d, dom, dirs)]
        if kind.state is not no_host_needs:
            state += kind.state(d, dom, dirs)
    return tuple(helpers), tuple(secrets), tuple(state)


def _filed(ref: SecretRef, dirs: HostDirs) -> SecretRef:
    """The secret with the file it is read from."""
    return SecretRef(ref.type, ref.uuid, ref.usage, dirs.secret_file(ref), span=ref.span)


def _set(s: CpuSet | None) -> str | None:
    return None if s is None else str(s)


def plan_json(p: AffinityPlan) -> dict:
    """The plan as ``domc compile --format json`` prints it under ``"plan"``."""
    return {
        "version": PLAN_VERSION,
        "placement": p.placement.value,
        "auto_nodes": _set(p.auto_nodes),
        "emulator": _set(p.emulator),
        "vcpus": [{"vcpu": v.id, "cpus": _set(v.cpus), "online": v.online} for v in p.vcpus],
        "iothreads": [{"iothread": i.id, "cpus": _set(i.cpus)} for i in p.iothreads],
        "memory": None if p.memory is None else {"mode": p.memory.mode.value, "nodes": str(p.memory.nodes)},
        "cells": [{"cell": c.cell, "mode": c.mode.value, "nodes": str(c.nodes)} for c in p.cells],
        "helpers": [_helper_json(h) for h in p.helpers],
        "secrets": [{"for": n.what, "where": str(n.where), "type": n.secret.type,
                     "uuid": n.secret.uuid, "usage": n.secret.usage, "file": n.secret.file}
                    for n in p.secrets],
        "state": [{"what": f.what, "where": str(f.where), "path": f.path,
                   "template": f.template, "made_by": f.made_by} for f in p.state],
        "files": [{"what": f.what, "where": str(f.where), "path": f.path, "content": f.content}
                  for f in p.files],
        # only when the domain says something else than libvirt's defaults
        **({"lifecycle": dict(p.lifecycle)} if p.lifecycle else {}),
    }


def _helper_json(h: Helper) -> dict:
    return {"kind": h.kind, "device": h.device, "where": str(h.where), "argv": list(h.argv),
            "socket": h.socket, "log": h.log, "chardev": h.chardev,
            "setup": None if h.setup is None else {"creates": h.setup.creates,
                                                   "argv": list(h.setup.argv)}}


def _span(text: str) -> Span:
    """'FILE:LINE' (as plan_json writes a place) -> Span."""
    file, _, line = text.rpartition(":")
    return Span(file, int(line)) if file and line.isdigit() else Span(text)


def plan_from_json(data: dict) -> AffinityPlan:
    """Inverse of :func:`plan_json` (used by ``domc run`` and the tests)."""

    def cs(v):
        return None if v is None else parse_cpuset(v, _NOWHERE) if v else CpuSet()

    return AffinityPlan(
        placement=Placement(data["placement"]),
        auto_nodes=cs(data["auto_nodes"]),
        emulator=cs(data["emulator"]),
        vcpus=tuple(ThreadAffinity(v["vcpu"], cs(v["cpus"]), v["online"]) for v in data["vcpus"]),
        iothreads=tuple(ThreadAffinity(i["iothread"], cs(i["cpus"])) for i in data["iothreads"]),
        memory=None
        if data["memory"] is None
        else MemoryPolicy(MemoryMode(data["memory"]["mode"]), cs(data["memory"]["nodes"])),
        cells=tuple(CellPolicy(c["cell"], MemoryMode(c["mode"]), cs(c["nodes"])) for c in data["cells"]),
        helpers=tuple(
            Helper(h["kind"], h["device"], tuple(h["argv"]), h["socket"], h["log"],
                   None if h["setup"] is None else Setup(h["setup"]["creates"],
                                                          tuple(h["setup"]["argv"])),
                   _span(h["where"]), h["chardev"])
            for h in data.get("helpers", ())),
        secrets=tuple(
            SecretNeed(n["for"], SecretRef(n["type"], n["uuid"], n["usage"], n["file"]),
                       _span(n["where"]))
            for n in data.get("secrets", ())),
        state=tuple(StateFile(f["what"], f["path"], f["template"], _span(f["where"]),
                              f["made_by"]) for f in data.get("state", ())),
        files=tuple(GuestFile(f["what"], f["path"], f["content"], _span(f["where"]))
                    for f in data.get("files", ())),
        lifecycle=tuple((e, data["lifecycle"][e]) for e in LIFECYCLE_DEFAULTS
                        if e in data.get("lifecycle", {})),
    )


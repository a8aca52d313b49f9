"""Pass place_vcpus: check the tuning against the guest and resolve automatic
placement against the host topology.

Host facts are read only when placement is automatic or ``--host-root`` was
given, so a static compile does not depend on the machine it runs on.
"""

from __future__ import annotations

from ..record import evolve

from ..devices.memory_backend import page_size_error
from ..diagnostics import Span
from ..model import Domain
from ..placement.auto import choose_nodes
from ..placement.cpuset import parse_cpuset
from ..placement.host import host_topology
from ..placement.tuning import Placement, Tuning


def guest_memory_kib(dom: Domain) -> int:
    cells = dom.cpu.numa if dom.cpu else ()
    if cells:
        return sum(c.memory_kib for c in cells)
    return dom.memory.max_kib


def wants_auto(dom: Domain, tuning: Tuning) -> bool:
    return dom.vcpu.placement is Placement.AUTO or (
        tuning.memory is not None and tuning.memory.placement is Placement.AUTO
    )


# QEMU 7.2's MAX_NODES: a memory backend's host-nodes at or above it is refused on
# every host ("Invalid host-nodes value"); below it the host decides (mbind)
QEMU_HOST_NODES = 128


def _check_host_nodes(t: Tuning, diag) -> None:
    """The host nodes a memory policy hands QEMU (restrictive mode binds through
    cgroups only) must be ones QEMU can name."""
    policies = [("<numatune><memory>", t.memory)] if t.memory is not None else []
    policies += [(f"<memnode cellid='{m.cellid}'>", m) for m in t.memnodes]
    for what, pol in policies:
        if pol.nodeset is None or pol.mode.qemu_policy is None:
            continue
        over = [n for n in pol.nodeset.to_list() if n >= QEMU_HOST_NODES]
        if over:
            diag.error("numatune-node", f"{what} binds memory to host node {over[0]}, but QEMU "
                       f"7.2 names host nodes 0-{QEMU_HOST_NODES - 1} only (\"Invalid "
                       "host-nodes value\")", pol.span)


def _check_guest(dom: Domain, t: Tuning, env) -> None:
    diag = env.diag
    _check_host_nodes(t, diag)
    for pin in t.vcpupins:
        if pin.vcpu >= dom.vcpu.count:
            diag.error(
                "vcpupin-range",
                f"vcpupin for vCPU {pin.vcpu}, but the guest has {dom.vcpu.count} vCPUs (0-{dom.vcpu.count - 1})",
                pin.span,
            )
    for pin in t.iothreadpins:
        if pin.iothread not in t.iothread_ids:
            have = ",".join(map(str, t.iothread_ids)) or "none"
            diag.error("iothreadpin-range", f"iothreadpin for iothread {pin.iothread}; iothreads: {have}", pin.span)
    cells = {c.id for c in (dom.cpu.numa if dom.cpu else ())}
    for m in t.memnodes:
        if not cells:
            diag.error("memnode-without-numa", "<memnode> needs guest NUMA cells in <cpu><numa>", m.span)
        elif m.cellid not in cells:
            diag.error("memnode-cell", f"<memnode cellid='{m.cellid}'>: the guest has no such NUMA cell", m.span)
    page_cells = cells or {0}  # a guest without <numa> is one node, 0
    for page in t.backing.pages:
        problem = page_size_error(page.size_kib)
        if problem is not None:
            diag.error("hugepage-size", f"hugepages: <page> of {page.size_kib} KiB: {problem}",
                       page.span)
        for cell in page.cells or ():
            if cell not in page_cells:
                have = ",".join(map(str, sorted(page_cells)))
                diag.error("hugepages-cell", f"hugepages: node {cell} not found (guest nodes: {have})", page.span)
    if dom.vcpu.placement is Placement.AUTO and dom.vcpu.cpuset:
        diag.warning("cpuset-ignored", "<vcpu cpuset> is ignored with placement='auto'", dom.vcpu.span)
    for knob in t.ignored:
        diag.warning("cputune-ignored", f"<cputune><{knob}> needs cgroups; domc does not apply it", t.span)


def _check_host(dom: Domain, t: Tuning, env) -> None:
    host = host_topology(env)
    cpus, nodes = host.cpu_ids, host.node_ids
    pins = [(p.cpuset, p.span, f"vcpupin for vCPU {p.vcpu}") for p in t.vcpupins]
    pins += [(p.cpuset, p.span, f"iothreadpin for iothread {p.iothread}") for p in t.iothreadpins]
    if t.emulatorpin is not None:
        pins.append((t.emulatorpin, t.span, "emulatorpin"))
    if dom.vcpu.cpuset and dom.vcpu.placement is Placement.STATIC:
        pins.append((parse_cpuset(dom.vcpu.cpuset, dom.vcpu.span), dom.vcpu.span, "<vcpu cpuset>"))
    for cpuset, span, what in pins:
        missing = cpuset - cpus
        if missing:
            env.diag.warning("cpu-not-on-host", f"{what} names CPUs {missing} the host does not have ({cpus})", span)
    sets = [(m.nodeset, m.span, f"memnode for cell {m.cellid}") for m in t.memnodes]
    if t.memory is not None and t.memory.nodeset is not None:
        sets.append((t.memory.nodeset, t.memory.span, "<numatune><memory>"))
    for nodeset, span, what in sets:
        missing = nodeset - nodes
        if missing:
            env.diag.warning("node-not-on-host", f"{what} names host nodes {missing} that do not exist ({nodes})", span)


def place_vcpus(dom: Domain, env) -> Domain:
    tuning = dom.tuning
    _check_guest(dom, tuning, env)
    if env.host_root is not None:
        _check_host(dom, tuning, env)
    if wants_auto(dom, tuning):
        span = dom.vcpu.span if dom.vcpu.span.line else Span(dom.file)
        auto = choose_nodes(host_topology(env), guest_memory_kib(dom), dom.vcpu.count, span)
        env.host_facts["placement"] = f"--host-root {env.host_root}" if env.host_root \
            else "this machine's NUMA topology"
        tuning = evolve(tuning, auto=auto)
    return evolve(dom, tuning=tuning)


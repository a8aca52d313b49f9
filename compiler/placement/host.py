"""Host topology from /proc and /sys, or from a captured copy of them.

``read_host(root)`` reads the files below ``root`` ("/" for this machine; a
``--host-root`` directory for a captured tree, see ``fixtures/topologies``).  Only
plain files are read, so a capture is a directory of small text files made by
:func:`compiler.placement.capture.capture_host`.
"""

from __future__ import annotations

import os
import re
from collections import Counter

from ..record import frozen

from ..diagnostics import DomcError, Span, fail
from ..inputs import read_input_text, require_directory
from .cpuset import CpuSet, parse_cpuset

CACHE_KEY = "placement.host"


@frozen
class HostCpu:
    id: int
    socket: int
    die: int
    core: int
    node: int


@frozen
class HostNode:
    id: int
    cpus: CpuSet
    total_kib: int
    free_kib: int


@frozen
class HostTopology:
    arch: str
    model: str
    mhz: int
    cpus: tuple[HostCpu, ...]  # online CPUs, by id
    nodes: tuple[HostNode, ...]  # online NUMA nodes, by id
    total_kib: int
    free_kib: int

    @property
    def cpu_ids(self) -> CpuSet:
        return CpuSet.of(c.id for c in self.cpus)

    @property
    def node_ids(self) -> CpuSet:
        return CpuSet.of(n.id for n in self.nodes)

    def node(self, node_id: int) -> HostNode | None:
        for n in self.nodes:
            if n.id == node_id:
                return n
        return None

    @property
    def sockets(self) -> int:
        return len({c.socket for c in self.cpus}) or 1

    @property
    def cores_per_socket(self) -> int:
        cores = Counter(c.socket for c in {(c.socket, c.die, c.core): c for c in self.cpus}.values())
        return max(cores.values(), default=1)

    @property
    def threads_per_core(self) -> int:
        threads = Counter((c.socket, c.die, c.core) for c in self.cpus)
        return max(threads.values(), default=1)

    def cpus_of_nodes(self, nodes: CpuSet) -> CpuSet:
        out = CpuSet()
        for n in self.nodes:
            if n.id in nodes:
                out = out | n.cpus
        return out


class _Reader:
    def __init__(self, root: str):
        self.root = root

    def path(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    def text(self, rel: str, default: str | None = None) -> str:
        """The file's text; ``default`` when given and the file cannot be read (an
        optional file), else an ``io`` error."""
        try:
            return read_input_text(self.path(rel))
        except DomcError:
            if default is not None:
                return default
            raise

    def exists(self, rel: str) -> bool:
        return os.path.exists(self.path(rel))

    def int(self, rel: str, default: int | None = None) -> int:
        raw = self.text(rel, None if default is None else str(default)).strip()
        try:
            return int(raw)
        except ValueError:
            raise fail("bad-number", f"expected a number, found {raw!r}", Span(self.path(rel), 1)) from None

    def cpuset(self, rel: str) -> CpuSet:
        raw = self.text(rel).strip()
        if not raw:
            return CpuSet()
        return parse_cpuset(raw, Span(self.path(rel), 1), what="list")

    def meminfo(self, rel: str, prefix: str = "") -> dict[str, int]:
        """``Key: N kB`` lines (after an optional ``Node N`` prefix) -> {Key: N}."""
        out: dict[str, int] = {}
        pattern = re.compile(rf"^{re.escape(prefix)}\s*([A-Za-z_()0-9]+):\s+(\d+)")
        for line in self.text(rel).splitlines():
            m = pattern.match(line)
            if m:
                out[m.group(1)] = int(m.group(2))
        for key in ("MemTotal", "MemFree"):
            if key not in out:
                raise fail("host-topology", f"no {key} line", Span(self.path(rel)))
        return out


def _cpuinfo(r: _Reader) -> tuple[str, int]:
    model, mhz = "", 0
    for line in r.text("proc/cpuinfo", "").splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "model name" and not model:
            model = value
        elif key == "cpu MHz" and not mhz:
            try:
                mhz = int(float(value))
            except ValueError:
                pass
    return model or "unknown", mhz


def read_host(root: str | None = None) -> HostTopology:
    """Read the topology below ``root`` (None or "/" = this machine)."""
    live = root in (None, "/")
    require_directory(root or "/")
    r = _Reader(root or "/")
    arch = r.text("proc/sys/kernel/arch", "").strip() or (os.uname().machine if live else "unknown")
    model, mhz = _cpuinfo(r)
    online = r.cpuset("sys/devices/system/cpu/online")

    node_cpus: dict[int, CpuSet] = {}
    nodes: list[HostNode] = []
    if r.exists("sys/devices/system/node/online"):
        for nid in r.cpuset("sys/devices/system/node/online"):
            base = f"sys/devices/system/node/node{nid}"
            cpus = r.cpuset(f"{base}/cpulist") & online
            mem = r.meminfo(f"{base}/meminfo", prefix=f"Node {nid}")
            nodes.append(HostNode(nid, cpus, mem["MemTotal"], mem["MemFree"]))
            node_cpus[nid] = cpus
    if not nodes:  # a kernel without NUMA: one node holding everything
        meminfo = r.meminfo("proc/meminfo")
        nodes.append(HostNode(0, online, meminfo["MemTotal"], meminfo["MemFree"]))
        node_cpus[0] = online

    cpus = []
    for cid in online:
        base = f"sys/devices/system/cpu/cpu{cid}/topology"
        node = next((n for n, s in sorted(node_cpus.items()) if cid in s), 0)
        cpus.append(
            HostCpu(
                id=cid,
                socket=r.int(f"{base}/physical_package_id", 0),
                die=r.int(f"{base}/die_id", 0),
                core=r.int(f"{base}/core_id", cid),
                node=node,
            )
        )
    # libvirt (virHostMemGetInfo) adds up the NUMA nodes' memory when the host has NUMA
    # nodes, and reads /proc/meminfo only when it has none: nodeinfo then agrees with
    # the cells of capabilities, whatever /proc/meminfo says (a container's may not)
    return HostTopology(
        arch=arch,
        model=model,
        mhz=mhz,
        cpus=tuple(cpus),
        nodes=tuple(sorted(nodes, key=lambda n: n.id)),
        total_kib=sum(n.total_kib for n in nodes),
        free_kib=sum(n.free_kib for n in nodes),
    )


def host_topology(env) -> HostTopology:
    """The topology ``env`` names (``--host-root`` or this machine), read once."""
    if CACHE_KEY not in env.cache:
        env.cache[CACHE_KEY] = read_host(env.host_root)
    return env.cache[CACHE_KEY]

"""domc nodeinfo: the host's CPUs, topology, NUMA cells and memory (virsh nodeinfo)."""

from __future__ import annotations

import json

from ..placement.host import HostTopology, read_host
from ._hostargs import add_host_root

NAME = "nodeinfo"
HELP = "show host CPU model, CPU count, topology, NUMA cells and memory"


def add_arguments(parser) -> None:
    add_host_root(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON object")


def nodeinfo_fields(host: HostTopology) -> list[tuple[str, str, object]]:
    """(label, json key, value) in virsh nodeinfo's order."""
    return [
        ("CPU model", "arch", host.arch),
        ("CPU model name", "model", host.model),
        ("CPU(s)", "cpus", len(host.cpus)),
        ("CPU frequency", "mhz", host.mhz),
        ("CPU socket(s)", "sockets", host.sockets),
        ("Core(s) per socket", "cores_per_socket", host.cores_per_socket),
        ("Thread(s) per core", "threads_per_core", host.threads_per_core),
        ("NUMA cell(s)", "numa_cells", len(host.nodes)),
        ("Memory size", "memory_kib", host.total_kib),
    ]


def run(args) -> int:
    host = read_host(args.host_root)
    fields = nodeinfo_fields(host)
    if args.json:
        print(json.dumps({key: value for _, key, value in fields}, indent=2, sort_keys=True))
        return 0
    units = {"mhz": " MHz", "memory_kib": " KiB"}
    for label, key, value in fields:
        print(f"{label + ':':<21}{value}{units.get(key, '')}")
    return 0

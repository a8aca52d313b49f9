"""domc freecell: free memory per host NUMA cell (virsh freecell)."""

from __future__ import annotations

from ..diagnostics import Span, fail
from ..placement.host import read_host
from ._hostargs import add_host_root

NAME = "freecell"
HELP = "show free memory of one host NUMA cell, of all of them, or in total"


def add_arguments(parser) -> None:
    parser.add_argument("cell", nargs="?", type=int, metavar="CELL", help="a host NUMA cell id")
    parser.add_argument("--all", action="store_true", help="every cell, then the total")
    add_host_root(parser)


def run(args) -> int:
    host = read_host(args.host_root)
    if args.all and args.cell is not None:
        raise fail("usage", "give either CELL or --all, not both", Span("freecell"))
    if args.cell is not None:
        node = host.node(args.cell)
        if node is None:
            have = ", ".join(str(n.id) for n in host.nodes)
            raise fail("no-such-cell", f"host has no NUMA cell {args.cell} (cells: {have})", Span("freecell"))
        print(f"{node.id}: {node.free_kib} KiB")
        return 0
    total = sum(n.free_kib for n in host.nodes)
    if args.all:
        for n in host.nodes:
            print(f"{n.id:5}: {n.free_kib:10} KiB")
        print("-" * 20)
    print(f"Total: {total:10} KiB")
    return 0

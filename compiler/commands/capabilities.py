"""``domc capabilities``: host capabilities XML (host CPU, NUMA cells, guest machines)."""

from __future__ import annotations

import os
import sys

NAME = "capabilities"
DEFAULT_EMULATOR = "/usr/bin/qemu-system-x86_64"
HELP = "print host capabilities XML: host CPU, NUMA topology, guest machine types"


def add_arguments(parser) -> None:
    parser.add_argument("--host", metavar="FILE", help="host CPU from this file instead of this machine")
    parser.add_argument("--host-root", metavar="DIR", default="/",
                        help="read NUMA cells from DIR/sys and DIR/proc (default: /)")
    parser.add_argument("--profile", metavar="FILE", help="emulator profile (default: embedded QEMU 7.2)")
    parser.add_argument("--emulator", metavar="PATH", default=DEFAULT_EMULATOR,
                        help=f"emulator path to report (default: {DEFAULT_EMULATOR}); one given "
                             "must be a program this user may run")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the document here (a recorded host: a directory of them is a "
                             "fleet for cpu-matrix and migrate-check)")


def run(args) -> int:
    from ..cpu.capabilities import NumaCell, capabilities_xml
    from ..cpu.host import load_host
    from ..inputs import check_executable
    from ..placement.host import read_host
    from ..profile import load_profile

    from ..inputs import write_output_file

    if args.emulator != DEFAULT_EMULATOR:
        check_executable(args.emulator)
    host = load_host(args.host)
    # the cells nodeinfo and freecell read too, so the three agree on any machine
    topology = read_host(args.host_root)
    cells = tuple(NumaCell(n.id, n.total_kib, tuple(n.cpus)) for n in topology.nodes)
    kvm = args.host is None and os.access("/dev/kvm", os.R_OK | os.W_OK)
    text = capabilities_xml(host, cells, load_profile(args.profile), args.emulator, kvm)
    if args.output:
        write_output_file(args.output, text)
    else:
        sys.stdout.write(text)
    return 0

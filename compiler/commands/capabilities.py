"""``domc capabilities``: host capabilities XML (host CPU, NUMA cells, guest machines)."""

from __future__ import annotations

import os
import sys

NAME = "capabilities"
HELP = "print host capabilities XML: host CPU, NUMA topology, guest machine types"


def add_arguments(parser) -> None:
    parser.add_argument("--host", metavar="FILE", help="host CPU from this file instead of this machine")
    parser.add_argument("--host-root", metavar="DIR", default="/",
                        help="read NUMA cells from DIR/sys and DIR/proc (default: /)")
    parser.add_argument("--profile", metavar="FILE", help="emulator profile (default: embedded QEMU 7.2)")
    parser.add_argument("--emulator", metavar="PATH", default="/usr/bin/qemu-system-x86_64",
                        help="emulator path to report")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the document here (a recorded host: a directory of them is a fleet "
                             "for cpu-matrix and migrate-check)")


def run(args) -> int:
    from ..cpu.capabilities import capabilities_xml, read_numa
    from ..cpu.host import load_host
    from ..profile import load_profile

    from ..inputs import write_output_file

    host = load_host(args.host)
    kvm = args.host is None and os.access("/dev/kvm", os.R_OK | os.W_OK)
    text = capabilities_xml(host, read_numa(args.host_root), load_profile(args.profile), args.emulator, kvm)
    if args.output:
        write_output_file(args.output, text)
    else:
        sys.stdout.write(text)
    return 0

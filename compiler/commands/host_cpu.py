"""``domc host-cpu``: this machine's CPU (or a CPUID dump's) as host ``<cpu>`` XML."""

from __future__ import annotations

import sys

NAME = "host-cpu"
HELP = "decode the host CPU (or a CPUID dump) into <cpu> XML: model, vendor, extra features"


def add_arguments(parser) -> None:
    parser.add_argument("--cpuid", metavar="FILE",
                        help="decode this CPUID dump (libvirt <cpudata> XML or `cpuid -r` output)")


def run(args) -> int:
    from ..cpu.host import from_cpuid_file, from_this_machine
    from ..cpu.render import cpu_xml

    cpu = from_cpuid_file(args.cpuid) if args.cpuid else from_this_machine()
    sys.stdout.write(cpu_xml(cpu) + "\n")
    return 0

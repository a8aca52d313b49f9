"""``domc cpu-compare``: is a CPU definition usable on a host CPU?"""

from __future__ import annotations

import sys

NAME = "cpu-compare"
HELP = "compare a <cpu> with the host CPU: IDENTICAL, SUPERSET or INCOMPATIBLE (exit 0/0/1)"


def add_arguments(parser) -> None:
    parser.add_argument("--host", metavar="HOST",
                        help="host CPU: a recorded host (capabilities XML, a bare host <cpu>, domain "
                             "capabilities, a CPUID dump; default: this machine)")
    parser.add_argument("cpu", metavar="CPU.xml", help="the <cpu> to check (a domain XML works too)")


def run(args) -> int:
    from ..cpu.compare import compare
    from ..cpu.documents import load_one_cpu
    from ..cpu.host import load_host
    from ..cpu.models import catalogue

    cpu = load_one_cpu(args.cpu)
    host = load_host(args.host)
    result = compare(catalogue(), host, cpu)
    out = [result.verdict.value, *result.reasons]
    sys.stdout.write("\n".join(out) + "\n")
    return 0 if result.verdict.compatible else 1

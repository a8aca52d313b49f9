"""``domc cpu-compare``: is a CPU definition usable on a host CPU?"""

from __future__ import annotations

import sys

NAME = "cpu-compare"
HELP = "compare a <cpu> with the host CPU: IDENTICAL, SUPERSET or INCOMPATIBLE (exit 0/0/1)"


def add_arguments(parser) -> None:
    parser.add_argument("--host", metavar="HOST.xml",
                        help="host CPU: capabilities XML or a bare host <cpu> (default: this machine)")
    parser.add_argument("cpu", metavar="CPU.xml", help="the <cpu> to check (a domain XML works too)")


def run(args) -> int:
    from ..cli import EXIT_NEGATIVE, EXIT_OK
    from ..cpu.compare import compare
    from ..cpu.host import load_host
    from ..cpu.models import catalogue
    from ..cpu.xml import load_one_cpu

    cpu = load_one_cpu(args.cpu)
    host = load_host(args.host)
    result = compare(catalogue(), host, cpu)
    out = [result.verdict.value, *result.reasons]
    sys.stdout.write("\n".join(out) + "\n")
    return EXIT_OK if result.verdict.compatible else EXIT_NEGATIVE

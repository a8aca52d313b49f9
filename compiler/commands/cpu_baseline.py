"""``domc cpu-baseline``: the CPU definition every input CPU can run."""

from __future__ import annotations

import sys

NAME = "cpu-baseline"
HELP = "print the lowest common denominator <cpu> of the <cpu> elements in FILE..."


def add_arguments(parser) -> None:
    parser.add_argument("--features", action="store_true", help="list the model's features too")
    parser.add_argument("--migratable", action="store_true", help="leave out features that block migration")
    parser.add_argument("files", metavar="FILE", nargs="+",
                        help="documents holding <cpu> elements (bare, wrapped, one after the other, "
                             "capabilities XML, domain capabilities, CPUID dumps) or directories of them")


def run(args) -> int:
    from ..cpu.fleet import distinct_cpus, fleet_baseline
    from ..cpu.render import cpu_xml

    cpus, offers = distinct_cpus(args.files)
    result = fleet_baseline(cpus, offers, expand=args.features, migratable=args.migratable)
    if isinstance(result, str):  # CPUs of two vendors: a negative answer, as virsh gives it
        print(result, file=sys.stderr)
        return 1
    sys.stdout.write(cpu_xml(result) + "\n")
    return 0

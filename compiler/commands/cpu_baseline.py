"""``domc cpu-baseline``: the CPU definition every input CPU can run."""

from __future__ import annotations

import sys

NAME = "cpu-baseline"
HELP = "print the lowest common denominator <cpu> of the <cpu> elements in FILE..."


def add_arguments(parser) -> None:
    parser.add_argument("--features", action="store_true", help="list the model's features too")
    parser.add_argument("--migratable", action="store_true", help="leave out features that block migration")
    parser.add_argument("files", metavar="FILE", nargs="+",
                        help="documents holding <cpu> elements (bare, wrapped, or capabilities XML)")


def run(args) -> int:
    from ..cpu.baseline import baseline
    from ..cpu.models import catalogue
    from ..cpu.render import cpu_xml
    from ..cpu.xml import load_cpus

    cpus = [cpu for path in args.files for cpu in load_cpus(path)]
    result = baseline(catalogue(), cpus, expand=args.features, migratable=args.migratable)
    sys.stdout.write(cpu_xml(result) + "\n")
    return 0

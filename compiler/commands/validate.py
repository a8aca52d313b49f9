"""domc validate FILE.xml...: check domains without printing anything on success."""

from __future__ import annotations

import sys

from ..diagnostics import DomcError
from ._common import add_compile_options, env_from_args

NAME = "validate"
HELP = "check that domain XML files compile; exit 0 when all are good"


def add_arguments(p) -> None:
    p.add_argument("files", metavar="FILE.xml", nargs="+")
    add_compile_options(p)


def run(args) -> int:
    from ..api import compile_file

    bad = 0
    for path in args.files:
        env = env_from_args(args)
        try:
            compile_file(path, env)
        except DomcError as exc:
            bad += 1
            for d in exc.diagnostics:
                print(d.render(), file=sys.stderr)
    return 2 if bad else 0

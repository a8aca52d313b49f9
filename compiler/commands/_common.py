"""Options shared by the commands that compile a domain."""

from __future__ import annotations

import os

from ..diagnostics import Span, fail
from ..inputs import IO, STDIN

INPUT_SUFFIX = ".xml"


def add_compile_options(p) -> None:
    p.add_argument("--profile", metavar="FILE",
                   help="QEMU capability profile (JSON from `domc probe`); default: the "
                        "embedded QEMU 7.2 profile")
    p.add_argument("--host", metavar="FILE",
                   help="host CPU: capabilities XML or a bare <cpu>; default: this machine")
    p.add_argument("--host-root", metavar="DIR",
                   help="read host topology from a captured /proc + /sys tree")


def env_from_args(args):
    from ..api import make_env

    return make_env(args.profile, args.host, args.host_root)


def expand_inputs(paths) -> list[str]:
    """The domain files ``paths`` name, in order, each once: a file as given, ``-`` for
    standard input, a directory as every ``*.xml`` below it (sorted, hidden directories
    left out).  A directory without one is an ``io`` error; a path that does not exist
    is kept, for the reader to report."""
    out: list[str] = []
    for path in paths:
        if path != STDIN and os.path.isdir(path):
            found = sorted(_walk(path))
            if not found:
                raise fail(IO, f"no *{INPUT_SUFFIX} files in this directory", Span(path))
            out += found
        else:
            out.append(path)
    return list(dict.fromkeys(out))


def _walk(top: str):
    for base, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.endswith(INPUT_SUFFIX) and not name.startswith("."):
                yield os.path.join(base, name)

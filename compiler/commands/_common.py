"""Options shared by the commands that compile a domain."""

from __future__ import annotations


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
    """The domain files ``paths`` name, in order: a file as itself, a directory as
    every ``*.xml`` file beneath it (sorted by path, symlinked directories not
    followed), ``-`` (standard input) as itself.  A path that does not exist stays,
    so reading it reports the ``io`` error in its turn."""
    import os

    out: list[str] = []
    for path in paths:
        if path != "-" and os.path.isdir(path):
            found = []
            for top, dirs, files in os.walk(path):
                dirs.sort()
                found += [os.path.join(top, f) for f in files if f.endswith(".xml")]
            out += sorted(found, key=lambda p: os.path.relpath(p, path).split(os.sep))
        else:
            out.append(path)
    return out

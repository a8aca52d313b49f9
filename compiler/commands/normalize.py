"""domc normalize FILE.xml: the domain with everything the compile used filled in."""

from __future__ import annotations

import sys

from ._common import add_compile_options, add_lock_options, check_lock, env_from_args

NAME = "normalize"
HELP = "print the domain XML with machine, controllers, addresses and aliases filled in"


def add_arguments(p) -> None:
    p.add_argument("file", metavar="FILE.xml")
    p.add_argument("--migratable", action="store_true",
                   help="write the CPU a migration destination needs: resolved to a named "
                        "model and explicit features (optional ones settled by this host, "
                        "features that block migration left out)")
    add_compile_options(p)
    add_lock_options(p)


def run(args) -> int:
    from ..api import normalize_file
    from ..emit.xml import write_normalized

    env = env_from_args(args)
    env.cache["migratable"] = args.migratable
    dom, root = normalize_file(args.file, env)
    for w in env.diag.warnings:
        print(w.render(), file=sys.stderr)
    if check_lock(args, env, dom):
        return 1
    sys.stdout.buffer.write(write_normalized(root, dom, migratable=args.migratable))
    return 0

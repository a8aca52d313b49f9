"""domc abi-diff A [B]: what the guest would see change from A to B."""

from __future__ import annotations

import sys

from ._common import add_host_options

NAME = "abi-diff"
HELP = "list what the guest sees change between two domains, lockfiles, or one domain " \
       "under two QEMU versions; exit 0 identical, 1 different"


def add_arguments(p) -> None:
    p.add_argument("a", metavar="A", help="a domain XML file or a lockfile")
    p.add_argument("b", metavar="B", nargs="?",
                   help="a domain XML file or a lockfile (default: A again, to compare one "
                        "domain under --qemu-a and --qemu-b)")
    for side in ("a", "b"):
        which = p.add_mutually_exclusive_group()
        which.add_argument(f"--qemu-{side}", metavar="VERSION",
                           help=f"compile {side.upper()} with this embedded QEMU profile")
        which.add_argument(f"--profile-{side}", metavar="FILE",
                           help=f"compile {side.upper()} with this profile (from `domc probe`)")
    p.add_argument("--lock", metavar="FILE.lock",
                   help="compile the domain sides with this lockfile (as `compile --lock`)")
    add_host_options(p)
    p.add_argument("--format", choices=("text", "json"), default="text")


def facts_from(path: str, args, side: str) -> dict:
    """The facts of a lockfile as written, or of a domain compiled for ``side``."""
    from ..api import facts_of, make_env, normalize_file
    from ..inputs import parse_json, read_input_file
    from ..lockfile import lock_from_facts

    data = read_input_file(path)
    if data.lstrip()[:1] == b"{":
        return lock_from_facts(parse_json(data, path), path).facts
    env = make_env(getattr(args, f"profile_{side}"), args.host, args.host_root,
                   qemu=getattr(args, f"qemu_{side}"), lock=args.lock)
    dom, _ = normalize_file(path, env)
    return facts_of(dom, env)


def run(args) -> int:
    from ..emit.abidiff import abi_diff, render_json, render_text

    a = facts_from(args.a, args, "a")
    b = facts_from(args.b or args.a, args, "b")
    changes = abi_diff(a, b)
    out = render_json(changes, a, b) if args.format == "json" else render_text(changes, a, b)
    sys.stdout.write(out)
    return 1 if changes else 0

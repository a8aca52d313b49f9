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

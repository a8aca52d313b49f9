"""Options shared by the commands that compile a domain."""

from __future__ import annotations

import sys


def add_compile_options(p) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument("--profile", metavar="FILE",
                       help="QEMU capability profile (JSON from `domc probe`); default: the "
                            "embedded QEMU 7.2 profile")
    which.add_argument("--qemu", metavar="VERSION",
                       help="an embedded QEMU profile: 4.2, 5.0, 5.1, 5.2, 6.0, 6.1, 6.2, 7.0, "
                            "7.1, 7.2 (default) or 8.0")
    p.add_argument("--host", metavar="FILE",
                   help="host CPU: capabilities XML or a bare <cpu>; default: this machine")
    p.add_argument("--host-root", metavar="DIR",
                   help="read host topology from a captured /proc + /sys tree")


def hotplug_count(text: str) -> int:
    import argparse

    try:
        n = int(text)
    except ValueError:
        n = -1
    if not 0 <= n <= 256:
        raise argparse.ArgumentTypeError(f"expected a number of ports 0..256, not {text!r}")
    return n


def add_lock_options(p) -> None:
    p.add_argument("--lock", metavar="FILE.lock",
                   help="keep the addresses, ids, MACs and machine type this lockfile (from "
                        "`domc lock`) records; exit 1 with the differences when anything it "
                        "records would still change")
    p.add_argument("--hotplug", metavar="N", type=hotplug_count, default=0,
                   help="after addressing, add PCIe root ports (q35) or PCI bridges (i440fx) "
                        "until N empty hotplug places are left; no device moves")


def env_from_args(args):
    from ..api import make_env

    return make_env(args.profile, args.host, args.host_root, qemu=getattr(args, "qemu", None),
                    lock=getattr(args, "lock", None), hotplug=getattr(args, "hotplug", 0))


def check_lock(args, env, dom, as_json: bool = False) -> int:
    """With ``--lock``: 0 when the compile keeps every locked fact, else 1 after
    printing what would change (stderr; stdout as JSON with ``as_json``)."""
    if env.lock is None:
        return 0
    from ..api import facts_of
    from ..emit.abidiff import lock_changes, render_json

    now = facts_of(dom, env)
    changes = lock_changes(env.lock.facts, now)
    if not changes:
        return 0
    if as_json:
        sys.stdout.write(render_json(changes, env.lock.facts, now))
    for c in changes:
        print(f"{args.file}: the lock {env.lock.path} would change: {c.text()}", file=sys.stderr)
    return 1

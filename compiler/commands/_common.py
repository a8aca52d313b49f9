"""Options shared by the commands that compile a domain."""

from __future__ import annotations

import os

from ..diagnostics import Span, fail
from ..runtime import DEFAULT_RUN_DIR, DEFAULT_STATE_DIR, HostDirs


def add_compile_options(p) -> None:
    p.add_argument("--profile", metavar="FILE",
                   help="QEMU capability profile (JSON from `domc probe`); default: the "
                        "embedded QEMU 7.2 profile")
    p.add_argument("--host", metavar="FILE",
                   help="host CPU: capabilities XML or a bare <cpu>; default: this machine")
    p.add_argument("--host-root", metavar="DIR",
                   help="read host topology from a captured /proc + /sys tree")
    add_dir_options(p)


def add_dir_options(p) -> None:
    """Where the helpers' sockets, the guest's user data and its secrets live."""
    p.add_argument("--run-dir", metavar="DIR", default=DEFAULT_RUN_DIR,
                   help="helper sockets and logs, DIR/NAME/ per domain (default: %(default)s)")
    p.add_argument("--state-dir", metavar="DIR", default=DEFAULT_STATE_DIR,
                   help="TPM state and UEFI variables, created when absent and never "
                        "overwritten (default: %(default)s)")
    p.add_argument("--secrets-dir", metavar="DIR",
                   help="one file per secret, named by its uuid (default: STATE_DIR/secrets)")
    p.add_argument("--secret", metavar="KEY=FILE", action="append", default=[],
                   help="read the secret whose uuid (or usage) is KEY from FILE; repeatable")


def dirs_from_args(args):
    """HostDirs from the options of add_dir_options (a bad --secret is an error)."""
    secrets = []
    for item in args.secret:
        key, sep, path = item.partition("=")
        if not sep or not key or not path:
            raise fail("usage", f"--secret {item!r}: expected KEY=FILE (KEY a secret's uuid or "
                       "usage)", Span(args.command))
        secrets.append((key, os.path.abspath(path)))
    # swtpm's options (--ctrl path=...,mode=...) have no escape for a comma
    for option, path in (("--run-dir", args.run_dir), ("--state-dir", args.state_dir),
                         ("--secrets-dir", args.secrets_dir or ""),
                         *(("--secret", p) for _, p in secrets)):
        if "," in path:
            raise fail("usage", f"{option} {path!r}: a path domc hands to its helpers cannot "
                       "contain ','", Span(args.command))
    return HostDirs(run_dir=os.path.abspath(args.run_dir),
                    state_dir=os.path.abspath(args.state_dir),
                    secrets_dir=os.path.abspath(args.secrets_dir) if args.secrets_dir else None,
                    secrets=tuple(secrets))


def env_from_args(args):
    from ..api import make_env

    return make_env(args.profile, args.host, args.host_root, dirs_from_args(args))

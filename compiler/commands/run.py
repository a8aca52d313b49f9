"""domc run: launch QEMU for a domain with its affinity plan applied."""

from __future__ import annotations

import os
import sys

from ..diagnostics import Span
from ..emit.taskset import plan_from_json
from ..placement.runner import run_guest
from ._common import add_dir_options, dirs_from_args
from ._launch import launch_argv
from ._qmpargs import check_new_socket, runtime_dir, socket_for

NAME = "run"
HELP = ("launch the guest with pinning applied and its helpers (swtpm, virtiofsd, "
        "vhost-user-gpu) started; --check verifies it against the plan and stops")


def add_arguments(parser) -> None:
    parser.add_argument("file", metavar="FILE.xml")
    parser.add_argument("--check", action="store_true", help="verify threads against the plan, then quit the guest")
    parser.add_argument("--qmp", metavar="SOCK", help="QMP socket path (default: per guest name)")
    add_dir_options(parser)


def _compile(path: str, host_root: str | None, dirs=None):
    from ..api import compile_file, make_env

    result = compile_file(path, make_env(host_root=host_root, dirs=dirs))
    return launch_argv(result.argv, result.env, result.autoports, result.autocids), result.plan


def _guest_name(argv: list[str], path: str) -> str:
    for opt, value in zip(argv, argv[1:]):
        if opt == "-name":
            first = value.split(",")[0]
            return first.split("=", 1)[1] if first.startswith("guest=") else first
    return os.path.splitext(os.path.basename(path))[0]


def run(args) -> int:
    # always this machine: it is where QEMU runs
    argv, plan = _compile(args.file, None, dirs_from_args(args))
    if isinstance(plan, dict):
        plan = plan_from_json(plan)
    sock = args.qmp
    if sock is None and not args.check:
        os.makedirs(runtime_dir(), mode=0o700, exist_ok=True)
        sock = socket_for(_guest_name(argv, args.file))
    if sock is not None:
        check_new_socket(sock)
    result = run_guest(list(argv), plan, check=args.check, sock=sock, where=Span(args.file))
    for line in result.mismatches:
        print(f"{args.file}: mismatch: {line}", file=sys.stderr)
    return 1 if result.mismatches else 0

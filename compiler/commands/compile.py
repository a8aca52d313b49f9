"""domc compile FILE.xml: print the QEMU command line."""

from __future__ import annotations

import json
import shlex
import sys

from ._common import add_compile_options, add_lock_options, check_lock, env_from_args

NAME = "compile"
HELP = "compile a domain XML file to a QEMU command line"
FORMATS = ("args", "argv", "json", "shell")


def add_arguments(p) -> None:
    p.add_argument("file", metavar="FILE.xml")
    p.add_argument("--format", choices=FORMATS, default="args",
                   help="args: shell-quoted, one option per line (default); argv: one argument "
                        "per line; json: {argv, plan, warnings}; shell: a runnable launcher "
                        "that applies the CPU/memory placement plan")
    add_compile_options(p)
    add_lock_options(p)


def shell_lines(argv) -> str:
    """One option per line with backslash continuations, every word shell-quoted."""
    lines = [shlex.quote(argv[0])]
    i = 1
    while i < len(argv):
        word = argv[i]
        if word.startswith("-") and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            lines.append(f"{shlex.quote(word)} {shlex.quote(argv[i + 1])}")
            i += 2
        else:
            lines.append(shlex.quote(word))
            i += 1
    return " \\\n".join(lines) + "\n"


def run(args) -> int:
    from ..api import compile_file

    env = env_from_args(args)
    result = compile_file(args.file, env)
    for w in result.warnings:
        print(w, file=sys.stderr)
    if check_lock(args, env, result.domain, as_json=args.format == "json"):
        return 1
    argv = list(result.argv)
    if args.format == "json":
        from ..emit.taskset import plan_json

        out = json.dumps({"argv": argv, "plan": plan_json(result.plan), "warnings": list(result.warnings)},
                         indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    elif args.format == "argv":
        out = "".join(a + "\n" for a in argv)
    elif args.format == "shell":
        from ..emit.shell import shell_launcher

        out = shell_launcher(argv, result.plan)
    else:
        out = shell_lines(argv)
    sys.stdout.write(out)
    return 0

"""domc compile FILE.xml: print the QEMU command line."""

from __future__ import annotations

import json
import shlex
import sys

from ._common import add_compile_options, env_from_args

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


def shell_lines(argv, env=()) -> str:
    """One option per line with backslash continuations, every word shell-quoted; QEMU's
    environment first, one NAME=value a line (libvirt's .args look)."""
    lines = [shlex.quote(f"{k}={v}") for k, v in env] + [shlex.quote(argv[0])]
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


def autoport_json(a) -> dict:
    """A port the launcher chooses: in the argument of ``option``, ``key=placeholder``
    becomes the first free TCP port from ``first`` to ``last``, none of ``avoid`` (and
    none chosen for an earlier entry)."""
    return {"option": a.option, "key": a.key, "placeholder": a.placeholder, "first": a.first,
            "last": a.last, "avoid": list(a.avoid)}


def run(args) -> int:
    from ..api import compile_file

    env = env_from_args(args)
    result = compile_file(args.file, env)
    for w in result.warnings:
        print(w, file=sys.stderr)
    argv = list(result.argv)
    if args.format == "json":
        from ..emit.taskset import plan_json

        doc = {"argv": argv, "plan": plan_json(result.plan), "warnings": list(result.warnings)}
        if result.env:
            doc["env"] = dict(result.env)
        if result.autoports:
            doc["autoports"] = [autoport_json(a) for a in result.autoports]
        out = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    elif args.format == "argv":
        if result.env:  # an argv that still runs: env(1) sets the variables
            argv = ["env", *(f"{k}={v}" for k, v in result.env), *argv]
        out = "".join(a + "\n" for a in argv)
    elif args.format == "shell":
        from ..emit.shell import shell_launcher

        out = shell_launcher(argv, result.plan, result.env, result.autoports)
    else:
        out = shell_lines(argv, result.env)
    sys.stdout.write(out)
    return 0

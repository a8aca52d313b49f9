"""domc compile FILE.xml: print the QEMU command line."""

from __future__ import annotations

import json
import shlex
import sys

from ..diagnostics import DomcError, Severity
from ._common import add_check_options, add_compile_options, add_lock_options, check_input, \
    check_lock, env_from_args

NAME = "compile"
HELP = "compile a domain XML file to a QEMU command line"
FORMATS = ("args", "argv", "json", "shell")


def add_arguments(p) -> None:
    p.add_argument("file", metavar="FILE.xml")
    p.add_argument("--format", choices=FORMATS, default="args",
                   help="args: shell-quoted, one option per line (default); argv: one argument "
                        "per line; json: {argv, plan, warnings, diagnostics}, or {diagnostics} "
                        "when it fails; shell: a runnable launcher that applies the CPU/memory "
                        "placement plan")
    add_check_options(p)
    add_compile_options(p)
    add_lock_options(p)


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
    from ._report import diagnostic_json

    try:
        env = env_from_args(args)
        schema = None
        if args.schema is not None:
            from ..schema import load_schema

            schema = load_schema(args.schema)
    except DomcError as exc:  # an option's file: the same report, JSON included
        result, diags = None, exc.diagnostics
    else:
        result, diags = check_input(args.file, env, schema)
    for d in diags:
        print(d.render(), file=sys.stderr)
    found = {d.severity for d in diags}
    status = 2 if Severity.ERROR in found else 1 if args.strict and found else 0
    as_json = [diagnostic_json(d, args.file) for d in diags]
    if status:  # no command line: errors, or warnings under --strict
        if args.format == "json":
            sys.stdout.write(json.dumps({"diagnostics": as_json}, indent=2, sort_keys=True,
                                        ensure_ascii=False) + "\n")
        return status
    if check_lock(args, env, result.domain, as_json=args.format == "json"):
        return 1
    argv = list(result.argv)
    if args.format == "json":
        from ..emit.taskset import plan_json

        doc = {"argv": argv, "plan": plan_json(result.plan), "warnings": list(result.warnings),
               "diagnostics": as_json}
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

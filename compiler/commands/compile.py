"""domc compile FILE|DIR|- ...: print (or write, one file per domain) QEMU command lines.

One domain prints to standard output.  Several (more than one file, or a directory)
need ``--out-dir``: each domain's output goes to ``DIR/NAME.EXT`` (NAME the file name
without ``.xml``), compiled in ``--jobs`` processes.  A batch writes exactly the bytes
each domain gives compiled alone, and its standard error is each domain's, in input
order; a domain that fails writes nothing and does not stop the others.
"""

from __future__ import annotations

import json
import os
import shlex
import sys

from ._common import add_compile_options, env_from_args, expand_inputs

NAME = "compile"
HELP = "compile domain XML files to QEMU command lines"
FORMATS = ("args", "argv", "json", "shell")
EXTENSIONS = {"args": ".args", "argv": ".argv", "json": ".json", "shell": ".sh"}

EXIT_FAILED = 2
EXIT_INTERNAL = 70


def add_arguments(p) -> None:
    from ._batch import positive_int

    p.add_argument("files", metavar="FILE|DIR|-", nargs="+",
                   help="domain XML files; a directory stands for every *.xml beneath it "
                        "(sorted); - reads standard input")
    p.add_argument("--format", choices=FORMATS, default="args",
                   help="args: shell-quoted, one option per line (default); argv: one argument "
                        "per line; json: {argv, plan, warnings}; shell: a runnable launcher "
                        "that applies the CPU/memory placement plan")
    p.add_argument("--out-dir", metavar="DIR",
                   help="write each domain's output to DIR/NAME.args (.argv, .json, .sh by "
                        "--format), NAME being the file name without .xml; needed for more "
                        "than one domain")
    p.add_argument("--jobs", "-j", type=positive_int, metavar="N",
                   help="compile in N processes (default: the CPUs there are)")
    add_compile_options(p)


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


def render(result, fmt: str) -> str:
    """The text ``--format fmt`` writes for a compiled domain."""
    argv = list(result.argv)
    if fmt == "json":
        from ..emit.taskset import plan_json

        return json_text({"argv": argv, "plan": plan_json(result.plan),
                          "warnings": list(result.warnings)}) + "\n"
    if fmt == "argv":
        return "".join(a + "\n" for a in argv)
    if fmt == "shell":
        from ..emit.shell import shell_launcher

        return shell_launcher(argv, result.plan)
    return shell_lines(argv)


def json_text(value) -> str:
    """``json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)``, the same
    bytes, written through the C string encoder: with ``indent`` set, json falls back
    to its pure-Python encoder, which cost a batch more than reading the domain.
    Anything but str-keyed dicts, lists, strings, ints, booleans and None goes to
    json itself."""
    out: list[str] = []
    try:
        _json_into(value, out, "\n")
    except _NotPlain:
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return "".join(out)


class _NotPlain(Exception):
    pass


def _json_into(value, out: list[str], nl: str) -> None:
    if isinstance(value, str):
        out.append(_encode_str(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif type(value) is int:
        out.append(int.__repr__(value))
    elif type(value) is list or type(value) is tuple:
        if not value:
            out.append("[]")
            return
        inner = nl + "  "
        out.append("[")
        for i, item in enumerate(value):
            out.append(inner if i == 0 else "," + inner)
            _json_into(item, out, inner)
        out.append(nl + "]")
    elif type(value) is dict:
        if not value:
            out.append("{}")
            return
        if not all(type(k) is str for k in value):
            raise _NotPlain
        inner = nl + "  "
        out.append("{")
        for i, key in enumerate(sorted(value)):
            out.append(inner if i == 0 else "," + inner)
            out.append(_encode_str(key))
            out.append(": ")
            _json_into(value[key], out, inner)
        out.append(nl + "}")
    else:
        raise _NotPlain


def _encode_str(s: str) -> str:
    return json.encoder.encode_basestring(s)


# ------------------------------------------------------------------ one domain

_WORK: dict = {}  # what every domain of a run shares: the Env template and the format


def _prepare(env, fmt: str) -> None:
    _WORK["env"], _WORK["format"] = env, fmt


def compile_one(path: str) -> tuple[str | None, str, int]:
    """(output or None, standard error text, exit status) for one domain, as a plain
    value a worker process can hand back."""
    from ..api import compile_file, next_env
    from ..diagnostics import DomcError

    try:
        result = compile_file(path, next_env(_WORK["env"]))
    except DomcError as exc:
        return None, "".join(d.render() + "\n" for d in exc.diagnostics), EXIT_FAILED
    except Exception as exc:  # a bug in domc: reported for this file, the others go on
        return None, (f"domc: internal error: {path}: {type(exc).__name__}: {exc} (please "
                      "report this with the input that caused it)\n"), EXIT_INTERNAL
    err = "".join(w + "\n" for w in result.warnings)
    return render(result, _WORK["format"]), err, 0


def _lost(path: str) -> tuple[None, str, int]:
    return None, (f"domc: internal error: {path}: the process compiling it died (please "
                  "report this with the input that caused it)\n"), EXIT_INTERNAL


# ------------------------------------------------------------------ the command


def run(args) -> int:
    from ..diagnostics import DomcError, Span, fail

    paths = expand_inputs(args.files)
    many = len(paths) > 1 or any(p != "-" and os.path.isdir(p) for p in args.files)
    if many and args.out_dir is None:
        raise fail("usage", f"{len(paths)} domains to compile: give --out-dir DIR for their "
                   "outputs (one file per domain)", Span(NAME))
    targets = _targets(paths, args.out_dir, args.format) if args.out_dir else None
    env = env_from_args(args)  # the profile and host files: read once, for every domain
    if targets is None:
        _prepare(env, args.format)
        out, err, status = compile_one(paths[0])
        sys.stderr.write(err)
        if out is not None:
            sys.stdout.write(out)
        return status
    _make_dir(args.out_dir)
    from ..inputs import write_domain_output
    from ._batch import Progress, default_jobs, run_ordered

    progress = Progress(len(paths), "domains")
    worst = 0
    results = run_ordered(compile_one, paths, args.jobs or default_jobs(),
                          _prepare, (env, args.format), lost=_lost)
    for done, (target, (out, err, status)) in enumerate(zip(targets, results), 1):
        if err:
            progress.write(err)
        if out is not None:
            try:
                write_domain_output(target, out, executable=args.format == "shell")
            except DomcError as exc:
                progress.write("".join(d.render() + "\n" for d in exc.diagnostics))
                status = EXIT_FAILED
        worst = max(worst, status)
        progress.step(done)
    progress.clear()
    return worst


def _targets(paths: list[str], out_dir: str, fmt: str) -> list[str]:
    """The output file of each input; two inputs of one name are refused before any
    is compiled (one output would overwrite the other)."""
    from ..diagnostics import Diagnostic, DomcError, Span

    errors, seen, out = [], {}, []
    for path in paths:
        if path == "-":
            errors.append(Diagnostic("out-name", "standard input has no file name to name its "
                                     "output after; compile it alone, without --out-dir",
                                     Span("<stdin>")))
            continue
        base = os.path.basename(path)
        name = (base[:-4] if base.endswith(".xml") else base) + EXTENSIONS[fmt]
        if name in seen:
            errors.append(Diagnostic("out-name", f"its output would be {name}, as for "
                                     f"{seen[name]}: compile them into different directories",
                                     Span(path)))
        seen.setdefault(name, path)
        out.append(os.path.join(out_dir, name))
    if errors:
        raise DomcError(errors)
    return out


def _make_dir(path: str) -> None:
    from ..diagnostics import Span, fail

    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise fail("io", f"cannot create directory: {exc.strerror or type(exc).__name__}",
                   Span(path)) from None

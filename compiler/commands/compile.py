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

from ._common import add_check_options, add_compile_options, add_lock_options, \
    env_from_args, expand_inputs, split_schema_option

NAME = "compile"
HELP = "compile domain XML files to QEMU command lines"
FORMATS = ("args", "argv", "json", "shell")
EXTENSIONS = {"args": ".args", "argv": ".argv", "json": ".json", "shell": ".sh"}

EXIT_FAILED = 2
EXIT_INTERNAL = 70


def add_arguments(p) -> None:
    from ._batch import DOMAINS_PER_WORKER, positive_int

    p.add_argument("files", metavar="FILE|DIR|-", nargs="+",
                   help="domain XML files; a directory stands for every *.xml beneath it "
                        "(sorted); - reads standard input")
    p.add_argument("--format", choices=FORMATS, default="args",
                   help="args: shell-quoted, one option per line (default); argv: one argument "
                        "per line; json: {argv, plan, warnings, diagnostics}, or {diagnostics} "
                        "when it fails; shell: a runnable launcher that applies the CPU/memory "
                        "placement plan")
    p.add_argument("--out-dir", metavar="DIR",
                   help="write each domain's output to DIR/NAME.args (.argv, .json, .sh by "
                        "--format), NAME being the file name without .xml; needed for more "
                        "than one domain")
    p.add_argument("--jobs", "-j", type=positive_int, metavar="N",
                   help="compile in N processes (default: the CPUs there are, but no more than "
                        f"one per {DOMAINS_PER_WORKER} domains: a smaller batch runs in this one)")
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


def autocid_json(a) -> dict:
    """A vsock guest CID the launcher chooses: in the -device whose id is ``device``,
    ``"guest-cid":placeholder`` becomes the first CID from ``first`` that the host
    kernel has not given out (VHOST_VSOCK_SET_GUEST_CID on /dev/vhost-vsock)."""
    return {"device": a.device, "placeholder": a.placeholder, "first": a.first}


def render(result, fmt: str, diagnostics: list | tuple = ()) -> str:
    """The text ``--format fmt`` writes for a compiled domain (``diagnostics``: its
    warnings as JSON objects, for ``json``)."""
    argv = list(result.argv)
    if fmt == "json":
        from ..emit.taskset import plan_json

        doc = {"argv": argv, "plan": plan_json(result.plan), "warnings": list(result.warnings),
               "diagnostics": list(diagnostics)}
        if result.env:
            doc["env"] = dict(result.env)
        if result.autoports:
            doc["autoports"] = [autoport_json(a) for a in result.autoports]
        if result.autocids:
            doc["autocids"] = [autocid_json(a) for a in result.autocids]
        return json_text(doc) + "\n"
    if fmt == "argv":
        if result.env:  # an argv that still runs: env(1) sets the variables
            argv = ["env", *(f"{k}={v}" for k, v in result.env), *argv]
        return "".join(a + "\n" for a in argv)
    if fmt == "shell":
        from ..emit.shell import shell_launcher

        return shell_launcher(argv, result.plan, result.env, result.autoports, result.autocids)
    return shell_lines(argv, result.env)


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
        if all(type(item) is str for item in value):
            # a list of strings (the argv): encoded and joined in C, not word by word
            out.append("[" + inner + ("," + inner).join(map(_ENCODE_STR, value)) + nl + "]")
            return
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


_ENCODE_STR = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses


# ------------------------------------------------------------------ one domain

_WORK: dict = {}  # what every domain of a run shares: the Env template, schema, options


def _prepare(env, fmt: str, schema=None, strict: bool = False) -> None:
    _WORK.update(env=env, format=fmt, schema=schema, strict=strict)


def compile_one(path: str) -> tuple[str | None, str, int]:
    """(output or None, standard error text, exit status) for one domain, as a plain
    value a worker process can hand back.  A failed domain (errors; warnings under
    ``--strict``; a ``--lock`` fact that would change) has a non-zero status and, with
    ``--format json``, its diagnostics (or the lock's changes) as output."""
    from ..diagnostics import DomcError, Severity
    from ._common import check_input, lock_report
    from ._report import diagnostic_json

    env, fmt = _WORK["env"], _WORK["format"]
    try:
        result, diags = check_input(path, env, _WORK["schema"])
        err = "".join(d.render() + "\n" for d in diags)
        found = {d.severity for d in diags}
        status = EXIT_FAILED if Severity.ERROR in found else \
            1 if _WORK["strict"] and found else 0
        as_json = [diagnostic_json(d, path) for d in diags]
        if status:  # no command line: errors, or warnings under --strict
            return (json_text({"diagnostics": as_json}) + "\n" if fmt == "json" else None,
                    err, status)
        changed = lock_report(path, env, result.domain, as_json=fmt == "json")
        if changed is not None:
            return changed[0] or None, err + changed[1], 1
        return render(result, fmt, as_json), err, 0
    except DomcError as exc:
        return None, "".join(d.render() + "\n" for d in exc.diagnostics), EXIT_FAILED
    except Exception as exc:  # a bug in domc: reported for this file, the others go on
        return None, (f"domc: internal error: {path}: {type(exc).__name__}: {exc} (please "
                      "report this with the input that caused it)\n"), EXIT_INTERNAL


def compile_into(job: tuple[str, str]) -> tuple[str, int]:
    """:func:`compile_one` of ``job``'s input, its output written to ``job``'s target
    where the domain compiled (a failed domain writes nothing): (standard error text,
    exit status).  Run where the domain is compiled, so a worker process writes its
    own domains' files."""
    from ..diagnostics import DomcError
    from ..inputs import write_domain_output

    path, target = job
    out, err, status = compile_one(path)
    if out is not None and status == 0:
        try:
            write_domain_output(target, out, executable=_WORK["format"] == "shell")
        except DomcError as exc:
            err += "".join(d.render() + "\n" for d in exc.diagnostics)
            status = EXIT_FAILED
    return err, status


def _lost_into(job: tuple[str, str]) -> tuple[str, int]:
    return (f"domc: internal error: {job[0]}: the process compiling it died (please "
            "report this with the input that caused it)\n"), EXIT_INTERNAL


# ------------------------------------------------------------------ the command


def run(args) -> int:
    from ..diagnostics import DomcError, Span, fail
    from ._report import diagnostic_json

    names, schema_dir = split_schema_option(args.files, args.schema)
    paths = expand_inputs(names)
    many = len(paths) > 1 or any(p != "-" and os.path.isdir(p) for p in names)
    if many and args.out_dir is None:
        raise fail("usage", f"{len(paths)} domains to compile: give --out-dir DIR for their "
                   "outputs (one file per domain)", Span(NAME))
    targets = _targets(paths, args.out_dir, args.format) if args.out_dir else None
    try:  # the profile, host, lock and schema files: read once, for every domain
        env = env_from_args(args)
        schema = None
        if schema_dir is not None:
            from ..schema import load_schema

            schema = load_schema(schema_dir)
    except DomcError as exc:  # an option's file: the same report, JSON included
        for d in exc.diagnostics:
            print(d.render(), file=sys.stderr)
        if args.format == "json":
            sys.stdout.write(json_text({"diagnostics": [diagnostic_json(d, paths[0])
                                                        for d in exc.diagnostics]}) + "\n")
        return EXIT_FAILED
    if targets is None:
        _prepare(env, args.format, schema, args.strict)
        out, err, status = compile_one(paths[0])
        sys.stderr.write(err)
        if out is not None:
            sys.stdout.write(out)
        return status
    _make_dir(args.out_dir)
    from ._batch import Progress, default_jobs, run_ordered

    progress = Progress(len(paths), "domains")
    worst = 0
    results = run_ordered(compile_into, list(zip(paths, targets)),
                          args.jobs or default_jobs(len(paths)),
                          _prepare, (env, args.format, schema, args.strict), lost=_lost_into)
    for done, (err, status) in enumerate(results, 1):
        if err:
            progress.write(err)
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

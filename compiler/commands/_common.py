"""Options and helpers shared by the commands that compile domains."""

from __future__ import annotations

import os
import sys

from ..diagnostics import Diagnostic, DomcError, Span, fail
from ..inputs import IO, STDIN, display_name, read_input_file
from ..record import evolve
from ..runtime import DEFAULT_RUN_DIR, DEFAULT_STATE_DIR, HostDirs

INPUT_SUFFIX = ".xml"


def add_compile_options(p) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument("--profile", metavar="FILE",
                       help="QEMU capability profile (JSON from `domc probe`); default: the "
                            "embedded QEMU 7.2 profile")
    which.add_argument("--qemu", metavar="VERSION",
                       help="an embedded QEMU profile: 4.2, 5.0, 5.1, 5.2, 6.0, 6.1, 6.2, 7.0, "
                            "7.1, 7.2 (default) or 8.0")
    add_host_options(p)
    add_dir_options(p)


def add_host_options(p) -> None:
    """The host a compile targets: its CPU and its topology (default: this machine)."""
    p.add_argument("--host", metavar="FILE",
                   help="host CPU: capabilities XML or a bare <cpu>; default: this machine")
    p.add_argument("--host-root", metavar="DIR",
                   help="read host topology from a captured /proc + /sys tree")


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


def add_check_options(p) -> None:
    """``--strict`` and ``--schema[=DIR]``, for the commands that check domains."""
    from ..schema import DEFAULT_DIR

    p.add_argument("--strict", action="store_true",
                   help="warnings fail too (exit 1 when there are warnings but no errors)")
    p.add_argument("--schema", nargs="?", const=DEFAULT_DIR, default=None, metavar="DIR",
                   help="also check each file against libvirt's RelaxNG domain schema "
                        f"(default {DEFAULT_DIR}, Debian package libvirt0; write --schema=DIR "
                        "for another copy)")


def split_schema_option(files: list[str], schema: str | None) -> tuple[list[str], str | None]:
    """``--schema`` takes an optional DIR, so ``--schema domains/`` is ambiguous: a value
    that is not a schema directory (no ``domain.rng`` in it) is one more input, checked
    against the default schema.  Returns (inputs, schema directory or None)."""
    from ..schema import DEFAULT_DIR, DOMAIN_SCHEMA

    if schema in (None, DEFAULT_DIR) or os.path.isfile(os.path.join(schema, DOMAIN_SCHEMA)):
        return files, schema
    return [schema, *files], DEFAULT_DIR


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
                    lock=getattr(args, "lock", None), hotplug=getattr(args, "hotplug", 0),
                    dirs=dirs_from_args(args))



def fresh_env(base):
    """An Env for one more domain: the profile and host facts of ``base`` (read once,
    shared), diagnostics of its own."""
    from ..api import next_env

    return next_env(base)


def expand_inputs(paths) -> list[str]:
    """The domain files ``paths`` name, in order, each once: a file as given, ``-`` for
    standard input, a directory as every ``*.xml`` below it (sorted, hidden directories
    left out).  A directory without one is an ``io`` error; a path that does not exist
    is kept, for the reader to report."""
    out: list[str] = []
    for path in paths:
        if path != STDIN and os.path.isdir(path):
            found = sorted(_walk(path))
            if not found:
                raise fail(IO, f"no *{INPUT_SUFFIX} files in this directory", Span(path))
            out += found
        else:
            out.append(path)
    return list(dict.fromkeys(out))


def _walk(top: str):
    for base, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.endswith(INPUT_SUFFIX) and not name.startswith("."):
                yield os.path.join(base, name)


def check_input(path: str, base_env, schema=None):
    """Compile one input the way ``validate`` checks it: (the Compiled result or None,
    every diagnostic, warnings included, in document order).  ``schema`` (from
    :func:`compiler.schema.load_schema`) adds libvirt's schema complaints."""
    from ..api import compile_source
    from ..xmldoc import MAX_BYTES

    name = display_name(path)
    try:
        data = read_input_file(path, MAX_BYTES)
    except DomcError as exc:
        return None, list(exc.diagnostics)
    diags: list[Diagnostic] = []
    if schema is not None:
        from ..schema import check_schema

        root = _document(data, name)
        if root is not None:
            diags += check_schema(schema, root, name)
    env = fresh_env(base_env)
    result = None
    try:
        result = compile_source(data, name, env)
        diags += env.diag.warnings
    except DomcError as exc:
        diags += env.diag.warnings + exc.diagnostics
    diags = _with_paths(diags, data, name)
    return result, sorted(diags, key=lambda d: (d.span.file != name, d.span.line))


def _document(data: bytes, name: str):
    from ..xmldoc import read_document

    try:
        return read_document(data, name)
    except DomcError:
        return None  # the compile reports it


def _with_paths(diags: list[Diagnostic], data: bytes, name: str) -> list[Diagnostic]:
    """Diagnostics that name a line of the document but no element get the element
    that starts on that line (the first one, when several do)."""
    missing = {d.span.line for d in diags if d.span.file == name and d.span.line and not d.span.path}
    if not missing:
        return diags
    root = _document(data, name)
    if root is None:
        return diags
    tree = root.getroottree()
    at_line: dict[int, str] = {}
    for el in root.iter():
        if isinstance(el.tag, str) and el.sourceline in missing and el.sourceline not in at_line:
            at_line[el.sourceline] = tree.getpath(el)
    return [evolve(d, span=evolve(d.span, path=at_line[d.span.line]))
            if d.span.file == name and not d.span.path and d.span.line in at_line else d
            for d in diags]


def check_lock(args, env, dom, as_json: bool = False) -> int:
    """With ``--lock``: 0 when the compile keeps every locked fact, else 1 after
    printing what would change (stderr; stdout as JSON with ``as_json``)."""
    report = lock_report(args.file, env, dom, as_json)
    if report is None:
        return 0
    out, err = report
    sys.stdout.write(out)
    sys.stderr.write(err)
    return 1


def lock_report(name: str, env, dom, as_json: bool = False) -> tuple[str, str] | None:
    """With ``--lock``: None when the compile of ``name`` keeps every locked fact, else
    (standard output: the changes as JSON with ``as_json``, standard error: one line
    per change)."""
    if env.lock is None:
        return None
    from ..api import facts_of
    from ..emit.abidiff import lock_changes, render_json

    now = facts_of(dom, env)
    changes = lock_changes(env.lock.facts, now)
    if not changes:
        return None
    out = render_json(changes, env.lock.facts, now) if as_json else ""
    err = "".join(f"{name}: the lock {env.lock.path} would change: {c.text()}\n"
                  for c in changes)
    return out, err

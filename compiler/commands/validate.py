"""domc validate FILE|DIR...: every diagnostic of every domain, in a format CI reads.

Each file is compiled as ``compile`` would (nothing is printed for it but its
diagnostics); a directory stands for every ``*.xml`` below it, ``-`` for standard
input.  Exit status: 0 no errors (and, with ``--strict``, no warnings), 1 warnings
under ``--strict``, 2 errors.  ``text`` goes to standard error, the other formats
to standard output.
"""

from __future__ import annotations

import sys

from ..diagnostics import DomcError, Severity, Span, fail
from ._common import (add_check_options, add_compile_options, check_input, env_from_args,
                      expand_inputs, split_schema_option)
from ._report import FORMATS, render

NAME = "validate"
HELP = "check domain XML files (or directories of them): every error and warning, exit 0 when all are good"


def add_arguments(p) -> None:
    p.add_argument("files", metavar="FILE|DIR", nargs="*",
                   help="domain XML files, directories of them (every *.xml below), - for stdin")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text: one line per diagnostic (default, on stderr); json: an array of "
                        "{file, line, column, severity, code, message, path}; github: GitHub "
                        "Actions annotations; junit: JUnit XML; sarif: SARIF 2.1.0")
    add_check_options(p)
    add_compile_options(p)


def exit_status(results, strict: bool) -> int:
    severities = {d.severity for _, diags in results for d in diags}
    if Severity.ERROR in severities:
        return 2
    return 1 if strict and Severity.WARNING in severities else 0


def run(args) -> int:
    names, schema_dir = split_schema_option(args.files, args.schema)
    if not names:
        raise fail("usage", "name at least one domain FILE or DIR to check (- for stdin)",
                   Span("domc validate"))
    try:
        files = expand_inputs(names)
        schema = None
        if schema_dir is not None:
            from ..schema import load_schema

            schema = load_schema(schema_dir)
        env = env_from_args(args)
    except DomcError as exc:  # an option or input nothing can be checked without
        results = [(d.span.file, [d]) for d in exc.diagnostics]
    else:
        results = [(path, check_input(path, env, schema)[1]) for path in files]
    out = render(args.format, results, args.strict)
    (sys.stderr if args.format == "text" else sys.stdout).write(out)
    return exit_status(results, args.strict)

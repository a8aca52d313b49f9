"""domc snapshot DIR...: compare every domain with its golden command line.

Each ``NAME.xml`` below DIR has a golden beside it: ``NAME.args`` (the command line
as ``domc compile`` prints it, one option per line, so a change reads as a small
diff) or, for a domain that must be refused, ``NAME.err`` (its diagnostics, named by
the file's base name).  ``--update`` writes the goldens that differ or are missing.
Exit status: 0 every golden matches (or was updated), 1 some differ or are missing,
2 unusable input.  The pytest plugin (:mod:`compiler.pytest_plugin`) runs the same
comparison as one test per domain.
"""

from __future__ import annotations

import difflib
import os
import sys

from ..record import evolve, frozen

from ..diagnostics import Span, fail
from ..inputs import STDIN, read_input_file, write_output_file
from ._common import add_compile_options, check_input, env_from_args, expand_inputs

NAME = "snapshot"
HELP = "compare every domain XML below DIR with its golden NAME.args (or NAME.err); --update writes them"

ARGS, ERR = ".args", ".err"


def add_arguments(p) -> None:
    p.add_argument("dirs", metavar="DIR|FILE", nargs="+",
                   help="directories of domain XML files (every *.xml below), or single files")
    p.add_argument("--update", action="store_true",
                   help="write the goldens that differ or are missing, and report which")
    add_compile_options(p)


@frozen
class Outcome:
    xml: str
    golden: str  # the golden file this compile should match
    expected: str | None  # its text, None when it does not exist
    got: str
    stale: str | None = None  # a golden of the other kind, which the result replaces

    @property
    def same(self) -> bool:
        return self.expected == self.got and self.stale is None

    def diff(self) -> str:
        if self.expected is None:
            text = f"{self.golden}: no golden; this is what domc gives:\n{self.got}"
        else:
            lines = difflib.unified_diff(self.expected.splitlines(keepends=True),
                                         self.got.splitlines(keepends=True),
                                         fromfile=self.golden, tofile=f"domc compile {self.xml}")
            text = "".join(ln if ln.endswith("\n") else ln + "\n" for ln in lines)
        if self.stale is not None:
            text += f"{self.stale}: golden of the other kind, no longer what domc gives\n"
        return text


def golden_base(xml: str) -> str:
    return xml[:-4] if xml.endswith(".xml") else xml


def render(xml: str, env) -> tuple[str, str]:
    """(golden suffix, golden text) of what ``xml`` compiles to now."""
    from .compile import shell_lines

    result, diags = check_input(xml, env)
    if result is not None:
        return ARGS, shell_lines(list(result.argv))
    name = os.path.basename(xml)
    lines = [evolve(d, span=evolve(d.span, file=name)).render() if d.span.file == xml else d.render()
             for d in diags]
    return ERR, "".join(ln + "\n" for ln in lines)


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def compare(xml: str, env) -> Outcome:
    from ._common import fresh_env

    suffix, got = render(xml, fresh_env(env))
    base = golden_base(xml)
    other = base + (ERR if suffix == ARGS else ARGS)
    return Outcome(xml, base + suffix, _read(base + suffix), got,
                   other if os.path.exists(other) else None)


def accept(outcome: Outcome) -> None:
    """Make ``outcome``'s golden what domc gives now (the explicit --update)."""
    write_output_file(outcome.golden, outcome.got)
    if outcome.stale is not None:
        os.unlink(outcome.stale)


def run(args) -> int:
    for path in args.dirs:  # a golden lives beside its domain: only real files
        if path == STDIN:
            raise fail("usage", "a domain on standard input has no golden beside it", Span(path))
        if os.path.isdir(path):
            continue
        read_input_file(path, 0)  # an io error when it is missing or unreadable
    env = env_from_args(args)
    outcomes = [compare(xml, env) for xml in expand_inputs(args.dirs)]
    bad = [o for o in outcomes if not o.same]
    for o in bad:
        if args.update:
            accept(o)
            print(f"updated {o.golden}")
        else:
            sys.stdout.write(o.diff())
    missing = sum(1 for o in bad if o.expected is None)
    summary = (f"domc snapshot: {len(outcomes)} domains, {len(outcomes) - len(bad)} as their golden, "
               f"{len(bad) - missing} differ, {missing} without one")
    if args.update and bad:
        summary += f"; {len(bad)} goldens written"
    print(summary, file=sys.stderr)
    return 0 if args.update or not bad else 1


"""domc explain FILE.xml: where every item of the command line comes from, what a part
of the XML became, and pictures of the guest's PCI topology and NUMA placement."""

from __future__ import annotations

import re
import sys

from ..diagnostics import Span, fail
from ._common import add_compile_options, env_from_args

NAME = "explain"
HELP = "show where every argument of the command line comes from (XML line or rule)"


def add_arguments(p) -> None:
    p.add_argument("file", metavar="FILE.xml")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text (default) or json, for tools")
    p.add_argument("--arg", metavar="PATTERN",
                   help="only the options and properties a regular expression matches")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--element", metavar="XPATH",
                       help="what the elements an XPath selects (relative to <domain>, or "
                            "absolute) became in the command line")
    which.add_argument("--line", metavar="N", type=int,
                       help="what the element on line N became in the command line")
    pic = p.add_mutually_exclusive_group()
    pic.add_argument("--tree", action="store_true",
                     help="the PCI topology as a tree in the form of lspci -t")
    pic.add_argument("--svg", action="store_true",
                     help="an SVG picture: the PCI topology and the NUMA placement")
    pic.add_argument("--html", action="store_true",
                     help="one self-contained HTML page: the pictures, the tree and the "
                          "explained command line")
    add_compile_options(p)


def _select(ex, args) -> list:
    from ..explain.render import element_at_line

    where = Span(args.file)
    if args.line is not None:
        el = element_at_line(ex, args.line)
        if el is None:
            raise fail("usage", f"--line {args.line}: no element starts on or before "
                       "that line", where)
        return [el]
    try:
        found = ex.locator.select(args.element)
    except Exception as exc:  # lxml's XPath errors
        raise fail("usage", f"--element {args.element!r} is not an XPath expression "
                   f"({exc})", where) from None
    if not found:
        raise fail("usage", f"--element {args.element!r} selects no element", where)
    return found


def run(args) -> int:
    from ..explain.core import explain_file
    from ..explain import render

    env = env_from_args(args)
    ex = explain_file(args.file, env)
    for d in env.diag.warnings:
        print(d.render(), file=sys.stderr)
    if args.tree:
        sys.stdout.write(render.pci_tree(ex))
        return 0
    if args.svg:
        sys.stdout.write(render.svg(ex))
        return 0
    if args.html:
        sys.stdout.write(render.html(ex))
        return 0
    chosen, selected = None, None
    if args.element is not None or args.line is not None:
        selected = _select(ex, args)
        chosen = render.became(ex, selected)
    if args.arg is not None:
        try:
            re.compile(args.arg)
        except re.error as exc:
            raise fail("usage", f"--arg {args.arg!r} is not a regular expression "
                       f"({exc})", Span(args.file)) from None
        found = render.match_arg(ex, args.arg)
        if chosen is not None:
            keep = {id(o) for o, _ in chosen}
            found = [(o, p) for o, p in found if id(o) in keep]
        chosen = found
    if args.format == "json":
        sys.stdout.write(render.as_json(ex, chosen, selected))
        return 0
    if selected is not None:
        heads = ", ".join(f"line {e.sourceline} {ex.locator.describe(e)}" for e in selected)
        print(f"{heads} became:" if chosen else f"{heads}: nothing in the command line "
              "comes from it")
    if chosen is None or chosen:
        sys.stdout.write(render.text(ex, chosen))
    return 0

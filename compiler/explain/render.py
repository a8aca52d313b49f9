"""``domc explain`` output: the argv with the source of every item (text or JSON),
the reverse question (what an element became), and the pictures (SVG, HTML)."""

from __future__ import annotations

import json
import re
from xml.sax.saxutils import escape

from ..placement.host import host_topology
from .core import Explained
from .model import Option, Origin, Prop, Source
from .pcitree import from_domain, tree_text
from .svg import WIDTH, document, numa_svg, pci_svg

PROP_WIDTH = 34


def source_text(s: Source) -> str:
    if s.origin is Origin.XML:
        return f"line {s.line}: {s.reason}" if s.line else s.reason
    if s.origin is Origin.RULE:
        where = f" [for line {s.line}]" if s.line else ""
        return f"{s.rule}: {s.reason}{where}"
    if s.origin is Origin.FIXED:
        return f"always: {s.reason}"
    return f"UNKNOWN: {s.reason}"


def option_text(o: Option, props: tuple[Prop, ...] | None = None) -> str:
    props = o.props if props is None else props
    lines = [" ".join(o.words), f"    <- {source_text(o.source)}"]
    only_one = len(props) == 1 and len(o.words) > 1 and props[0].text == o.words[1] \
        and props[0].source == o.source
    for p in () if only_one else props:
        text = p.text
        if p.source == o.source:
            lines.append(f"    {text}" if len(text) > PROP_WIDTH else f"    {text:{PROP_WIDTH}}"
                         "  <- (as above)")
            continue
        if len(text) > PROP_WIDTH:
            lines.append(f"    {text}")
            lines.append(f"    {'':{PROP_WIDTH}}  <- {source_text(p.source)}")
        else:
            lines.append(f"    {text:{PROP_WIDTH}}  <- {source_text(p.source)}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- selections


def match_arg(ex: Explained, pattern: str) -> list[tuple[Option, tuple[Prop, ...]]]:
    """Options (and their properties) a regular expression finds: an option whose
    words match keeps all its properties, else only the matching ones."""
    rx = re.compile(pattern)
    out = []
    for o in ex.options:
        props = tuple(p for p in o.props if rx.search(p.text))
        if props:
            out.append((o, props))
        elif rx.search(" ".join(o.words)):
            out.append((o, o.props))
    return out


def _under(path: str | None, roots: list[str]) -> bool:
    return bool(path) and any(path == r or path.startswith(r + "/") for r in roots)


def became(ex: Explained, elements: list) -> list[tuple[Option, tuple[Prop, ...]]]:
    """What the XML elements turned into: every option or property whose source is one
    of them or lies inside one (a value read from it, a value filled in for it, a
    device added because of it)."""
    roots = [ex.locator.path(e) for e in elements]
    out = []
    for o in ex.options:
        props = tuple(p for p in o.props if _under(p.source.path, roots))
        if _under(o.source.path, roots) or props:
            out.append((o, props))
    return out


def element_at_line(ex: Explained, line: int):
    """The element that starts on ``line``, else the last one that starts before it."""
    el = ex.locator.at_line(line)
    if el is not None:
        return el
    before = [n for n in ex.locator.by_line if n < line]
    return ex.locator.by_line[max(before)] if before else None


# --------------------------------------------------------------------------- output


def text(ex: Explained, chosen=None) -> str:
    chosen = [(o, o.props) for o in ex.options] if chosen is None else chosen
    return "\n".join(option_text(o, props) for o, props in chosen) + "\n"


def as_json(ex: Explained, chosen=None, selected=None) -> str:
    chosen = [(o, o.props) for o in ex.options] if chosen is None else chosen
    opts = []
    for o, props in chosen:
        d = o.json()
        if props is not o.props:
            d["props"] = [{"name": p.name, "text": p.text, "source": p.source.json()}
                          for p in props]
        opts.append(d)
    out = {"file": ex.file, "argv": list(ex.argv), "options": opts}
    if selected is not None:
        out["selected"] = [{"element": ex.locator.path(e), "line": e.sourceline or 0}
                           for e in selected]
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def pci_tree(ex: Explained) -> str:
    return tree_text(from_domain(ex.domain, ex.argv))


def _title(ex: Explained) -> str:
    return f"{ex.domain.name} ({ex.domain.os.machine})"


def pictures(ex: Explained) -> list[tuple[list[str], float]]:
    topo = from_domain(ex.domain, ex.argv)
    parts = [pci_svg(topo, f"PCI topology of {_title(ex)}", ex.domain.span.line)]
    parts.append(numa_svg(host_topology(ex.env), ex.domain, ex.plan,
                          f"NUMA placement of {ex.domain.name}"))
    return parts


def svg(ex: Explained) -> str:
    return document(pictures(ex), f"domc explain {ex.domain.name}")


STYLE = """
body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; margin: 24px; color: #1d2733;
       max-width: %dpx; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
pre { background: #f7f9fb; border: 1px solid #c5ccd4; border-radius: 6px; padding: 10px;
      overflow-x: auto; font-size: 12px; }
table { border-collapse: collapse; font-size: 12px; width: 100%%; }
td { border-top: 1px solid #e3e6ea; padding: 3px 6px; vertical-align: top; }
td.opt { font-family: DejaVu Sans Mono, monospace; word-break: break-all; width: 45%%; }
td.prop { font-family: DejaVu Sans Mono, monospace; padding-left: 22px; color: #4b5663;
          word-break: break-all; }
.xml { color: #2d5f93; } .rule { color: #5b3fa3; } .fixed { color: #6b7785; }
.unknown { color: #b00020; font-weight: bold; }
""" % (WIDTH + 40)


def html(ex: Explained) -> str:
    """One page: both pictures, the lspci-style tree and the explained argv."""
    name = escape(ex.domain.name)
    pics = document(pictures(ex), f"domc explain {ex.domain.name}")
    rows = []
    for o in ex.options:
        rows.append(f'<tr><td class="opt">{escape(" ".join(o.words))}</td>'
                    f'<td class="{o.source.origin.value}">{escape(source_text(o.source))}'
                    "</td></tr>")
        for p in o.props:
            rows.append(f'<tr><td class="prop">{escape(p.text)}</td>'
                        f'<td class="{p.source.origin.value}">{escape(source_text(p.source))}'
                        "</td></tr>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>domc explain {name}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"<h1>domc explain {name} <small>({escape(ex.file)})</small></h1>\n"
            f"{pics}"
            f"<h2>PCI tree (lspci -t)</h2>\n<pre>{escape(pci_tree(ex))}</pre>\n"
            "<h2>Command line: where every item comes from</h2>\n"
            f"<table>\n{chr(10).join(rows)}\n</table>\n</body>\n</html>\n")

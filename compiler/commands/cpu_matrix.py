"""``domc cpu-matrix``: which hosts of a fleet can run which host-model guests, the
compatibility classes, and the best CPU model every host (or class) can run."""

from __future__ import annotations

import json
import sys

NAME = "cpu-matrix"
HELP = ("fleet CPU view of recorded hosts: can a host-model guest of A run on B, compatibility "
        "classes, and the best common <cpu> (as cpu-baseline)")

SHOW_HOSTS = 6  # host names per class in the text output


def add_arguments(parser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--features", action="store_true",
                        help="list the best common model's features too (as cpu-baseline --features)")
    parser.add_argument("--migratable", action="store_true",
                        help="leave features that block migration out of the best common model")
    parser.add_argument("hosts", metavar="HOST", nargs="+",
                        help="recorded hosts (capabilities XML from `domc capabilities -o`, a bare host "
                             "<cpu>, a CPUID dump, domain capabilities; one file may hold many) or "
                             "directories of them")


def run(args) -> int:
    from ..cpu.fleet import Fleet, best_cpu, classes, matrix, missing_names, vendor_groups, why_not
    from ..cpu.render import cpu_xml

    fleet = Fleet(args.hosts)
    cat = fleet.cat
    cls = classes(fleet)
    m = matrix(fleet, cls)

    def best(classes_):
        return best_cpu(fleet, classes_, expand=args.features, migratable=args.migratable)

    per_class = [best([c]) for c in cls]
    whole = best(cls)
    by_vendor = []
    if isinstance(whole, str):  # CPUs of two vendors: one answer per vendor
        groups = vendor_groups(fleet, cls)
        anyone = [c for v, cs in groups if v is None for c in cs]
        by_vendor = [(v, cs + anyone, best(cs + anyone)) for v, cs in groups if v is not None]
    blame = [(a, b, m[a][b]) for a in range(len(cls)) for b in range(len(cls)) if not m[a][b].verdict.compatible]

    if args.format == "json":
        names = fleet.names_by_kind()
        doc = {
            "hosts": len(fleet),
            "classes": [{
                "class": c.number,
                "vendor": c.vendor,
                "hosts": [n for k in c.kinds for n in names[k]],
                "host_model": cpu_xml(fleet.kinds[c.kinds[0]].host_model(cat)),
                "best": cpu_xml(per_class[i]),
            } for i, c in enumerate(cls)],
            "matrix": [[cmp.verdict.compatible for cmp in row] for row in m],
            "blame": [{"guest_class": cls[a].number, "host_class": cls[b].number,
                       "missing": list(missing_names(cmp)), "reason": why_not(cmp)} for a, b, cmp in blame],
        }
        if not isinstance(whole, str):
            doc["best"] = cpu_xml(whole)
        else:
            doc["best"] = None
            doc["best_by_vendor"] = [{"vendor": v, "classes": [c.number for c in cs], "best": cpu_xml(b)}
                                     for v, cs, b in by_vendor]
        sys.stdout.write(json.dumps(doc, indent=1) + "\n")
        return 0

    out = []
    n = len(fleet)
    out.append(f"{n} host{'s' if n != 1 else ''}, {len(cls)} compatibility class{'es' if len(cls) != 1 else ''} "
               "(a class: hosts that run each other's host-model guests)")
    out.append("")
    for i, c in enumerate(cls):
        names = []
        for k in c.kinds:
            names += fleet.host_names(k, SHOW_HOSTS - len(names))
            if len(names) >= SHOW_HOSTS:
                break
        more = f", and {c.size - len(names)} more" if c.size > len(names) else ""
        guest = fleet.kinds[c.kinds[0]].host_model(cat)
        out.append(f"class {c.number}: host-model {guest.model} ({c.vendor or 'any vendor'}), "
                   f"{c.size} host{'s' if c.size != 1 else ''}: {', '.join(names)}{more}")
    out.append("")
    out.append("can a host-model guest of the row's class run on the column's class:")
    width = max(3, len(str(len(cls))) + 1)
    out.append(" " * (width + 2) + "".join(f"{c.number:>{width}}" for c in cls))
    for i, c in enumerate(cls):
        cells = "".join(f"{'ok' if cmp.verdict.compatible else '-':>{width}}" for cmp in m[i])
        out.append(f"  {c.number:>{width}}{cells}")
    shown = [(a, b, cmp) for a, b, cmp in blame if cls[a].vendor is None or cls[b].vendor is None
             or cls[a].vendor == cls[b].vendor]
    if shown:
        out.append("")
        out.append("why not:")
        for a, b, cmp in shown:
            out.append(f"  {cls[a].number} -> {cls[b].number}: {why_not(cmp)}")
    if len(shown) < len(blame):
        out.append("  (and no guest runs on a host of another vendor)")
    out.append("")
    if not isinstance(whole, str):
        out.append("best common CPU of every host:")
        out.append(cpu_xml(whole))
    else:
        out.append("no common CPU: the hosts are of " + " and ".join(v for v, _, _ in by_vendor)
                   + "; best common CPU per vendor:")
        for v, cs, b in by_vendor:
            out.append(f"{v} hosts (class{'es' if len(cs) > 1 else ''} "
                       f"{', '.join(str(c.number) for c in cs)}):")
            out.append(cpu_xml(b))
    sys.stdout.write("\n".join(out) + "\n")
    return 0


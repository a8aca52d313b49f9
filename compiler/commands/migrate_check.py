"""``domc migrate-check``: can a domain move to each of some recorded hosts?"""

from __future__ import annotations

import json
import sys

NAME = "migrate-check"
HELP = ("check offline whether a domain's CPU and machine type can migrate to recorded hosts: "
        "OK / INCOMPATIBLE per host with the missing features (exit 0 all OK, 1 otherwise)")


def add_arguments(parser) -> None:
    parser.add_argument("domain", metavar="DOMAIN.xml")
    parser.add_argument("--to", metavar="HOST", nargs="+", required=True,
                        help="target hosts: recorded host files (`domc capabilities -o`, a host <cpu>, a "
                             "CPUID dump, domain capabilities; one file may hold many) or directories")
    parser.add_argument("--from", dest="source", metavar="HOST",
                        help="the source host, for host-model, host-passthrough, 'optional' features and "
                             "match='minimum' (default: this machine)")
    parser.add_argument("--profile", metavar="FILE",
                        help="QEMU profile of the source (machine aliases) and of targets whose file "
                             "lists no machine types (default: the embedded QEMU 7.2 profile)")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args) -> int:
    from ..cli import EXIT_NEGATIVE, EXIT_OK
    from ..cpu.host import load_host
    from ..cpu.errors import fail
    from ..cpu.fleet import Fleet, Kind, why_not
    from ..cpu.features import table
    from ..cpu.migrate import check_cpu, check_machine, guest_cpu, machines_of, read_domain, source_needed
    from ..cpu.models import catalogue
    from ..cpu.render import cpu_xml
    from ..profile import load_profile

    dom = read_domain(args.domain)
    profile = load_profile(args.profile)
    cat = catalogue(profile if args.profile else None)
    machine = profile.canonical_machine(dom.machine)
    if machine is None:
        raise fail("unknown-machine", f"machine type {dom.machine!r} is not offered by this QEMU profile; "
                   f"known: {', '.join(profile.machine_names())}", dom.path, dom.machine_line)
    default_model = profile.default_cpu_type(machine) or "qemu64"
    source = Kind(cat, load_host(args.source)) if source_needed(dom) else None
    guest = guest_cpu(cat, dom, source, default_model)
    fleet = Fleet(args.to, cat)

    results = []
    cpu_by_kind: dict[int, object] = {}
    for host in fleet.hosts():
        cmp = cpu_by_kind.get(host.kind)
        if cmp is None:
            cmp = cpu_by_kind[host.kind] = check_cpu(cat, guest, fleet.kinds[host.kind])
        offered, where = machines_of(host, profile)
        mc = check_machine(machine, offered, where)
        results.append((host, cmp, mc, cmp.verdict.compatible and mc.available))
    ok = all(r[3] for r in results)

    if args.format == "json":
        doc = {
            "domain": dom.path,
            "cpu": {"mode": dom.cpu.mode.value if dom.cpu else None, "checked": guest.describe,
                    "cpu": cpu_xml(guest.cpu) if guest.cpu is not None else None},
            "machine": machine,
            "targets": [{
                "host": host.name,
                "ok": good,
                "cpu": {"verdict": cmp.verdict.value, "reasons": list(cmp.reasons),
                        "missing": list(table().names(cmp.missing))},
                "machine": {"name": mc.name, "available": mc.available, "machines_from": mc.offered_by},
            } for host, cmp, mc, good in results],
        }
        sys.stdout.write(json.dumps(doc, indent=1) + "\n")
        return EXIT_OK if ok else EXIT_NEGATIVE

    out = [f"{dom.path}: CPU {guest.describe}, machine {machine}"]
    for host, cmp, mc, good in results:
        if good:
            out.append(f"{host.name}: OK (CPU {cmp.verdict.value.lower()}, machine {machine} offered)")
            continue
        why = []
        if not cmp.verdict.compatible:
            why.append(why_not(cmp))
        if not mc.available:
            where = "its capabilities" if mc.offered_by == "capabilities" else \
                f"the QEMU {profile.emulator_version} profile"
            why.append(f"machine type {machine} is not among the machine types of {where}")
        out.append(f"{host.name}: INCOMPATIBLE: " + "; ".join(why))
    sys.stdout.write("\n".join(out) + "\n")
    return EXIT_OK if ok else EXIT_NEGATIVE

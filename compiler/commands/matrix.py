"""domc matrix FILE.xml: one domain compiled against every embedded QEMU profile."""

from __future__ import annotations

import json
import sys

from ._common import add_host_options, hotplug_count

NAME = "matrix"
HELP = "compile a domain against every embedded QEMU profile: per version, whether it " \
       "compiles and what the guest sees change from the lockfile's (or the newest) version"


def add_arguments(p) -> None:
    p.add_argument("file", metavar="FILE.xml")
    p.add_argument("--lock", metavar="FILE.lock",
                   help="compile with this lockfile and compare every version with it "
                        "(default: compare with the newest QEMU that compiles the domain)")
    p.add_argument("--hotplug", metavar="N", type=hotplug_count, default=0,
                   help="as `compile --hotplug N`")
    add_host_options(p)
    p.add_argument("--format", choices=("text", "json"), default="text")


def _one(args, parsed, version: str) -> dict:
    from ..api import facts_of, make_env
    from ..diagnostics import DomcError
    from ..pipeline import normalize

    env = make_env(None, args.host, args.host_root, qemu=version, lock=args.lock,
                   hotplug=args.hotplug)
    try:
        dom = normalize(parsed, env)
    except DomcError as exc:
        return {"qemu": version, "compiles": False,
                "errors": [d.render() for d in exc.diagnostics]}
    return {"qemu": version, "compiles": True, "facts": facts_of(dom, env),
            "warnings": [d.render() for d in env.diag.warnings]}


def run(args) -> int:
    from ..api import make_env
    from ..emit.abidiff import abi_diff, change_dict, lock_changes
    from ..parse import parse_file
    from ..profile import embedded_versions

    # the named files are read (and refused) once, before any version is tried
    env = make_env(None, args.host, args.host_root, lock=args.lock)
    parsed, _ = parse_file(args.file)
    rows = [_one(args, parsed, v) for v in embedded_versions()]
    if env.lock is not None:
        ref, ref_name = env.lock.facts, f"the lock ({env.lock.path})"
    else:
        newest = next((r for r in reversed(rows) if r["compiles"]), None)
        ref = newest["facts"] if newest else None
        ref_name = f"QEMU {newest['qemu']} (the newest that compiles it)" if newest else None
    out = []
    for r in rows:
        entry = {"qemu": r["qemu"], "compiles": r["compiles"]}
        if r["compiles"]:
            # against a lock: what it forbids (the devices it does not know are the same
            # new devices in every version)
            diff = lock_changes if env.lock is not None else abi_diff
            changes = diff(ref, r["facts"]) if ref is not None else []
            entry.update(machine=r["facts"]["machine"], changes=[change_dict(c) for c in changes],
                         warnings=r["warnings"])
        else:
            entry["errors"] = r["errors"]
        out.append(entry)
    if args.format == "json":
        sys.stdout.write(json.dumps({"reference": ref_name, "versions": out}, indent=2,
                                    sort_keys=True) + "\n")
    else:
        sys.stdout.write(f"ABI compared with {ref_name}\n" if ref_name else
                         "no QEMU version compiles this domain\n")
        for e in out:
            if not e["compiles"]:
                sys.stdout.write(f"QEMU {e['qemu']:<5} does not compile: {e['errors'][0]}\n")
                continue
            n = len(e["changes"])
            what = "same ABI" if not n else f"{n} change{'s' if n > 1 else ''}"
            sys.stdout.write(f"QEMU {e['qemu']:<5} compiles  {e['machine']:<16} {what}\n")
            for c in e["changes"]:
                sys.stdout.write(f"    {c['text']}\n")
    return 0 if any(e["compiles"] for e in out) else 1

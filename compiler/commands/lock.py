"""domc lock FILE.xml: the guest-visible facts of a compile, as a lockfile."""

from __future__ import annotations

import json
import sys

from ._common import add_compile_options, env_from_args, hotplug_count

NAME = "lock"
HELP = "write every guest-visible fact of a compile (machine, CPU, addresses, ids, MACs) " \
       "as a reviewable JSON lockfile"


def add_arguments(p) -> None:
    p.add_argument("file", metavar="FILE.xml")
    p.add_argument("-o", "--output", metavar="FILE.lock",
                   help="write the lockfile here (default: standard output)")
    p.add_argument("--lock", metavar="OLD.lock",
                   help="update an older lockfile: its devices keep their places, devices "
                        "it lacks get new ones, and what changes anyway is listed on stderr")
    p.add_argument("--hotplug", metavar="N", type=hotplug_count, default=0,
                   help="reserve hotplug room after addressing: add PCIe root ports (q35) or "
                        "PCI bridges (i440fx) until N empty places are left")
    add_compile_options(p)


def _one_line(value) -> str:
    """Compact JSON, keys sorted, but an address keeps the XML's attribute order."""
    if isinstance(value, dict):
        items = value.items() if value.get("type") and "address" not in value \
            and set(value) & {"slot", "unit", "port", "bus"} else sorted(value.items())
        return "{" + ", ".join(f"{json.dumps(k)}: {_one_line(v)}" for k, v in items) + "}"
    return json.dumps(value, ensure_ascii=False)


def _dump(value, depth: int, key: str | None, parent: str | None) -> str:
    pad = " " * depth
    if isinstance(value, dict) and value:
        if parent == "devices" or (key != "devices" and len(_one_line(value)) <= 100):
            return _one_line(value)
        items = value.items() if key == "devices" else sorted(value.items())
        inner = ",\n".join(f"{pad} {json.dumps(k)}: {_dump(v, depth + 1, k, key)}"
                           for k, v in items)
        return "{\n" + inner + "\n" + pad + "}"
    return _one_line(value)


def dumps(facts: dict) -> str:
    """JSON for review: one line per device, per address and per short section, keys
    sorted (an address keeps the XML's attribute order)."""
    return _dump(facts, 0, None, None) + "\n"


def run(args) -> int:
    from ..api import facts_of, normalize_file
    from ..emit.abidiff import lock_changes
    from ..inputs import write_output_file

    env = env_from_args(args)
    dom, _ = normalize_file(args.file, env)
    for w in env.diag.warnings:
        print(w.render(), file=sys.stderr)
    facts = facts_of(dom, env)
    if env.lock is not None:
        for c in lock_changes(env.lock.facts, facts):
            print(f"{args.file}: changes from {env.lock.path}: {c.text()}", file=sys.stderr)
    text = dumps(facts)
    if args.output:
        write_output_file(args.output, text)
    else:
        sys.stdout.write(text)
    return 0

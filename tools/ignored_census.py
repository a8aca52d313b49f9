#!/usr/bin/env python3
"""Count the corpus domains domc compiles with a ``warning[ignored]`` (issue 10).

Every domain of libvirt's qemuxml2argv corpus is compiled in-process (a fixed host CPU
and the captured seed host, as tests/test_agree.py does, so the figure does not depend
on the machine).  Printed: each domain that carries a ``warning[ignored]`` with those
warnings, then the figure line::

    ignored: D/C compiled domains carry a warning[ignored] (W warnings)

Usage, from the repository root::

    python3 tools/ignored_census.py [--cases ../shared/corpus/libvirt-9.0.0] [--quiet]
    python3 tools/ignored_census.py --by-part     # the ignored parts, most frequent first
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compiler.api import compile_file, make_env  # noqa: E402
from compiler.diagnostics import DomcError  # noqa: E402

HOST_CPU = ROOT / "fixtures" / "hosts" / "server.xml"
SEED_HOST = ROOT / "fixtures" / "topologies" / "seed-2node-8cpu"
DEFAULT_CASES = ROOT.parent / "shared" / "corpus" / "libvirt-9.0.0"
_PART = re.compile(r"warning\[ignored\]: (.*?) is not used by domc")


def census(cases: Path) -> tuple[int, dict[str, list[str]]]:
    """(number of domains compiled, {domain name: its warning[ignored] lines})."""
    compiled, flagged = 0, {}
    for xml in sorted((cases / "qemuxml2argv").glob("*.xml")):
        env = make_env(host=str(HOST_CPU), host_root=str(SEED_HOST))
        try:
            out = compile_file(str(xml), env)
        except DomcError:
            continue
        compiled += 1
        ignored = [w for w in out.warnings if "warning[ignored]" in w]
        if ignored:
            flagged[xml.stem] = ignored
    return compiled, flagged


def part(warning: str) -> str:
    """The ignored part a warning names, without its line ("attribute 'x' of <y>")."""
    m = _PART.search(warning)
    return m.group(1) if m else warning


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    ap.add_argument("--quiet", action="store_true", help="only the figure line")
    ap.add_argument("--by-part", action="store_true",
                    help="list the ignored parts with the number of domains having each")
    a = ap.parse_args(argv)
    if not (a.cases / "qemuxml2argv").is_dir():
        print(f"no corpus at {a.cases}", file=sys.stderr)
        return 2
    compiled, flagged = census(a.cases)
    if a.by_part:
        parts = collections.Counter(p for ws in flagged.values() for p in {part(w) for w in ws})
        for p, n in parts.most_common():
            print(f"{n:4d}  {p}")
    elif not a.quiet:
        for name, ws in flagged.items():
            print(name)
            for w in ws:
                print("   ", w)
    total = sum(len(ws) for ws in flagged.values())
    print(f"ignored: {len(flagged)}/{compiled} compiled domains carry a warning[ignored] "
          f"({total} warnings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

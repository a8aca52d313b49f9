#!/usr/bin/env python3
"""The generated-domain differential against libvirt 9.0, at any size (issue 10).

tests/hostile/test_oracle.py runs a few generated domains per machine type in every
test run; this runs as many as asked, with the same generators (the i440fx and q35
strategies of tests/hostile/test_properties.py) and the same comparison
(``compare``: drive and PCI addresses, controllers and models through normalize, the
set of -device ids through the argv, and every word of the command line but the
host's, as ``word_diffs`` lists them), and prints how often domc and libvirt agree.

A domain agrees when both accept it and nothing differs, or when both refuse it
(libvirt: ``virsh define``/``domxml-to-native`` fail; domc: a DomcError).  Each
disagreement is printed with its differences; ``--keep DIR`` writes its XML there.

Usage, from the repository root (libvirtd running: ../shared/tools/libvirt-oracle setup)::

    python3 tools/gendiff.py [-n 200] [--seed 1] [--machine pc|q35|both] [--extra] [--keep DIR]
    python3 tools/gendiff.py --only devices -n 100     # one generator

The last line is always (the figure is the whole domains'; ``--extra`` lists print
their own lines before it)::

    gendiff: agree A/N (P%) -- i440fx a/n, q35 b/m (seed S)
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from compiler.api import compile_file, make_env  # noqa: E402
from compiler.diagnostics import DomcError  # noqa: E402
from tests.hostile.test_oracle import ORACLE, SKIP, chardev_lists, qemu_refuses, \
    compare, device_lists, usb_controller_lists  # noqa: E402
from tests.hostile.test_properties import domains, q35_domains  # noqa: E402

# the whole domains of each machine type; with --extra also the oracle tests' lists of
# USB controllers (as clients write them), of serials/consoles/channels and of the
# device kinds the whole domains leave out, pc and q35
STRATEGIES = {"i440fx": domains, "q35": q35_domains, "usb": usb_controller_lists,
              "chardev": chardev_lists, "devices": device_lists}


def generate(strategy, n: int, at: int) -> list[str]:
    """``n`` distinct domains of ``strategy``, the same ones for the same seed."""
    out: list[str] = []

    @seed(at)
    @settings(max_examples=n * 2, phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy())
    def collect(xml):
        if len(out) < n and xml not in out:
            out.append(xml)

    collect()
    return out


def _libvirt_refuses(path: Path) -> str | None:
    """libvirt's refusal (define or command line), or None when it takes the domain."""
    for verb in ("normalize", "argv"):
        r = subprocess.run([str(ORACLE), verb, str(path)], capture_output=True, timeout=60)
        if r.returncode != 0:
            return r.stderr.decode().strip().splitlines()[-1] if r.stderr.strip() else verb
        why = qemu_refuses(shlex.split(r.stdout.decode())) if verb == "argv" else None
        if why:
            return f"QEMU refuses libvirt's argv: {why}"
    return None


def judge(xml: str, tmp: Path) -> list[str]:
    """What differs between domc and libvirt for one domain ([] when they agree)."""
    path = tmp / "gen.xml"
    path.write_text(xml)
    try:
        compile_file(str(path), make_env())
    except DomcError as exc:
        refused = _libvirt_refuses(path)
        return [] if refused else [f"domc refuses what libvirt takes: {exc}"]
    refused = _libvirt_refuses(path)
    if refused:
        return [f"domc compiles what libvirt (or QEMU) refuses: {refused}"]
    return compare(xml, tmp)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=100, help="domains per machine type (100)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--machine", choices=("pc", "q35", "both"), default="both")
    ap.add_argument("--extra", action="store_true",
                    help="also the USB-controller, chardev and device lists (reported apart)")
    ap.add_argument("--keep", type=Path, help="write each disagreeing domain here")
    ap.add_argument("--show", type=int, default=20, help="disagreements to print (20)")
    ap.add_argument("--only", choices=tuple(STRATEGIES), help="one generator only")
    args = ap.parse_args(argv)
    if SKIP is not None:
        print(f"gendiff: {SKIP}", file=sys.stderr)
        return 2
    families = ["i440fx", "q35"] if args.machine == "both" else \
        ["i440fx" if args.machine == "pc" else "q35"]
    extra = ["usb", "chardev", "devices"] if args.extra else []
    if args.only:
        families, extra = ([args.only], []) if args.only in ("i440fx", "q35") else \
            ([], [args.only])
    if args.n < 1:
        ap.error("-n must be at least 1")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    counts: dict[str, tuple[int, int]] = {}
    shown = 0
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gendiff-") as tmp:
        for fam in families + extra:
            xmls = generate(STRATEGIES[fam], args.n, args.seed)
            agree = 0
            for i, xml in enumerate(xmls):
                diffs = judge(xml, Path(tmp))
                if not diffs:
                    agree += 1
                    continue
                if args.keep:
                    (args.keep / f"{fam}-{i:04d}.xml").write_text(xml)
                if shown < args.show:
                    shown += 1
                    print(f"DIFF {fam} #{i}:")
                    for d in diffs:
                        print(f"    {d}")
            counts[fam] = (agree, len(xmls))
            print(f"{fam}: agree {agree}/{len(xmls)}", file=sys.stderr)
    head = families or extra  # --only: the one generator run
    agree = sum(counts[f][0] for f in head)
    total = sum(counts[f][1] for f in head)
    per = ", ".join(f"{fam} {a}/{n}" for fam, (a, n) in counts.items() if fam in head)
    print(f"({time.monotonic() - start:.0f}s)", file=sys.stderr)
    for fam in extra if families else ():
        a, n = counts[fam]
        print(f"gendiff {fam}: agree {a}/{n} ({100.0 * a / max(n, 1):.1f}%)")
    print(f"gendiff: agree {agree}/{total} ({100.0 * agree / max(total, 1):.1f}%) -- {per} "
          f"(seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

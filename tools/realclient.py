#!/usr/bin/env python3
"""Domains written by real clients, compiled by domc and by the reference libvirt.

For N seeded virt-install command lines (tests/realclient/gen.py: osinfo variants and
the options people use, or with --virt-manager the defaults of virt-manager's "New VM"
wizard), run `virt-install --print-xml`, ask ../shared/tools/libvirt-oracle for
libvirt 9.0's QEMU argv, run `python3 -m compiler compile FILE --format json` from the
repo root for this machine, libvirt's target too (--host and --profile written once per
run by `domc capabilities` and `domc probe`), and compare the guest ABI
(tests/realclient/check.py).  Needs root, a libvirt
9.0 daemon (libvirt-oracle setup), virt-install, qemu-img and ../shared/tools.

  python3 tools/realclient.py --count 200 --seed 1 --jobs 2 --show-failures 5

Prints each difference class with how many domains have it and one example; then the
-spice/-vnc differences (host side, not counted); with --unmask, what lies behind domc's
refusals of USB2 companions without index, TPM emulators and virtio-fs (the XML changed
the least that domc accepts, compiled again both ways).  The last line is always
  realclient: agree A/N (P%), domc-refused R, libvirt-refused L
N counts the domains virt-install printed; refused = the side refused the domain
(both refusing counts as agreement).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.realclient import check  # noqa: E402


def keep(res: check.Result, out: Path) -> None:
    """The domain's command line, XML, both answers and the differences, under out/."""
    base = out / res.name
    (out / f"{res.name}.cmd").write_text(shlex.join(["virt-install"] + res.args) + "\n")
    if res.gen_error:
        (out / f"{res.name}.gen.err").write_text(res.gen_error + "\n")
        return
    base.with_suffix(".xml").write_text(res.xml)
    if res.libvirt_argv is not None:
        (out / f"{res.name}.libvirt.args").write_text(shlex.join(res.libvirt_argv) + "\n")
    else:
        (out / f"{res.name}.libvirt.err").write_text((res.libvirt_error or "") + "\n")
    if res.domc_argv is not None:
        (out / f"{res.name}.domc.args").write_text(shlex.join(res.domc_argv) + "\n")
    else:
        (out / f"{res.name}.domc.err").write_text(res.domc_errors + "\n")
    (out / f"{res.name}.diff").write_text("".join(f"{c}\t{d}\n" for c, d in res.diffs))
    if res.masked is not None:
        (out / f"{res.name}.masked.diff").write_text(
            "".join(f"{c}\t{d}\n" for c, d in res.masked))


def show(res: check.Result) -> None:
    print(f"DISAGREE {res.name}: virt-install {shlex.join(res.args[5:])}")
    for cls, detail in res.diffs[:12]:
        print(f"    {cls}: {detail[:200]}")
    if len(res.diffs) > 12:
        print(f"    ... {len(res.diffs) - 12} more")


def print_classes(title: str, per_domain: list[tuple[str, list[tuple[str, str]]]]) -> None:
    """Each class with the number of domains that have it and the first one's detail."""
    classes: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for name, diffs in per_domain:
        for cls in dict.fromkeys(c for c, _ in diffs):
            classes[cls].append((name, next(d for c, d in diffs if c == cls)))
    if classes:
        print(f"{title} (domains, first example):")
    for cls, hits in sorted(classes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"  {len(hits):4d}  {cls}   [{hits[0][0]}: {hits[0][1][:120]}]")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=20, metavar="N")
    ap.add_argument("--seed", type=int, default=1, metavar="S")
    ap.add_argument("--jobs", type=int, default=2, metavar="J")
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="write each domain's command line, XML, argvs and differences here")
    ap.add_argument("--show-failures", type=int, default=0, metavar="K",
                    help="print the first K disagreeing domains in full")
    ap.add_argument("--virt-manager", action="store_true",
                    help="virt-manager's default new VM instead of random options")
    ap.add_argument("--unmask", action="store_true",
                    help="for domains domc alone refuses (USB2 companions, TPM emulator, "
                    "virtio-fs), also compare the XML with that construct fixed or dropped")
    ap.add_argument("--json", type=Path, metavar="FILE", help="per-domain report")
    a = ap.parse_args(argv)

    why = check.missing_prerequisite()
    if why:
        print(f"realclient: cannot run: {why}", file=sys.stderr)
        return 2
    mode = "virt-manager" if a.virt_manager else "options"
    unmask = tuple(check.UNMASK) if a.unmask else ()
    if a.keep:
        a.keep.mkdir(parents=True, exist_ok=True)
    with check.Scratch() as scratch, \
            concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
        results = list(pool.map(lambda i: check.run_domain(a.seed, i, scratch, mode, unmask),
                                range(a.count)))
    if a.keep:
        for res in results:
            keep(res, a.keep)

    domains = [r for r in results if r.gen_error is None]
    failed_gen = [r for r in results if r.gen_error is not None]
    for r in failed_gen:
        print(f"virt-install refused {r.name}: {r.gen_error}")
    shown = 0
    for r in domains:
        if not r.agree and shown < a.show_failures:
            show(r)
            shown += 1
    print_classes("difference classes", [(r.name, r.diffs) for r in domains])
    print_classes("display differences (host side, not counted against agreement)",
                  [(r.name, r.display) for r in domains])
    if a.unmask:
        print_classes("behind domc's refusals (--unmask)",
                      [(r.name, r.masked) for r in domains if r.masked is not None])
    if a.json:
        a.json.write_text(json.dumps([{
            "name": r.name, "args": r.args, "gen_error": r.gen_error,
            "libvirt_error": r.libvirt_error, "domc_codes": r.domc_codes,
            "agree": r.agree, "diffs": r.diffs, "masked": r.masked,
            "display": r.display} for r in results], indent=1) + "\n")
    n = len(domains)
    agree = sum(1 for r in domains if r.agree)
    domc_refused = sum(1 for r in domains if r.domc_argv is None)
    libvirt_refused = sum(1 for r in domains if r.libvirt_argv is None)
    if failed_gen:
        print(f"virt-install refused {len(failed_gen)} of {len(results)} command lines "
              "(not counted)")
    pct = 100.0 * agree / n if n else 0.0
    print(f"realclient: agree {agree}/{n} ({pct:.1f}%), domc-refused {domc_refused}, "
          f"libvirt-refused {libvirt_refused}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

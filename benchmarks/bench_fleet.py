"""Fleet CPU benchmark: domc against virsh (libvirt 9.0) measured side by side, in one run.

What is measured (each command a fresh process, as a user runs it; runs alternate
between domc and virsh so both see the same machine load):

1. ``cpu-baseline`` of 256 host CPUs (virsh's maximum): ``domc cpu-baseline`` vs
   ``virsh cpu-baseline`` of the same file.  Target: domc no slower (ratio <= 1).
2. ``cpu-compare`` of one CPU with this host: ``domc cpu-compare`` vs ``virsh cpu-compare``.
3. 256 CPUs checked against this host: one ``domc cpu-matrix`` of the 256 hosts and
   this machine (it answers every pair) vs 256 ``virsh cpu-compare`` calls.
4. 100,000 host CPUs (virsh refuses more than 256): ``domc cpu-baseline`` and
   ``domc cpu-matrix``, wall time and peak memory.  Targets: under 1 s and 100 MiB each.

Hosts are libvirt's own host CPU descriptions (../shared/corpus, never copied),
repeated: a fleet of many identical machines, as real fleets are.

Start-up: ``python3 -c pass`` is printed as the interpreter's own floor, ``domc --help``
as the CLI's (today it imports every subcommand), and each domc figure also for the
subcommand's module run alone (what domc costs once the CLI imports only it).  Where site
packages run start-up hooks that are not domc's (a sandbox's ``.pth`` files), ``--no-site``
runs domc as ``python3 -S`` with the same import path, which shows domc's own cost.

domc runs from bytecode compiled once into a scratch directory (PYTHONPYCACHEPREFIX), as
an installed package does, even where PYTHONDONTWRITEBYTECODE is set.

Run:  python3 benchmarks/bench_fleet.py [--repeat N] [--no-site]
Exit status 1 when a target is missed; 2 when virsh or the corpus is missing (it says
so).  Not part of the test suite: timings do not belong in tests.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import site
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "libvirt-9.0.0" / "cputestdata"
URI = "qemu:///system"
MIB = 1024 * 1024


def run(argv: list[str], env: dict | None = None) -> tuple[float, float, int, int]:
    """(wall s, cpu s, peak RSS bytes, exit status) of one process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, p.returncode


def side_by_side(cmds: dict[str, list[str]], repeat: int, env: dict | None = None) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {k: [] for k in cmds}
    for _ in range(repeat):
        for name, argv in cmds.items():
            out[name].append(run(argv, env if name.startswith("domc") else None))
    return out


def med(samples, i=0) -> float:
    return statistics.median(s[i] for s in samples)


def virsh_answers() -> bool:
    if shutil.which("virsh") is None:
        return False
    p = subprocess.run(["virsh", "-c", URI, "version"], capture_output=True, text=True)
    return p.returncode == 0 and "libvirt 9.0." in p.stdout


# the subcommand's module run without the CLI that imports every subcommand first (what
# domc costs once the CLI imports only the subcommand asked for: issue 14's lazy CLI)
ALONE = ("import sys, argparse, importlib; name = sys.argv[1]; "
         "m = importlib.import_module('compiler.commands.' + name.replace('-', '_')); "
         "p = argparse.ArgumentParser(); m.add_arguments(p); sys.exit(m.run(p.parse_args(sys.argv[2:])))")


def write_fleet(path: Path, hosts: list[str], n: int) -> None:
    with open(path, "w") as fh:
        for i in range(n):
            fh.write(hosts[i * 7 % len(hosts)] + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--no-site", action="store_true",
                    help="run domc as python3 -S (site-packages on PYTHONPATH, their .pth hooks not run)")
    a = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"cannot measure: libvirt's CPU test data is not at {CORPUS}")
        return 2
    if not virsh_answers():
        print(f"cannot measure against libvirt: no libvirt 9.0 daemon answers at {URI} "
              "(../shared/tools/libvirt-oracle setup starts one)")
        return 2
    texts = [open(p).read().strip() for p in sorted(glob.glob(str(CORPUS / "x86_64-cpuid-*-host.xml")))]
    intel = [t for t in texts if "<vendor>Intel</vendor>" in t]
    py = [sys.executable] + (["-S"] if a.no_site else [])
    env = dict(os.environ)
    if a.no_site:
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *site.getsitepackages()])
    # an installed domc runs from compiled bytecode; where the environment forbids
    # writing it (PYTHONDONTWRITEBYTECODE), every run would compile every module first:
    # keep the bytecode in a scratch directory instead (never in the checkout)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    domc = py + ["-m", "compiler"]
    virsh = ["virsh", "-c", URI]
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        f256, f100k, one = tmp / "cpus256.xml", tmp / "cpus100k.xml", tmp / "cpu.xml"
        write_fleet(f256, intel, 256)
        write_fleet(f100k, intel, 100_000)
        one.write_text(intel[0] + "\n")
        here = tmp / "this-machine.xml"
        subprocess.run(domc + ["capabilities", "-o", str(here)], check=True, cwd=ROOT, env=env)
        for warm in (["--help"], ["cpu-matrix", str(f256), str(here)]):  # compile the bytecode once
            subprocess.run(domc + warm, cwd=ROOT, env=env, capture_output=True)

        floor = side_by_side({"domc:pass": py + ["-c", "pass"], "domc:help": domc + ["--help"]}, a.repeat, env)
        print(f"interpreter start-up (python3{' -S' if a.no_site else ''} -c pass): "
              f"median {med(floor['domc:pass']) * 1000:.1f} ms; domc --help (the CLI, every subcommand "
              f"imported): {med(floor['domc:help']) * 1000:.1f} ms")

        alone = py + ["-c", ALONE]
        r = side_by_side({"domc": domc + ["cpu-baseline", str(f256)], "virsh": virsh + ["cpu-baseline", str(f256)],
                          "domc-alone": alone + ["cpu-baseline", str(f256)]}, a.repeat, env)
        ratio = med(r["domc"]) / med(r["virsh"])
        ok &= ratio <= 1.0
        print(f"cpu-baseline, 256 CPUs: domc {med(r['domc']) * 1000:.1f} ms (cpu {med(r['domc'], 1) * 1000:.1f} ms), "
              f"virsh {med(r['virsh']) * 1000:.1f} ms (cpu {med(r['virsh'], 1) * 1000:.1f} ms): ratio {ratio:.2f} "
              "(target <= 1)")
        print(f"  the subcommand alone: {med(r['domc-alone']) * 1000:.1f} ms (cpu "
              f"{med(r['domc-alone'], 1) * 1000:.1f} ms): ratio {med(r['domc-alone']) / med(r['virsh']):.2f}")

        r = side_by_side({"domc": domc + ["cpu-compare", str(one)], "virsh": virsh + ["cpu-compare", str(one)]},
                         a.repeat, env)
        print(f"cpu-compare, 1 CPU with this host: domc {med(r['domc']) * 1000:.1f} ms, "
              f"virsh {med(r['virsh']) * 1000:.1f} ms: ratio {med(r['domc']) / med(r['virsh']):.2f}")

        loop_t0 = time.perf_counter()
        for i in range(256):
            run(virsh + ["cpu-compare", str(one)])
        loop = time.perf_counter() - loop_t0
        m = side_by_side({"domc": domc + ["cpu-matrix", str(f256), str(here)]}, 3, env)
        print(f"256 CPUs against this host: domc cpu-matrix {med(m['domc']) * 1000:.1f} ms (every pair of 257), "
              f"256 x virsh cpu-compare {loop * 1000:.0f} ms: ratio {med(m['domc']) / loop:.3f}")

        refused = subprocess.run(virsh + ["cpu-baseline", str(f100k)], capture_output=True, text=True)
        print(f"virsh cpu-baseline, 100,000 CPUs: exit {refused.returncode}, "
              f"{(refused.stderr.strip().splitlines() or [''])[0]}")
        for cmd in ("cpu-baseline", "cpu-matrix"):
            r = side_by_side({"domc": domc + [cmd, str(f100k)], "domc-alone": alone + [cmd, str(f100k)]},
                             max(3, a.repeat // 3), env)
            wall, rss = med(r["domc"]), max(s[2] for s in r["domc"])
            ok &= wall < 1.0 and rss < 100 * MIB and all(s[3] == 0 for s in r["domc"])
            print(f"domc {cmd}, 100,000 CPUs: {wall:.2f} s (cpu {med(r['domc'], 1):.2f} s), peak RSS "
                  f"{rss / MIB:.0f} MiB (targets < 1 s, < 100 MiB); the subcommand alone "
                  f"{med(r['domc-alone']):.2f} s (cpu {med(r['domc-alone'], 1):.2f} s), "
                  f"{max(s[2] for s in r['domc-alone']) / MIB:.0f} MiB")
    print("load average during the run:", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

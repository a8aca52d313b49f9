#!/usr/bin/env python3
"""domc against libvirt, side by side in one run: every measure times domc and the
reference (``virsh -c qemu:///system``, libvirt's client talking to a running daemon)
on the same inputs, interleaved, and prints their ratio.  When virsh or its daemon is
not there, the measure says so and shows domc alone.

    python3 benchmarks/bench.py [--repeat N] [--only NAME ...] [--list]

A measure is a function ``measure_<name>(ctx) -> list[Row]`` registered in MEASURES
(its docstring's first line is its description).  ``ctx`` holds the paths, the repeat
count and ``ctx.virsh`` (None when the reference cannot run).  A Row carries the domc
figure, the reference figure (or None) and a target: ``max_ratio`` (domc/reference at
most), ``min_speedup`` (reference/domc at least) or ``max_value`` (an absolute
figure, for the few targets that have no reference).  Exit status 1 when a target is
missed, so the script can gate a release; timings are never part of the test suite.

Cold starts run this tree as an installed package runs: byte-compiled (the script
writes ``__pycache__`` with compileall first, as pip does at install time, because
PYTHONDONTWRITEBYTECODE would otherwise make every start compile the sources).
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "libvirt-9.0.0" / "qemuxml2argv"
EXAMPLE = ROOT / "examples" / "laptop.xml"
URI = "qemu:///system"
PY = sys.executable
DOMC = [PY, "-m", "compiler"]


@dataclass
class Row:
    name: str
    domc: float  # seconds (or MiB, with unit="MiB")
    ref: float | None = None
    max_ratio: float | None = None  # domc / ref must be <= this
    min_speedup: float | None = None  # ref / domc must be >= this
    max_value: float | None = None  # domc must be <= this (absolute target)
    unit: str = "s"
    note: str = ""

    def ok(self) -> bool | None:
        if self.max_value is not None:
            return self.domc <= self.max_value
        if self.ref is None:
            return None
        if self.max_ratio is not None:
            return self.domc / self.ref <= self.max_ratio
        if self.min_speedup is not None:
            return self.ref / self.domc >= self.min_speedup
        return None


@dataclass
class Context:
    repeat: int
    virsh: list[str] | None  # the reference command prefix, None when it cannot run
    why_no_virsh: str = ""
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="domc-bench-")))


# ------------------------------------------------------------------ helpers


def run_quiet(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                          **kw)


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    run_quiet(cmd)
    return time.perf_counter() - t0


def side_by_side(cmds: dict[str, list[str] | None], repeat: int) -> dict[str, float]:
    """Median wall time of each command, the commands interleaved round by round so a
    busy machine slows them alike."""
    times: dict[str, list[float]] = {k: [] for k, c in cmds.items() if c is not None}
    for _ in range(repeat):
        for k in times:
            times[k].append(wall(cmds[k]))
    return {k: statistics.median(v) for k, v in times.items()}


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.xml")) if CORPUS.is_dir() else []


def virsh_argv(ctx: Context, xml: Path) -> list[str] | None:
    return None if ctx.virsh is None else [*ctx.virsh, "domxml-to-native", "qemu-argv", str(xml)]


def find_virsh() -> tuple[list[str] | None, str]:
    exe = shutil.which("virsh")
    if exe is None:
        return None, "virsh is not installed"
    probe = subprocess.run([exe, "-c", URI, "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        return None, f"virsh cannot reach {URI}: {probe.stderr.strip().splitlines()[-1:]}"
    return [exe, "-c", URI], ""


# ------------------------------------------------------------------ measures


def measure_cold_compile(ctx: Context) -> list[Row]:
    """one domain, a fresh process each time: domc compile vs virsh domxml-to-native"""
    got = side_by_side({
        "domc": [*DOMC, "compile", str(EXAMPLE)],
        "virsh": virsh_argv(ctx, EXAMPLE),
        "python": [PY, "-c", "pass"],
    }, ctx.repeat)
    floor = got["python"]
    return [Row("cold compile of examples/laptop.xml", got["domc"], got.get("virsh"),
                max_ratio=3.0,
                note=f"the bare interpreter start ({PY} -c pass) alone is "
                     + (f"{floor / got['virsh']:.2f}x virsh" if "virsh" in got else
                        f"{1000 * floor:.0f} ms"))]


def measure_help_version(ctx: Context) -> list[Row]:
    """domc --help and --version as fresh processes (target: under 50 ms each)"""
    ref = [*ctx.virsh, "--version"] if ctx.virsh else None
    got = side_by_side({"--help": [*DOMC, "--help"], "--version": [*DOMC, "--version"],
                        "virsh": ref, "python": [PY, "-c", "pass"]}, ctx.repeat)
    return [Row(f"domc {opt}", got[opt], got.get("virsh"), max_value=0.050,
                note=f"reference: virsh --version; the bare interpreter start alone takes "
                     f"{1000 * got['python']:.0f} ms, domc adds "
                     f"{1000 * (got[opt] - got['python']):.0f} ms")
            for opt in ("--help", "--version")]


def measure_batch_corpus(ctx: Context) -> list[Row]:
    """libvirt's qemuxml2argv corpus: one domc batch vs a virsh loop over the same files"""
    files = corpus_files()
    if not files:
        return [Row("corpus batch", float("nan"), note=f"corpus not found at {CORPUS}")]
    out = ctx.tmp / "batch-out"
    domc = min(wall([*DOMC, "compile", str(CORPUS), "--format", "json", "--out-dir", str(out)])
               for _ in range(max(1, ctx.repeat // 5)))
    jobs1 = min(wall([*DOMC, "compile", str(CORPUS), "--format", "json", "--out-dir", str(out),
                      "--jobs", "1"]) for _ in range(max(1, ctx.repeat // 5)))
    ref = None
    if ctx.virsh:
        t0 = time.perf_counter()
        for f in files:
            run_quiet(virsh_argv(ctx, f))
        ref = time.perf_counter() - t0
    return [Row(f"corpus batch, {len(files)} domains (jobs: CPUs)", domc, ref, min_speedup=30.0),
            Row(f"corpus batch, {len(files)} domains (--jobs 1)", jobs1, ref,
                note="one process")]


IN_PROCESS = """
import glob, sys, time
sys.path.insert(0, {root!r})
from compiler.api import compile_file, make_env, next_env
from compiler.diagnostics import DomcError
files = sorted(glob.glob({corpus!r} + "/*.xml"))
env = make_env()
def sweep():
    for f in files:
        try:
            compile_file(f, next_env(env))
        except DomcError:
            pass
sweep()  # warm: the first compile of a kind builds its tables
walls, cpus = [], []
for _ in range({repeat}):
    w, c = time.perf_counter(), time.process_time()
    sweep()
    walls.append(time.perf_counter() - w)
    cpus.append(time.process_time() - c)
print(min(walls) / len(files), min(cpus) / len(files))
"""


def measure_in_process(ctx: Context) -> list[Row]:
    """the compile itself, warm, in one process: time per corpus domain vs one virsh call"""
    files = corpus_files()
    if not files:
        return [Row("in-process compile", float("nan"), note=f"corpus not found at {CORPUS}")]
    code = IN_PROCESS.format(root=str(ROOT), corpus=str(CORPUS), repeat=max(3, ctx.repeat // 3))
    wall, cpu = map(float, subprocess.run([PY, "-c", code], capture_output=True, text=True,
                                          check=True, cwd=ROOT).stdout.split())
    ref = side_by_side({"virsh": virsh_argv(ctx, files[0])}, ctx.repeat).get("virsh")
    return [Row("in-process compile, per corpus domain (CPU)", cpu, ref, max_value=0.0005,
                note=f"reference: one virsh domxml-to-native call (wall); domc's wall time "
                     f"per domain {1000 * wall:.2f} ms on this machine as loaded")]


RSS = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def measure_batch_rss(ctx: Context) -> list[Row]:
    """peak resident memory of a 1,000-domain batch (the largest of domc's processes)"""
    files = corpus_files() or sorted((ROOT / "examples").glob("*.xml"))
    src = ctx.tmp / "thousand"
    src.mkdir(exist_ok=True)
    for i in range(1000):
        f = files[i % len(files)]
        dst = src / f"{i:04d}-{f.name}"
        if not dst.exists():
            dst.symlink_to(f)
    cmd = [*DOMC, "compile", str(src), "--out-dir", str(ctx.tmp / "thousand-out")]
    kib = int(subprocess.run([PY, "-c", RSS, *cmd], capture_output=True, text=True, check=True,
                             cwd=ROOT).stdout)
    ref = None
    if ctx.virsh:
        ref = int(subprocess.run([PY, "-c", RSS, *virsh_argv(ctx, files[0])], capture_output=True,
                                 text=True, check=True, cwd=ROOT).stdout) / 1024
    return [Row("peak RSS, 1,000-domain batch", kib / 1024, ref, max_value=60.0, unit="MiB",
                note="reference: one virsh client process (the daemon not counted)")]


MEASURES: dict[str, Callable[[Context], list[Row]]] = {
    "cold-compile": measure_cold_compile,
    "help-version": measure_help_version,
    "in-process": measure_in_process,
    "batch-corpus": measure_batch_corpus,
    "batch-rss": measure_batch_rss,
}


# ------------------------------------------------------------------ report


def fmt_value(v: float, unit: str) -> str:
    if v != v:  # nan
        return "-"
    if unit == "MiB":
        return f"{v:.1f} MiB"
    return f"{v * 1000:.2f} ms" if v < 1 else f"{v:.2f} s"


def report(rows: list[Row], ctx: Context) -> bool:
    ok_all = True
    for r in rows:
        verdict = r.ok()
        if verdict is False:
            ok_all = False
        mark = {True: "ok  ", False: "MISS", None: "    "}[verdict]
        line = f"{mark} {r.name:48s} domc {fmt_value(r.domc, r.unit):>10s}"
        if r.ref is not None and r.domc == r.domc:
            ratio = r.domc / r.ref
            line += f"   virsh {fmt_value(r.ref, r.unit):>10s}   domc/virsh {ratio:7.3f}"
            if ratio < 1:
                line += f" ({1 / ratio:.1f}x faster)"
        elif ctx.virsh is None:
            line += f"   virsh: not measured ({ctx.why_no_virsh})"
        target = (f"domc/virsh <= {r.max_ratio}" if r.max_ratio is not None else
                  f"virsh/domc >= {r.min_speedup}" if r.min_speedup is not None else
                  f"domc <= {fmt_value(r.max_value, r.unit)}" if r.max_value is not None else "")
        if target:
            line += f"   [target {target}]"
        print(line)
        if r.note:
            print(f"       {r.note}")
    return ok_all


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=15, help="runs per timing (median taken)")
    ap.add_argument("--only", nargs="+", choices=sorted(MEASURES), help="run these measures")
    ap.add_argument("--list", action="store_true", help="list the measures and exit")
    a = ap.parse_args()
    if a.list:
        for name, fn in MEASURES.items():
            print(f"{name:14s} {fn.__doc__.splitlines()[0]}")
        return 0
    compileall.compile_dir(str(ROOT / "compiler"), quiet=1)
    virsh, why = find_virsh()
    ctx = Context(repeat=a.repeat, virsh=virsh, why_no_virsh=why)
    if virsh is None:
        print(f"virsh unavailable ({why}): domc is measured alone, no ratio can be given")
    ok = True
    try:
        for name in a.only or MEASURES:
            print(f"== {name}: {MEASURES[name].__doc__.splitlines()[0]}")
            ok &= report(MEASURES[name](ctx), ctx)
    finally:
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    load = os.getloadavg()[0]
    print(f"(load average {load:.1f} on {os.cpu_count()} CPUs while measuring)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

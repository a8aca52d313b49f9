"""Compile-speed benchmark: in-process compile time per domain, and CLI start-up.

Targets (on the project's 2-core reference machine):
- in-process compile of one example domain: median under 10 ms;
- whole-corpus sweep (every qemuxml2argv domain, in-process): under 3 s;
- `domc compile examples/laptop.xml` as a fresh process: median under 0.6 s
  (dominated by interpreter start-up and imports).

Run:  python3 benchmarks/bench_compile.py [--repeat N]
Exit status 1 when a target is missed, so it can gate a release; it is not part of
the test suite (timings do not belong in tests).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compiler.api import compile_file, make_env  # noqa: E402
from compiler.diagnostics import DomcError  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "libvirt-9.0.0" / "qemuxml2argv"
TARGET_EXAMPLE_MS = 10.0
TARGET_CORPUS_S = 3.0
TARGET_CLI_S = 0.6


def _time(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=30)
    a = ap.parse_args()
    ok = True
    seed = str(ROOT / "fixtures" / "topologies" / "seed-2node-8cpu")
    for xml in sorted((ROOT / "examples").glob("*.xml")):
        times = _time(lambda: compile_file(str(xml), make_env(host_root=seed)), a.repeat)
        med = statistics.median(times) * 1000
        ok &= med < TARGET_EXAMPLE_MS
        print(f"{xml.name:28s} median {med:7.2f} ms  (target < {TARGET_EXAMPLE_MS} ms)")
    if CORPUS.is_dir():
        files = sorted(p for p in CORPUS.glob("*.xml") if not p.name.endswith("-latest.xml"))
        t0 = time.perf_counter()
        compiled = 0
        for p in files:
            try:
                compile_file(str(p), make_env(host_root=seed))
                compiled += 1
            except DomcError:
                pass
        dt = time.perf_counter() - t0
        ok &= dt < TARGET_CORPUS_S
        print(f"corpus sweep: {len(files)} domains ({compiled} compiled) in {dt:.2f} s "
              f"(target < {TARGET_CORPUS_S} s)")
    cli = _time(lambda: subprocess.run([sys.executable, "-m", "compiler", "compile",
                                        str(ROOT / "examples" / "laptop.xml")],
                                       capture_output=True, check=True, cwd=ROOT), 5)
    med = statistics.median(cli)
    ok &= med < TARGET_CLI_S
    print(f"CLI compile (fresh process): median {med:.3f} s (target < {TARGET_CLI_S} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

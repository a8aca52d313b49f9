"""domc run --check on a real QEMU (TCG): vCPU 0 -> CPU 0, vCPU 1 -> CPU 1, and
/proc must show exactly that."""

import os
import shutil

import pytest

from compiler.emit.taskset import plan
from compiler.placement import runner
from compiler.placement.threads import ThreadKind

from .domains import placed

QEMU = shutil.which("qemu-system-x86_64")
XML = os.path.join(os.path.dirname(__file__), "data", "pin-2vcpu.xml")

pytestmark = [
    pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 is not installed"),
    pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs 2 usable host CPUs"),
]


def _argv():
    from compiler.api import compile_file, make_env

    return list(compile_file(XML, make_env()).argv)


def test_cli_run_check_passes():
    """The command a user types: exit 0 because /proc shows exactly the plan."""
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = subprocess.run([sys.executable, "-m", "compiler", "run", "--check", XML], cwd=root,
                       capture_output=True, text=True, timeout=120)
    assert (p.returncode, p.stderr) == (0, "")
    rows = [ln.split() for ln in p.stdout.splitlines()[1:]]
    assert [r[:2] for r in rows] == [["emulator", "-"], ["vcpu", "0"], ["vcpu", "1"]]
    # each vCPU thread is pinned to exactly its CPU and last ran there
    assert [(r[3], r[4]) for r in rows[1:]] == [("0", "0"), ("1", "1")]


def test_check_passes(capsys):
    dom, env = placed(XML)
    result = runner.run_guest(_argv(), plan(dom, env), check=True)
    assert result.mismatches == ()
    vcpus = {r.id: r for r in result.rows if r.kind is ThreadKind.VCPU}
    assert {n: str(r.affinity) for n, r in vcpus.items()} == {0: "0", 1: "1"}
    assert {n: r.cpu for n, r in vcpus.items()} == {0: 0, 1: 1}
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["THREAD", "ID", "TID", "CPU", "AFFINITY"]
    assert [ln.split()[:2] for ln in table[1:]] == [["emulator", "-"], ["vcpu", "0"], ["vcpu", "1"]]


def test_check_catches_a_pin_that_did_not_happen(monkeypatch):
    dom, env = placed(XML)
    monkeypatch.setattr(runner, "pin", lambda tid, cpus: None)
    result = runner.run_guest(_argv(), plan(dom, env), check=True)
    assert any(m.startswith("vcpu 0 ") and "plan says 0" in m for m in result.mismatches)
    assert any(m.startswith("vcpu 1 ") and "plan says 1" in m for m in result.mismatches)

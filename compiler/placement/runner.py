"""``domc run``: launch QEMU with the affinity plan applied, show and check it.

1. The plan's CPU sets are checked against this host's usable CPUs.
2. QEMU starts paused (``-S``) with a QMP socket, its affinity set to the
   emulator's CPUs before exec, so every thread it creates starts there.
3. vCPU and iothread ids come from QMP; each is pinned with sched_setaffinity.
   Memory needs no step: the binding is in the backends' host-nodes/policy.
4. The table is read back from /proc.  With ``check`` it is compared with the
   plan, the guest is stopped (``quit``) and the result is the exit status;
   otherwise the guest is resumed (``cont``) and runs in the foreground, its
   power-off, reboot and panic handled as the domain says (lifecycle.py).

Before 2., the plan's host needs (services.py): every secret file must be readable,
absent user data (UEFI variables) is created from its template, and the helpers
(swtpm, virtiofsd, vhost-user-gpu) start and open their sockets; they stop when
QEMU has exited.  ``check`` also asks QMP whether each helper's chardev is
connected, its device present, and an emulated TPM listed by ``query-tpm``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from ..record import frozen

from ..diagnostics import DomcError, Span, fail
from ..emit.taskset import AffinityPlan, lifecycle_actions
from .cpuset import CpuSet
from .lifecycle import watch
from .services import Helpers, check_secrets, helper_mismatches, prepare_state, write_files
from .threads import ThreadKind, ThreadRow, format_table, pin, qmp, thread_ids, thread_table

START_TIMEOUT = 15.0
SETTLE_SECONDS = 0.3
EXIT_GRACE = 2.0  # how long a QEMU whose monitor went away gets to finish exiting
QEMU_LAST_LINES = 3


@frozen
class RunResult:
    rows: tuple[ThreadRow, ...]
    mismatches: tuple[str, ...]


def usable_cpus() -> CpuSet:
    """CPUs this process may use: what "not restricted" means on this host."""
    return CpuSet.of(os.sched_getaffinity(0))


def check_plan_fits(plan: AffinityPlan, where: Span) -> None:
    have = usable_cpus()
    wanted = [("emulator", plan.emulator)]
    wanted += [(f"vCPU {v.id}", v.cpus) for v in plan.vcpus]
    wanted += [(f"iothread {t.id}", t.cpus) for t in plan.iothreads]
    for what, cpus in wanted:
        if cpus is not None and not cpus.issubset(have):
            raise fail("cpu-not-on-host", f"{what} is planned on CPUs {cpus}, but this host offers {have}", where)


def expected_affinity(plan: AffinityPlan, kind: ThreadKind, ident: int) -> CpuSet:
    unrestricted = usable_cpus()
    if kind is ThreadKind.EMULATOR:
        return plan.emulator or unrestricted
    items = plan.vcpus if kind is ThreadKind.VCPU else plan.iothreads
    for item in items:
        if item.id == ident:
            return item.cpus or unrestricted
    return unrestricted


def compare(rows: list[ThreadRow], plan: AffinityPlan, ran: bool = False) -> list[str]:
    """Differences between the threads' affinities and the plan (empty: all good).
    With ``ran`` (the guest ran after pinning) a vCPU's last CPU must be in its set."""
    out = []
    seen = {r.id for r in rows if r.kind is ThreadKind.VCPU}
    for v in plan.vcpus:
        if v.online and v.id not in seen:
            out.append(f"vCPU {v.id}: no thread")
    for r in rows:
        want = expected_affinity(plan, r.kind, r.id)
        if r.affinity != want:
            label = r.kind.value if r.kind is ThreadKind.EMULATOR else f"{r.kind.value} {r.id}"
            out.append(f"{label} (thread {r.tid}): affinity {r.affinity}, plan says {want}")
        elif ran and r.kind is ThreadKind.VCPU and r.cpu not in want:
            out.append(f"vcpu {r.id} (thread {r.tid}): ran on CPU {r.cpu}, outside {want}")
    return out


def _exited(proc: subprocess.Popen, where: Span) -> DomcError:
    """``qemu-exited`` with QEMU's own last words (the tail of its stderr, when it was
    captured; otherwise QEMU printed them itself, just above)."""
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    lines = [ln.strip() for ln in err.splitlines() if ln.strip()][-QEMU_LAST_LINES:]
    said = ": " + " | ".join(lines) if lines else " (its messages are above)" if not proc.stderr else ""
    return fail("qemu-exited", f"QEMU exited with status {proc.returncode}{said}", where)


def _wait_for_socket(proc: subprocess.Popen, sock: str, where: Span) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not os.path.exists(sock):
        if proc.poll() is not None:
            raise _exited(proc, where)
        if time.monotonic() > deadline:
            proc.kill()
            raise fail("qemu-timeout", f"QEMU did not open {sock} in {START_TIMEOUT:.0f}s", where)
        time.sleep(0.02)


def launch(argv: list[str], plan: AffinityPlan, sock: str, capture_stderr: bool = True) -> subprocess.Popen:
    """Start QEMU paused with a QMP socket; affinity set between fork and exec."""
    full = list(argv) + ["-S", "-qmp", f"unix:{sock},server=on,wait=off"]
    emulator = plan.emulator.to_list() if plan.emulator is not None else None

    def before_exec():
        if emulator is not None:
            os.sched_setaffinity(0, emulator)

    stderr = subprocess.PIPE if capture_stderr else None
    return subprocess.Popen(full, stdin=subprocess.DEVNULL, stderr=stderr, preexec_fn=before_exec)


def apply_plan(sock: str, plan: AffinityPlan) -> tuple[dict[int, int], dict[int, int]]:
    vcpu_tids, io_tids = thread_ids(sock)
    for v in plan.vcpus:
        if v.cpus is not None and v.id in vcpu_tids:
            pin(vcpu_tids[v.id], v.cpus)
    for t in plan.iothreads:
        if t.cpus is not None and t.id in io_tids:
            pin(io_tids[t.id], t.cpus)
    return vcpu_tids, io_tids


def run_guest(
    argv: list[str], plan: AffinityPlan, *, check: bool, sock: str | None = None,
    where: Span = Span("domc run"), out=None,
) -> RunResult:  # fmt: skip
    check_plan_fits(plan, where)
    check_secrets(plan)
    prepare_state(plan)
    write_files(plan)
    with Helpers(plan):
        return _run(argv, plan, check=check, sock=sock, where=where, out=out)


def _run(argv: list[str], plan: AffinityPlan, *, check: bool, sock: str | None, where: Span,
         out) -> RunResult:
    tmpdir = None
    if sock is None:
        tmpdir = tempfile.mkdtemp(prefix="domc-run-")
        sock = os.path.join(tmpdir, "qmp.sock")
    proc = launch(argv, plan, sock, capture_stderr=check)
    stopped = False
    try:
        _wait_for_socket(proc, sock, where)
        try:
            vcpu_tids, io_tids = apply_plan(sock, plan)
            qmp(sock, "cont")
        except DomcError:
            # the monitor went away under us: QEMU refused the guest after opening it
            # (a device it could not create); say what QEMU said, not EOFError
            try:
                proc.wait(timeout=EXIT_GRACE)
            except subprocess.TimeoutExpired:
                raise
            raise _exited(proc, where) from None
        if check:
            time.sleep(SETTLE_SECONDS)  # let the vCPUs run once where they are pinned
        rows = thread_table(proc.pid, vcpu_tids, io_tids)
        print(format_table(rows), file=out or sys.stdout, flush=True)
        mismatches = compare(rows, plan, ran=check)
        if check:
            mismatches += helper_mismatches(lambda *c: qmp(sock, *c), plan)
            qmp(sock, "quit")
            proc.wait(timeout=START_TIMEOUT)
        else:
            # the guest runs until QEMU exits; its power-off, reboot and panic are
            # handled as libvirt's daemon handles them (placement/lifecycle.py)
            try:
                watch(sock, lifecycle_actions(plan))
            except OSError:
                pass  # the monitor is gone: QEMU is exiting
            proc.wait()
        stopped = True
        return RunResult(tuple(rows), tuple(mismatches))
    finally:
        if not stopped and proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
        if tmpdir is not None:
            for name in os.listdir(tmpdir):
                os.unlink(os.path.join(tmpdir, name))
            os.rmdir(tmpdir)

"""QEMU's threads as the kernel and QMP see them: the vcpuinfo table.

Thread ids come from QMP (``query-cpus-fast``, ``query-iothreads``) through the
QEMU project's ``qemu.qmp`` library; the current CPU and the affinity come from
``/proc/PID/task/TID/stat`` and ``.../status``.
"""

from __future__ import annotations

import asyncio
import enum
import os

from qemu.qmp import QMPClient

from ..diagnostics import Span, fail
from ..record import frozen
from .cpuset import CpuSet, parse_cpuset

QMP_TIMEOUT = 10.0


class ThreadKind(enum.Enum):
    EMULATOR = "emulator"
    VCPU = "vcpu"
    IOTHREAD = "iothread"


@frozen(order=True)
class ThreadRow:
    kind: ThreadKind
    id: int  # vCPU index, iothread number, 0 for the emulator
    tid: int
    cpu: int  # the CPU it last ran on
    affinity: CpuSet


def read_task(pid: int, tid: int) -> tuple[int, CpuSet]:
    """(last CPU, allowed CPUs) of thread ``tid`` of process ``pid``."""
    base = f"/proc/{pid}/task/{tid}"
    try:
        with open(f"{base}/stat") as fh:
            stat = fh.read()
        with open(f"{base}/status") as fh:
            status = fh.read()
    except OSError as exc:
        raise fail("no-such-thread", f"thread {tid} of process {pid}: {exc.strerror}", Span(base)) from None
    # the command name may hold spaces: fields restart after the last ')'
    fields = stat[stat.rindex(")") + 2 :].split()
    cpu = int(fields[36])  # field 39 of stat
    allowed = CpuSet()
    for line in status.splitlines():
        if line.startswith("Cpus_allowed_list:"):
            allowed = parse_cpuset(line.split(":", 1)[1].strip(), Span(f"{base}/status"), what="list")
    return cpu, allowed


def tgid_of(tid: int) -> int:
    try:
        with open(f"/proc/{tid}/status") as fh:
            for line in fh:
                if line.startswith("Tgid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    raise fail("no-such-thread", f"thread {tid} is gone", Span(f"/proc/{tid}"))


async def _query(sock: str, commands: list[tuple[str, dict | None]]) -> list:
    qmp = QMPClient("domc")
    await asyncio.wait_for(qmp.connect(sock), QMP_TIMEOUT)
    try:
        out = []
        for cmd, args in commands:
            if cmd == "quit":
                # QEMU may close the socket before it answers; either way it is quitting
                try:
                    out.append(await asyncio.wait_for(qmp.execute(cmd, args), QMP_TIMEOUT))
                except Exception:  # noqa: BLE001 - the connection dropping is the expected answer
                    out.append(None)
                break
            out.append(await asyncio.wait_for(qmp.execute(cmd, args), QMP_TIMEOUT))
        return out
    finally:
        try:
            await qmp.disconnect()
        except Exception:  # noqa: BLE001 - already gone after quit
            pass


def qmp(sock: str, *commands: str | tuple[str, dict]) -> list:
    """Run QMP ``commands`` in order on monitor socket ``sock``; their results."""
    norm = [(c, None) if isinstance(c, str) else c for c in commands]
    try:
        return asyncio.run(_query(sock, norm))
    except (OSError, asyncio.TimeoutError) as exc:
        raise fail("qmp", f"QMP on {sock}: {exc or 'timed out'}", Span(sock)) from None
    except Exception as exc:  # qemu.qmp's ConnectError, ExecuteError...
        raise fail("qmp", f"QMP on {sock}: {exc}", Span(sock)) from None


def thread_ids(sock: str) -> tuple[dict[int, int], dict[int, int]]:
    """({vCPU index: thread id}, {iothread number: thread id}) from QMP."""
    cpus, iothreads = qmp(sock, "query-cpus-fast", "query-iothreads")
    vcpu_tids = {c["cpu-index"]: c["thread-id"] for c in cpus}
    io_tids = {}
    for t in iothreads:
        ident = t["id"]
        digits = "".join(ch for ch in ident if ch.isdigit())
        io_tids[int(digits) if digits else len(io_tids) + 1] = t["thread-id"]
    return vcpu_tids, io_tids


def thread_table(pid: int, vcpu_tids: dict[int, int], io_tids: dict[int, int]) -> list[ThreadRow]:
    rows = [ThreadRow(ThreadKind.EMULATOR, 0, pid, *read_task(pid, pid))]
    rows += [ThreadRow(ThreadKind.VCPU, n, tid, *read_task(pid, tid)) for n, tid in sorted(vcpu_tids.items())]
    rows += [ThreadRow(ThreadKind.IOTHREAD, n, tid, *read_task(pid, tid)) for n, tid in sorted(io_tids.items())]
    return rows


def format_table(rows: list[ThreadRow]) -> str:
    """The vcpuinfo-style table: one line per thread."""
    lines = [f"{'THREAD':<10} {'ID':>3} {'TID':>8} {'CPU':>4}  AFFINITY"]
    for r in rows:
        ident = "-" if r.kind is ThreadKind.EMULATOR else str(r.id)
        lines.append(f"{r.kind.value:<10} {ident:>3} {r.tid:>8} {r.cpu:>4}  {r.affinity}")
    return "\n".join(lines)


def pin(tid: int, cpus: CpuSet) -> None:
    try:
        os.sched_setaffinity(tid, cpus.to_list())
    except OSError as exc:
        raise fail("pin", f"cannot pin thread {tid} to CPUs {cpus}: {exc.strerror}", Span(f"/proc/{tid}")) from None

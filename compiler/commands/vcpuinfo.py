"""domc vcpuinfo: the running guest's threads, where they run and may run."""

from __future__ import annotations

from ..placement.threads import format_table, tgid_of, thread_ids, thread_table
from ._qmpargs import add_target, resolve

NAME = "vcpuinfo"
HELP = "show a running guest's vCPU threads: thread id, current CPU, affinity"


def add_arguments(parser) -> None:
    add_target(parser)


def run(args) -> int:
    sock = resolve(args)
    vcpu_tids, io_tids = thread_ids(sock)
    pid = tgid_of(next(iter(vcpu_tids.values())))
    print(format_table(thread_table(pid, vcpu_tids, io_tids)))
    return 0

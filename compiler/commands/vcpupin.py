"""domc vcpupin: pin a running guest's vCPU thread to host CPUs (virsh vcpupin)."""

from __future__ import annotations

from ..diagnostics import Span, fail
from ..placement.cpuset import parse_cpuset
from ..placement.threads import format_table, pin, tgid_of, thread_ids, thread_table
from ._qmpargs import add_target, resolve

NAME = "vcpupin"
HELP = "pin a running guest's vCPU to a host CPU set, or show the pinning"


def add_arguments(parser) -> None:
    add_target(parser)
    parser.add_argument("--vcpu", type=int, help="vCPU index")
    parser.add_argument("--cpulist", help="host CPUs, cpuset syntax (0-3,^2)")


def run(args) -> int:
    sock = resolve(args)
    vcpu_tids, io_tids = thread_ids(sock)
    where = Span("vcpupin")
    if args.vcpu is not None:
        if args.cpulist is None:
            raise fail("usage", "--vcpu needs --cpulist", where)
        if args.vcpu not in vcpu_tids:
            have = ",".join(map(str, sorted(vcpu_tids)))
            raise fail("vcpupin-range", f"the guest has no vCPU {args.vcpu} (vCPUs: {have})", where)
        pin(vcpu_tids[args.vcpu], parse_cpuset(args.cpulist, where, what="cpulist"))
    pid = tgid_of(next(iter(vcpu_tids.values())))
    print(format_table(thread_table(pid, vcpu_tids, io_tids)))
    return 0

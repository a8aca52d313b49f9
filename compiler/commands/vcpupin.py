"""domc vcpupin: pin a running guest's vCPU thread to host CPUs (virsh vcpupin).

virsh's form ``vcpupin GUEST VCPU CPULIST`` (``vcpupin --qmp SOCK VCPU CPULIST``) and
the options ``--vcpu N --cpulist LIST`` mean the same; without a vCPU and a CPU list
the pinning is shown."""

from __future__ import annotations

from ..diagnostics import Span, fail
from ..placement.cpuset import parse_cpuset
from ..placement.threads import format_table, pin, tgid_of, thread_ids, thread_table
from ._qmpargs import resolve, socket_for

NAME = "vcpupin"
HELP = "pin a running guest's vCPU to a host CPU set (vcpupin GUEST VCPU CPULIST), or show the pinning"


def add_arguments(parser) -> None:
    parser.add_argument("words", nargs="*", metavar="GUEST [VCPU [CPULIST]]",
                        help=f"guest name (socket {socket_for('NAME')}; left out with --qmp), "
                             "vCPU index, host CPUs in cpuset syntax (0-3,^2)")
    parser.add_argument("--qmp", metavar="SOCK", help="the guest's QMP unix socket")
    parser.add_argument("--vcpu", help="vCPU index (as VCPU)")
    parser.add_argument("--cpulist", help="host CPUs (as CPULIST)")


def _one(where: Span, name: str, positional, option):
    if positional is not None and option is not None and positional != option:
        raise fail("usage", f"{name.upper()} {positional} and --{name} {option} disagree", where)
    return option if option is not None else positional


def _vcpu_index(text: str | None, where: Span) -> int | None:
    if text is None:
        return None
    if not text.strip().isdigit():
        raise fail("usage", f"VCPU is a vCPU index, not {text!r}", where)
    return int(text)


def run(args) -> int:
    where = Span("vcpupin")
    words = list(args.words)
    args.guest = None if args.qmp else (words.pop(0) if words else None)
    if len(words) > 2:
        raise fail("usage", "vcpupin takes GUEST VCPU CPULIST (no GUEST with --qmp); "
                   f"left over: {' '.join(words[2:])}", where)
    words += [None] * (2 - len(words))
    vcpu = _vcpu_index(_one(where, "vcpu", words[0], args.vcpu), where)
    cpulist = _one(where, "cpulist", words[1], args.cpulist)
    if cpulist is not None and vcpu is None:
        raise fail("usage", "a CPU list needs the vCPU it is for: vcpupin GUEST VCPU CPULIST "
                   "(or --vcpu N --cpulist LIST)", where)
    if vcpu is not None and cpulist is None:
        raise fail("usage", "a vCPU needs the CPU list to pin it to: vcpupin GUEST VCPU CPULIST",
                   where)
    cpus = parse_cpuset(cpulist, where, what="cpulist") if cpulist is not None else None
    sock = resolve(args)
    vcpu_tids, io_tids = thread_ids(sock)
    if vcpu is not None:
        if vcpu not in vcpu_tids:
            have = ",".join(map(str, sorted(vcpu_tids)))
            raise fail("vcpupin-range", f"the guest has no vCPU {vcpu} (vCPUs: {have})", where)
        pin(vcpu_tids[vcpu], cpus)
    pid = tgid_of(next(iter(vcpu_tids.values())))
    print(format_table(thread_table(pid, vcpu_tids, io_tids)))
    return 0

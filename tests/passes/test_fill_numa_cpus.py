"""fill_numa_cpus: vCPUs that no NUMA cell lists go to cell 0, as libvirt 9.0's
post-parse puts them there (checked against virsh: argv and dumpxml)."""

from __future__ import annotations

import pytest

from compiler.api import make_env
from compiler.emit.xml import write_normalized
from compiler.parse import parse_bytes
from compiler.pipeline import normalize


def _xml(vcpu: str, cells: list[tuple[int, str | None]]) -> bytes:
    body = "".join(f"<cell id='{i}'{'' if cpus is None else f' cpus={cpus!r}'} memory='64' "
                   "unit='MiB'/>" for i, cpus in cells)
    return (f"<domain type='qemu'><name>t</name><memory unit='MiB'>{64 * len(cells)}</memory>"
            f"{vcpu}<os><type arch='x86_64' machine='pc'>hvm</type></os>"
            f"<cpu><numa>{body}</numa></cpu><devices/></domain>").encode()


@pytest.mark.parametrize("vcpu, cells, want", [
    # every vCPU in a cell: nothing changes
    ("<vcpu>4</vcpu>", [(0, "0-1"), (1, "2-3")], ["0-1", "2-3"]),
    # the leftovers (and cell 0's own) end up in cell 0; other cells keep theirs
    ("<vcpu current='4'>14</vcpu>", [(0, "0-5"), (1, "6-11"), (2, None)],
     ["0-5,12-13", "6-11", ""]),
    # cell 0 without cpus gets every vCPU no other cell has
    ("<vcpu>12</vcpu>", [(0, None), (1, "0-5"), (2, None)], ["6-11", "0-5", ""]),
    # no cell lists a vCPU: cell 0 gets them all
    ("<vcpu>3</vcpu>", [(0, None), (1, None)], ["0-2", ""]),
    # cell 0 is found by id, not by position
    ("<vcpu>4</vcpu>", [(1, "0-1"), (0, None)], ["0-1", "2-3"]),
])
def test_leftover_vcpus_go_to_cell_0(vcpu, cells, want):
    dom, root = parse_bytes(_xml(vcpu, cells), "t.xml")
    dom = normalize(dom, make_env())
    assert [c.cpus for c in dom.cpu.numa] == want
    # the normalized XML shows it, and normalizing that changes nothing
    once = write_normalized(root, dom)
    again, root2 = parse_bytes(once, "t.xml")
    assert write_normalized(root2, normalize(again, make_env())) == once

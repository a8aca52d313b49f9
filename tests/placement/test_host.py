"""Host topology readers: fixtures and a capture of this machine."""

import pytest

from compiler.diagnostics import DomcError
from compiler.placement.capture import capture_host
from compiler.placement.host import read_host

from .corpus import REPO

TOPO = REPO / "fixtures" / "topologies"

FACTS = [
    # name, cpus, sockets, cores/socket, threads/core, node cpus
    ("seed-2node-8cpu", 8, 2, 4, 1, ["0-3", "4-7"]),
    ("snc-4node-16cpu-smt", 16, 2, 4, 2, ["0-1,8-9", "2-3,10-11", "4-5,12-13", "6-7,14-15"]),
    ("flat-4cpu", 4, 1, 4, 1, ["0-3"]),
]


@pytest.mark.parametrize("name,cpus,sockets,cores,threads,nodes", FACTS)
def test_fixture(name, cpus, sockets, cores, threads, nodes):
    h = read_host(str(TOPO / name))
    assert (len(h.cpus), h.sockets, h.cores_per_socket, h.threads_per_core) == (cpus, sockets, cores, threads)
    assert [str(n.cpus) for n in h.nodes] == nodes


def test_capture_of_this_machine_reads_back_the_same(tmp_path):
    capture_host(str(tmp_path))
    live, captured = read_host(None), read_host(str(tmp_path))
    assert (live.cpus, [n.cpus for n in live.nodes]) == (captured.cpus, [n.cpus for n in captured.nodes])


def test_missing_tree_is_a_one_line_error(tmp_path):
    with pytest.raises(DomcError) as info:
        read_host(str(tmp_path))
    assert info.value.diagnostics[0].code == "io"
    assert str(tmp_path) in info.value.diagnostics[0].render()

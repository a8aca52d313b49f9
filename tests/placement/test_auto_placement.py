"""Automatic placement: fewest nodes, then most free memory, then lowest ids."""

import pytest

from compiler.diagnostics import DomcError, Span
from compiler.placement.auto import choose_nodes
from compiler.placement.host import read_host

from .corpus import REPO

TOPO = REPO / "fixtures" / "topologies"

CASES = [
    # topology, KiB, vCPUs, nodes, cpus
    ("seed-2node-8cpu", 3 * 1024 * 1024, 4, "1", "4-7"),
    ("seed-2node-8cpu", 1024 * 1024, 2, "1", "4-7"),  # both fit: most free memory wins
    ("seed-2node-8cpu", 5 * 1024 * 1024, 4, "0-1", "0-7"),  # needs both nodes
    ("seed-2node-8cpu", 1024, 6, "0-1", "0-7"),  # CPUs, not memory, force two nodes
    ("snc-4node-16cpu-smt", 2 * 1024 * 1024, 4, "1", "2-3,10-11"),  # tie 1/2 -> lower id
    ("snc-4node-16cpu-smt", 4 * 1024 * 1024, 4, "1-2", "2-5,10-13"),
    ("snc-4node-16cpu-smt", 7 * 1024 * 1024, 8, "0-2", "0-5,8-13"),
    ("flat-4cpu", 1024 * 1024, 4, "0", "0-3"),
]


@pytest.mark.parametrize("topo,kib,vcpus,nodes,cpus", CASES)
def test_choice(topo, kib, vcpus, nodes, cpus):
    got = choose_nodes(read_host(str(TOPO / topo)), kib, vcpus, Span("g.xml", 3))
    assert (str(got.nodes), str(got.cpus)) == (nodes, cpus)


def test_nothing_fits_says_what_was_needed_and_what_each_node_had():
    host = read_host(str(TOPO / "seed-2node-8cpu"))
    with pytest.raises(DomcError) as info:
        choose_nodes(host, 6 * 1024 * 1024, 4, Span("g.xml", 3))
    (d,) = info.value.diagnostics
    assert d.code == "placement-no-fit"
    assert d.render().startswith("g.xml:3: error[placement-no-fit]: ")
    for fact in ("6291456 KiB", "4 CPUs", "node 0: 2203620 KiB free", "node 1: 3354784 KiB free"):
        assert fact in d.message


def test_too_many_vcpus():
    host = read_host(str(TOPO / "flat-4cpu"))
    with pytest.raises(DomcError, match="needs 1024 KiB free and 5 CPUs"):
        choose_nodes(host, 1024, 5, Span("g.xml", 3))

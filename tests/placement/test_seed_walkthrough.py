"""The seed's walk-through, reproduced from fixtures/topologies/seed-2node-8cpu:
nodeinfo, freecell --all, a 3 GB 4-vCPU guest placed automatically on node 1
(cpuset 4-7), then one host CPU per vCPU (vcpupin 0->4 ... 3->7)."""

import json

from compiler.cli import main
from compiler.emit.shell import shell_launcher
from compiler.emit.taskset import plan, plan_from_json, plan_json

from .corpus import REPO
from .domains import placed

SEED = str(REPO / "fixtures" / "topologies" / "seed-2node-8cpu")
EXAMPLES = REPO / "examples" / "placement"


def test_nodeinfo(capsys):
    assert main(["nodeinfo", "--host-root", SEED, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["cpus"] == 8
    assert (info["sockets"], info["cores_per_socket"], info["threads_per_core"]) == (2, 4, 1)
    assert info["numa_cells"] == 2
    assert info["memory_kib"] == 8179176


def test_freecell(capsys):
    assert main(["freecell", "--all", "--host-root", SEED]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split() for ln in lines] == [
        ["0:", "2203620", "KiB"],
        ["1:", "3354784", "KiB"],
        ["--------------------"],
        ["Total:", "5558404", "KiB"],
    ]
    assert main(["freecell", "1", "--host-root", SEED]) == 0
    assert capsys.readouterr().out == "1: 3354784 KiB\n"


def test_freecell_unknown_cell(capsys):
    assert main(["freecell", "2", "--host-root", SEED]) == 2
    assert "error[no-such-cell]" in capsys.readouterr().err


def test_auto_placement_picks_node_1():
    dom, env = placed(EXAMPLES / "seed-auto.xml", SEED)
    p = plan_json(plan(dom, env))
    assert p["auto_nodes"] == "1"
    assert p["emulator"] == "4-7"
    assert [v["cpus"] for v in p["vcpus"]] == ["4-7"] * 4
    assert p["memory"] == {"mode": "strict", "nodes": "1"}


def test_vcpupin_one_cpu_each():
    dom, env = placed(EXAMPLES / "seed-pinned.xml", SEED)
    p = plan(dom, env)
    assert [(v.id, str(v.cpus)) for v in p.vcpus] == [(0, "4"), (1, "5"), (2, "6"), (3, "7")]
    assert plan_from_json(json.loads(json.dumps(plan_json(p)))) == p
    script = shell_launcher(["qemu-system-x86_64", "-name", "guest1"], p)
    assert "taskset -c 4-7 qemu-system-x86_64 -name guest=guest1,debug-threads=on &" in script
    for n in range(4):
        assert f"pin_thread 'CPU {n}/*' {n + 4}" in script

"""Snapshots of the affinity plan for every example domain, on each fixture host
(review changes with `pytest --snapshot-update` like code)."""

import json

import pytest

from compiler.diagnostics import DomcError
from compiler.emit.numa import emit_numa
from compiler.emit.shell import shell_launcher
from compiler.emit.taskset import plan, plan_json

from .corpus import REPO
from .domains import placed

EXAMPLES = sorted([*(REPO / "examples" / "placement").glob("*.xml"),
                   REPO / "examples" / "invalid" / "auto-too-big.xml"])
HOSTS = ["seed-2node-8cpu", "snc-4node-16cpu-smt"]


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("xml", EXAMPLES, ids=[x.stem for x in EXAMPLES])
def test_plan(xml, host, snapshot):
    try:
        dom, env = placed(xml, str(REPO / "fixtures" / "topologies" / host))
    except DomcError as exc:
        assert snapshot == {"error": [d.render().replace(str(REPO), "<repo>") for d in exc.diagnostics]}
        return
    p = plan(dom, env)
    out = {
        "plan": plan_json(p),
        "numa": emit_numa(dom, env),
        "warnings": [d.render().replace(str(REPO), "<repo>") for d in env.diag.items],
        "launcher": shell_launcher(["qemu-system-x86_64", "-name", dom.name], p).splitlines(),
    }
    assert snapshot == json.loads(json.dumps(out))

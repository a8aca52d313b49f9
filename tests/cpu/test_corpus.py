"""libvirt 9.0.0's own CPU test cases (read from ../shared/corpus, never copied):
host-model decoding, compare and baseline must give libvirt's answers."""

import json
import os
import re

import pytest

from compiler.cpu.baseline import baseline
from compiler.cpu.compare import compare
from compiler.cpu.host import from_cpuid_file
from compiler.cpu.models import catalogue
from compiler.cpu.documents import load_cpus, load_one_cpu
from compiler.diagnostics import DomcError

from .conftest import CORPUS


def _cases(kind):
    path = os.path.join(CORPUS, "EXPECTED.json")
    if not os.path.exists(path):
        return [pytest.param(None, marks=pytest.mark.skip(reason="libvirt corpus not present"))]
    with open(path) as fh:
        return [pytest.param(c, id=c["name"]) for c in json.load(fh) if c["kind"] == kind]


def _summary(cpu):
    feats = {re.sub("_", "-", f.name.lower()): f.policy.value for f in cpu.features}
    return cpu.model, cpu.vendor, feats


@pytest.mark.parametrize("case", _cases("host-model"))
def test_host_model(case):
    got = from_cpuid_file(os.path.join(CORPUS, case["inputs"][0]))
    want = load_one_cpu(os.path.join(CORPUS, case["expected"]))
    assert _summary(got) == _summary(want)


@pytest.mark.parametrize("case", _cases("compare"))
def test_compare(case):
    host, cpu = (load_one_cpu(os.path.join(CORPUS, p)) for p in case["inputs"])
    if case["expected"] == "ERROR":
        with pytest.raises(DomcError):
            compare(catalogue(), host, cpu)
    else:
        assert compare(catalogue(), host, cpu).verdict.value == case["expected"]


@pytest.mark.parametrize("case", _cases("baseline"))
def test_baseline(case):
    cpus = [c for p in case["inputs"] for c in load_cpus(os.path.join(CORPUS, p))]
    kw = dict(expand="--features" in case["flags"], migratable="--migratable" in case["flags"])
    if case["expected"] == "ERROR":
        with pytest.raises(DomcError):
            baseline(catalogue(), cpus, **kw)
        return
    got = baseline(catalogue(), cpus, **kw)
    want = load_one_cpu(os.path.join(CORPUS, case["expected"]))
    assert _summary(got) == _summary(want)

"""Generated fleets (mutations of libvirt's real CPUID dumps) against a running
libvirt 9.0: the best common model of cpu-matrix (and cpu-baseline of the fleet's
directory) is ``virsh cpu-baseline``'s answer for the fleet's host CPUs, with and
without --features/--migratable; and whether a fleet host's host-model guest runs
on this machine is ``virsh hypervisor-cpu-compare``'s verdict, with this machine
recorded as ``virsh domcapabilities``.  Skipped when virsh does not answer."""

from __future__ import annotations

import json
import random
import re

import pytest

from compiler.cpu.documents import load_one_cpu
from compiler.cpu.host import describe
from compiler.cpu.expand import offered
from compiler.cpu.models import catalogue
from compiler.cpu.render import cpu_xml

from ..libvirt import NO_LIBVIRT, cpu_answer, libvirt_answers, virsh
from .fleetgen import fleet

pytestmark = pytest.mark.skipif(not libvirt_answers(), reason=NO_LIBVIRT)




def _host_cpus(domc, paths) -> str:
    """The fleet's host CPUs as domc decodes them, one document after the other."""
    out = []
    for p in paths:
        rc, text, err = domc("host-cpu", "--cpuid", p)
        assert rc == 0, err
        out.append(text)
    return "".join(out)


CASES = [(seed, "Intel") for seed in range(8)] + [(seed, "AMD") for seed in range(8, 12)]


@pytest.mark.parametrize("flags", [(), ("--features",), ("--migratable",)])
@pytest.mark.parametrize("seed, vendor", CASES, ids=[f"{v}-{s}" for s, v in CASES])
def test_best_common_model_is_virsh_cpu_baseline(domc, corpus, tmp_path, seed, vendor, flags):
    d = tmp_path / "fleet"
    d.mkdir()
    paths = fleet(d, seed, vendor, size=8 + seed * 3)
    cpus = tmp_path / "cpus.xml"
    cpus.write_text(_host_cpus(domc, paths))
    lv = virsh("cpu-baseline", str(cpus), *flags)
    assert lv.returncode == 0, lv.stderr
    want = cpu_answer(lv.stdout)
    if catalogue().get(want[0]) is None:
        pytest.skip(f"libvirt answers {want[0]}, a model QEMU 7.2 does not offer")
    rc, out, err = domc("cpu-matrix", *flags, d, "--format", "json")
    assert (rc, err) == (0, "")
    doc = json.loads(out)
    assert doc["hosts"] == len(paths)
    assert cpu_answer(doc["best"]) == want
    rc, out, err = domc("cpu-baseline", *flags, d)
    assert (rc, err) == (0, "") and cpu_answer(out) == want


def test_seed_pair_best_common_model_is_virsh_cpu_baseline(domc, tmp_path):
    from .test_fleet import LAPTOP, SERVER

    both = tmp_path / "both.xml"
    both.write_text(re.search(r"<cpu>.*?</cpu>", open(LAPTOP).read(), re.S).group(0) + "\n"
                    + re.search(r"<cpu>.*?</cpu>", open(SERVER).read(), re.S).group(0) + "\n")
    lv = virsh("cpu-baseline", str(both))
    assert lv.returncode == 0, lv.stderr
    rc, out, err = domc("cpu-matrix", LAPTOP, SERVER, "--format", "json")
    assert cpu_answer(json.loads(out)["best"]) == cpu_answer(lv.stdout)


@pytest.fixture(scope="module")
def this_machine(tmp_path_factory):
    """This machine recorded as libvirt sees it for KVM guests (domain capabilities)."""
    caps = virsh("domcapabilities", "--virttype", "kvm")
    if caps.returncode != 0 or "<mode name='host-model' supported='yes'>" not in caps.stdout:
        pytest.skip("libvirt offers no host-model CPU for KVM here")
    p = tmp_path_factory.mktemp("oracle") / "this-machine.xml"
    p.write_text(caps.stdout)
    return str(p)


def _mutants_of(path: str, rng: random.Random, n: int) -> list[str]:
    """Host CPUs with this machine's vendor: this machine's host-model CPU less some
    features (they run here) and plus some (most do not)."""
    cat = catalogue()
    cpu = load_one_cpu(path)
    have = offered(cat, cpu)
    model = cat.get(cpu.model)
    vendor_string = {v: k for k, v in cat.vendors.items()}[cpu.vendor or model.vendor]
    base = describe(cat, have, vendor_string, None)  # its host model stays: it still describes them
    bits = [1 << i for i in range(have.bit_length()) if (have & ~cat.get(base.model).mask) >> i & 1]
    others = [m for m in cat.models if m.vendor in (None, cpu.vendor)]
    out = []
    for i in range(n):
        mask = have
        for b in rng.sample(bits, rng.randint(1, 8)):
            mask &= ~b
        if i % 3 == 2:  # and some features this machine lacks
            extra = rng.choice(others).mask & ~have
            mask |= extra & -extra if extra else 0
        out.append(cpu_xml(describe(cat, mask, vendor_string, None)))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_host_model_guests_on_this_machine_are_virsh_hypervisor_cpu_compare(domc, corpus, tmp_path,
                                                                          this_machine, seed):
    rng = random.Random(seed)
    d = tmp_path / "fleet"
    d.mkdir()
    vendor = load_one_cpu(this_machine).vendor
    for i, text in enumerate(_mutants_of(this_machine, rng, 12)):
        (d / f"mutant{i:02d}.xml").write_text(text + "\n")
    if vendor in ("Intel", "AMD"):
        fleet(d, seed, vendor, size=6)
    (d / "zz-this-machine.xml").write_text(open(this_machine).read())
    rc, out, err = domc("cpu-matrix", d, "--format", "json")
    assert (rc, err) == (0, "")
    doc = json.loads(out)
    (here,) = [c["class"] for c in doc["classes"] if str(d / "zz-this-machine.xml") in c["hosts"]]
    verdicts = {"identical": "IDENTICAL", "superset": "SUPERSET", "incompatible": "INCOMPATIBLE"}
    seen = set()
    for c in doc["classes"]:
        g = tmp_path / f"guest{c['class']}.xml"
        g.write_text(c["host_model"])
        lv = virsh("hypervisor-cpu-compare", "--virttype", "kvm", str(g))
        m = re.search(r"identical|superset|incompatible", lv.stdout + lv.stderr)
        assert m, lv.stdout + lv.stderr
        want = verdicts[m.group(0)]
        assert doc["matrix"][c["class"] - 1][here - 1] is (want != "INCOMPATIBLE"), (c["hosts"], lv.stdout)
        rc, out, _ = domc("cpu-compare", "--host", this_machine, g)
        assert out.split()[0] == want, (c["hosts"], out, lv.stdout)
        seen.add(want)
    assert {"INCOMPATIBLE"} < seen  # both answers occur

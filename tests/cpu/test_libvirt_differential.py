"""domc's cpu-baseline and cpu-compare against a running libvirt 9.0 (virsh), on the
host fixtures and on generated model+feature CPUs, and domc's -cpu for every catalogue
model against libvirt's command line (virsh domxml-to-native).  Skipped when virsh does
not answer.

Generated cases come from a fixed seed (deterministic) and draw from every catalogue
model, the noTSX ones included.  Where libvirt's cpu-baseline answers a model QEMU 7.2
no longer offers (``pentiumpro``), domc is compared with hypervisor-cpu-baseline, which
knows QEMU's models (docs/CPU.md)."""

from __future__ import annotations

import os
import random
import re

import pytest

from compiler.cpu.models import catalogue
from compiler.profile import load_profile

from ..libvirt import NO_LIBVIRT, cpu_answer, libvirt_answers, virsh
from .conftest import HOSTS

LAPTOP = os.path.join(HOSTS, "laptop.xml")
SERVER = os.path.join(HOSTS, "server.xml")


pytestmark = pytest.mark.skipif(not libvirt_answers(), reason=NO_LIBVIRT)


def _cpu_element(path: str) -> str:
    """The <cpu> of a fixture (a capabilities document's host CPU, or a bare <cpu>)."""
    text = open(path, encoding="utf-8").read()
    m = re.search(r"<cpu>.*?</cpu>", text, re.S)
    return m.group(0)




def _generated(n: int, seed: int = 9):
    cat = catalogue()
    rng = random.Random(seed)
    models = list(cat.models)
    out = []
    for i in range(n):
        vendor = ("Intel", "AMD")[i % 2]
        pool = [m for m in models if m.vendor in (None, vendor)]
        every = sorted(set().union(*(m.features for m in pool)))
        cpus = []
        for _ in range(rng.choice((2, 3))):
            m = rng.choice(pool)
            extra = sorted(set(rng.sample(every, rng.randint(0, 10))) - m.features)
            v = f"<vendor>{vendor}</vendor>" if m.vendor or rng.random() < 0.5 else ""
            cpus.append(f"<cpu><arch>x86_64</arch><model>{m.name}</model>{v}"
                        + "".join(f"<feature name='{f}'/>" for f in extra) + "</cpu>\n")
        out.append(cpus)
    return out


CASES = [[_cpu_element(LAPTOP), _cpu_element(SERVER)]] + _generated(12)


@pytest.mark.parametrize("flags", [(), ("--features",), ("--migratable",)])
@pytest.mark.parametrize("cpus", CASES, ids=["fixtures"] + [f"gen{i}" for i in range(len(CASES) - 1)])
def test_baseline_agrees_with_libvirt(domc, tmp_path, cpus, flags):
    files = []
    for i, c in enumerate(cpus):
        f = tmp_path / f"cpu{i}.xml"
        f.write_text(c)
        files.append(f)
    both = tmp_path / "all.xml"
    both.write_text("".join(cpus))  # virsh takes the <cpu> elements one after the other
    lv = virsh("cpu-baseline", str(both), *flags)
    assert lv.returncode == 0, lv.stderr
    want = cpu_answer(lv.stdout)
    if catalogue().get(want[0]) is None:
        # libvirt answers a model QEMU 7.2 does not offer (pentiumpro): domc answers from
        # QEMU's models, as libvirt does when it is told which models the hypervisor has
        # (hypervisor-cpu-baseline, whose fallback is always 'forbid': cpu-baseline's is kept)
        hv = virsh("hypervisor-cpu-baseline", str(both), "--virttype", "qemu", *flags)
        assert hv.returncode == 0, hv.stderr
        model, _, vendor, feats = cpu_answer(hv.stdout)
        if catalogue().get(model) is None:
            pytest.skip(f"libvirt answers {want[0]} and {model}, models QEMU 7.2 does not offer")
        want = (model, want[1], vendor, feats)
    rc, out, err = domc("cpu-baseline", *flags, *files)
    assert (rc, err) == (0, "")
    assert cpu_answer(out) == want


VERDICT = re.compile(r"identical to|superset of|incompatible with")
VERDICTS = {"identical to": "IDENTICAL", "superset of": "SUPERSET", "incompatible with": "INCOMPATIBLE"}


@pytest.mark.parametrize("cpu", [_cpu_element(LAPTOP), _cpu_element(SERVER)]
                         + [c for cs in _generated(6, seed=4) for c in cs[:1]],
                         ids=lambda c: re.search(r"<model>([^<]+)", c).group(1))
def test_compare_with_this_host_agrees_with_libvirt(domc, tmp_path, cpu):
    f = tmp_path / "cpu.xml"
    f.write_text(cpu)
    lv = virsh("cpu-compare", str(f))
    m = VERDICT.search(lv.stdout + lv.stderr)
    assert m, lv.stdout + lv.stderr
    rc, out, _ = domc("cpu-compare", f)
    assert out.splitlines()[0] == VERDICTS[m.group(0)]
    assert rc == (1 if m.group(0) == "incompatible with" else 0)


def test_non_migratable_features_are_what_libvirt_drops(tmp_path):
    """cpu-baseline --migratable of a CPU listing every feature drops exactly these."""
    from compiler.cpu.features import table

    f = tmp_path / "all.xml"
    f.write_text("<cpu><arch>x86_64</arch><model>qemu64</model>"
                 + "".join(f"<feature name='{x.name}'/>" for x in table().features) + "</cpu>")
    plain = set(re.findall(r"name='([^']+)'", virsh("cpu-baseline", str(f)).stdout))
    migratable = set(re.findall(r"name='([^']+)'", virsh("cpu-baseline", str(f), "--migratable").stdout))
    assert plain - migratable == set(catalogue().non_migratable)


def test_vendor_neutral_models_are_what_libvirt_accepts_with_any_vendor(tmp_path):
    """A model with a vendor of its own refuses a CPU naming it with another vendor."""
    neutral = set()
    for m in catalogue().models:
        ok = True
        for v in ("Intel", "AMD"):
            f = tmp_path / "v.xml"
            f.write_text(f"<cpu><arch>x86_64</arch><model>486</model></cpu>"
                         f"<cpu><arch>x86_64</arch><model>{m.name}</model><vendor>{v}</vendor></cpu>")
            ok &= "differs from vendor" not in virsh("cpu-baseline", str(f)).stderr
        if ok:
            neutral.add(m.name)
    assert neutral == {m.name for m in catalogue().models if m.vendor is None}


def _domain(cpu: str, virt: str = "qemu") -> str:
    return (f"<domain type='{virt}'><name>domc-cpu-argv</name><memory unit='MiB'>64</memory>"
            f"<os><type arch='x86_64' machine='pc'>hvm</type></os>{cpu}</domain>")


def _cpu_option(value: str):
    """(model, features on, features off) of a -cpu value, libvirt feature names."""
    from compiler.cpu.features import table

    head, *props = value.split(",")
    on, off = set(), set()
    for p in props:
        name, _, v = p.partition("=")
        assert v in ("on", "off"), value
        (on if v == "on" else off).add(table().canonical(name) or name)
    return head, on, off


def _argv_cases():
    """Every catalogue model alone; with each of its removed features required; and
    with a few seeded require/disable lines of features QEMU can set."""
    from compiler.cpu.features import table
    from compiler.profile import load_profile

    cat, tab, profile = catalogue(), table(), load_profile()
    settable = sorted(f.name for f in tab.features if profile.cpu_property(tab.qemu_name(f.name)))
    rng = random.Random(5)
    out = []
    for m in cat.models:
        out.append(pytest.param(m.name, "", id=m.name))
        for f in sorted(m.removed):
            out.append(pytest.param(m.name, f"<feature policy='require' name='{f}'/>", id=f"{m.name}+{f}"))
        picks = rng.sample(settable, 4)
        out.append(pytest.param(m.name, "".join(
            f"<feature policy='{p}' name='{f}'/>"
            for p, f in zip(("require", "disable", "require", "disable"), picks)), id=f"{m.name}-seeded"))
    return out


@pytest.mark.parametrize("model, features", _argv_cases())
def test_cpu_option_agrees_with_libvirt(domc, tmp_path, model, features):
    f = tmp_path / "dom.xml"
    f.write_text(_domain(f"<cpu mode='custom' match='exact'><model>{model}</model>{features}</cpu>"))
    lv = virsh("domxml-to-native", "qemu-argv", str(f))
    assert lv.returncode == 0, lv.stderr
    want = re.search(r"(?:^|\s)-cpu\s+(\S+)", lv.stdout).group(1)
    rc, out, err = domc("compile", f, "--format", "argv")
    assert (rc, err) == (0, ""), err
    args = out.splitlines()
    got = args[args.index("-cpu") + 1]
    assert _cpu_option(got) == _cpu_option(want), (got, want)
    assert got == want  # libvirt's very words: feature=on/off, in libvirt's order


def _host_model_cases():
    """host-model with seeded XML feature lines (disable and optional, which any host
    allows; require and force of what the accelerator's host-model CPU has): TCG always,
    KVM where this machine has it."""
    from compiler.cpu.features import table

    tab = table()
    settable = [f.name for f in tab.features if load_profile().cpu_property(tab.qemu_name(f.name))]
    rng = random.Random(17)
    out = [pytest.param("qemu", "", id="tcg")]
    for i in range(6):
        picks = rng.sample(settable, 4)
        lines = "".join(f"<feature policy='{p}' name='{f}'/>"
                        for p, f in zip(("disable", "optional", "disable", "optional"), picks))
        out.append(pytest.param("qemu", lines, id=f"tcg-{i}"))
    if os.access("/dev/kvm", os.R_OK | os.W_OK):
        out.append(pytest.param("kvm", "", id="kvm"))
        for i in range(3):
            picks = rng.sample(settable, 3)
            lines = "".join(f"<feature policy='disable' name='{f}'/>" for f in picks)
            out.append(pytest.param("kvm", lines, id=f"kvm-{i}"))
    return out


@pytest.mark.parametrize("virt, features", _host_model_cases())
def test_host_model_option_is_libvirts_word_for_word(domc, tmp_path, virt, features):
    """The host-model CPU's own features in libvirt's order (as its domain capabilities
    list them), the XML's changing theirs in place and the others after them."""
    f = tmp_path / "dom.xml"
    f.write_text(_domain(f"<cpu mode='host-model'>{features}</cpu>", virt))
    lv = virsh("domxml-to-native", "qemu-argv", str(f))
    rc, out, err = domc("compile", f, "--format", "argv")
    if lv.returncode != 0:  # e.g. a feature this host's CPU lacks: both refuse
        assert rc == 2, (lv.stderr, out)
        return
    want = re.search(r"(?:^|\s)-cpu\s+(\S+)", lv.stdout).group(1)
    assert rc == 0, err
    args = out.splitlines()
    assert args[args.index("-cpu") + 1] == want


def _noTSX_hosts():
    """Host CPUs naming each model libvirt keeps for hosts, with seeded extra features."""
    cat, rng = catalogue(), random.Random(11)
    every = sorted(set().union(*(m.features for m in cat.models if m.vendor in (None, "Intel"))))
    out = []
    for m in cat.models:
        if m.guest_decodable:
            continue
        for i in range(3):
            extra = sorted(set(rng.sample(every, 6 * i)) - m.features - {"hle", "rtm"})
            extra += sorted(m.removed)[:i % 2]
            out.append(pytest.param(m.name, extra, id=f"{m.name}-{i}"))
    return out


@pytest.mark.parametrize("model, extra", _noTSX_hosts())
def test_host_model_on_a_noTSX_host_is_libvirts_guest_description(domc, tmp_path, model, extra):
    """libvirt's host-model CPU is its guest description of the host (the domain
    capabilities' host-model; its cpu-baseline of the host CPU gives the same model and
    features): never a model it keeps for hosts.  domc's -cpu runs that model with the
    described extra features on, and at least the described disable lines off."""
    from compiler.cpu.features import table
    from compiler.profile import load_profile

    host = tmp_path / "host.xml"
    host.write_text(f"<cpu><arch>x86_64</arch><model>{model}</model><vendor>Intel</vendor>"
                    + "".join(f"<feature name='{f}'/>" for f in extra) + "</cpu>")
    lv = virsh("cpu-baseline", str(host))
    assert lv.returncode == 0, lv.stderr
    want_model, _, _, feats = cpu_answer(lv.stdout)
    dom = tmp_path / "dom.xml"
    # a kvm guest: its host-model is the host's (a TCG guest's is what TCG gives); the
    # embedded profile knows no KVM, so the --host CPU stands for what KVM offers
    dom.write_text(_domain("<cpu mode='host-model'/>", "kvm"))
    rc, out, err = domc("compile", dom, "--host", host, "--format", "argv")
    assert (rc, err) == (0, ""), err
    args = out.splitlines()
    got_model, on, off = _cpu_option(args[args.index("-cpu") + 1])
    settable = {f for _, f in feats if load_profile().cpu_property(table().qemu_name(f))}
    assert got_model == want_model
    assert on == {f for p, f in feats if p == "require"} & settable
    assert {f for p, f in feats if p == "disable"} <= off

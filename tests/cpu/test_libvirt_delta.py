"""libvirt's model definitions as domc holds them (QEMU profile + probed libvirt_delta).

* When a libvirt daemon answers, probing it again gives the shipped deltas
  (tools/derive_libvirt_delta.py --check), as tests/test_probe.py does for QEMU.
* When the libvirt corpus is present, the models agree with its cpu_map files
  (read here to compare, never shipped).
* What the removed features mean, checked without either."""

import os
import subprocess
import sys

import pytest

from compiler.cpu.baseline import baseline
from compiler.cpu.compare import Verdict, compare
from compiler.cpu.models import catalogue
from compiler.cpu.documents import load_cpus
from compiler.model import FeaturePolicy

from ..libvirt import NO_LIBVIRT, URI, libvirt_answers
from .conftest import ROOT

CPU_MAP = os.path.join(ROOT, "..", "shared", "corpus", "libvirt-9.0.0", "cpu_map")


@pytest.mark.skipif(not libvirt_answers(), reason=NO_LIBVIRT)
def test_reprobe_libvirt_matches_shipped_deltas():
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "derive_libvirt_delta.py"), "--check",
                        "--uri", URI], capture_output=True, text=True, cwd=ROOT, check=False)
    assert p.returncode == 0, p.stderr


def _cpu_map_models():
    if not os.path.isdir(CPU_MAP):
        pytest.skip("libvirt corpus not present at ../shared/corpus")
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    out = {}
    for m in catalogue().models:
        el = etree.parse(os.path.join(CPU_MAP, f"x86_{m.name}.xml"), parser).find("model")
        feats = {f.get("name"): f.get("removed") == "yes" for f in el.iter("feature")}
        guest = el.find("decode") is None or el.find("decode").get("guest") != "off"
        out[m.name] = ({n for n, r in feats.items() if not r}, {n for n, r in feats.items() if r}, guest)
    return out


def test_models_agree_with_corpus_cpu_map():
    for name, (features, removed, guest_decode) in _cpu_map_models().items():
        m = catalogue().get(name)
        assert m.features == features, name
        # also for the models libvirt never decodes a guest CPU to (guest_decode false):
        # their removed features are probed from the command line (docs/CPU.md)
        assert m.removed == removed, name
        assert m.guest_decodable == guest_decode, name


def _cpus(tmp_path, xml):
    path = tmp_path / "cpus.xml"
    path.write_text(f"<cpuTest>{xml}</cpuTest>")
    return load_cpus(str(path))


def _policies(cpu):
    return {f.name: f.policy for f in cpu.features}


@pytest.mark.parametrize("model, vendor, feature", [
    ("EPYC", "AMD", "monitor"), ("Opteron_G3", "AMD", "monitor"), ("Dhyana", "Hygon", "monitor"),
    ("Icelake-Server", "Intel", "intel-pt"),
])
def test_removed_feature_is_disabled_when_absent(tmp_path, model, vendor, feature):
    # libvirt 9.0: a CPU naming only the model is the model with 'disable <feature>'
    cpus = _cpus(tmp_path, f"<cpu><arch>x86_64</arch><model>{model}</model><vendor>{vendor}</vendor></cpu>")
    got = baseline(catalogue(), cpus)
    assert (got.model, _policies(got)) == (model, {feature: FeaturePolicy.DISABLE})
    expanded = baseline(catalogue(), cpus, expand=True)
    assert _policies(expanded)[feature] is FeaturePolicy.DISABLE
    assert feature not in catalogue().get(model).features


def test_removed_feature_is_required_when_present(tmp_path):
    cpus = _cpus(tmp_path, "<cpu><arch>x86_64</arch><model>Icelake-Server</model><vendor>Intel</vendor>"
                           "<feature policy='require' name='intel-pt'/></cpu>")
    got = baseline(catalogue(), cpus)
    assert (got.model, _policies(got)) == ("Icelake-Server", {"intel-pt": FeaturePolicy.REQUIRE})


def test_removed_feature_is_not_required_by_compare(tmp_path):
    # libvirt 9.0's cpu-compare of Icelake-Server-noTSX on a host without intel-pt
    # complains only about what the host really lacks (mpx), never intel-pt
    host, guest = _cpus(tmp_path, "<cpu><arch>x86_64</arch><model>Icelake-Server-noTSX</model>"
                                  "<vendor>Intel</vendor></cpu>"
                                  "<cpu mode='custom' match='exact'><model>Icelake-Server-noTSX</model>"
                                  "<vendor>Intel</vendor></cpu>")
    assert compare(catalogue(), host, guest).verdict is Verdict.IDENTICAL


@pytest.mark.parametrize("model", [m.name for m in catalogue().models if not m.guest_decodable])
def test_models_kept_for_hosts_never_describe_a_guest(tmp_path, model):
    # libvirt 9.0: cpu-baseline of a CPU naming only a noTSX Skylake/Cascadelake/Icelake
    # model is its TSX sibling with 'disable hle, rtm' (and the sibling's removed features)
    cpus = _cpus(tmp_path, f"<cpu><arch>x86_64</arch><model>{model}</model><vendor>Intel</vendor></cpu>")
    got = baseline(catalogue(), cpus)
    sibling = catalogue().get(got.model)
    assert got.model != model and sibling.guest_decodable and got.fallback == "allow"
    assert _policies(got) == {f: FeaturePolicy.DISABLE for f in {"hle", "rtm"} | sibling.removed}


def test_which_models_are_kept_for_hosts():
    assert {m.name for m in catalogue().models if not m.guest_decodable} == {
        "Skylake-Client-noTSX-IBRS", "Skylake-Server-noTSX-IBRS", "Cascadelake-Server-noTSX",
        "Icelake-Server-noTSX"}


def test_qemu64_is_libvirts_kvm_safe_subset():
    # libvirt's qemu64 leaves out abm, lahf_lm, popcnt, sse4a (TCG-only)
    assert not {"abm", "lahf_lm", "popcnt", "sse4a"} & catalogue().get("qemu64").features

"""The embedded QEMU profiles other than the probed 7.2 are built from libvirt's recorded
QMP replies (tools/profiles_from_replies.py).  Each one's machine types and CPU models
must be what the recording says -- read here with a parser of its own, not the tool's
-- and what libvirt itself made of the same recording (its capabilities XML)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from compiler.profile import embedded_versions, load_profile

from .conftest import CORPUS, ROOT

QEMUCAPS = CORPUS / "qemucaps"
DERIVED = [v for v in embedded_versions() if v != "7.2"]


def _corpus():
    if not QEMUCAPS.is_dir():
        pytest.skip(f"libvirt's recorded QMP replies not found at {QEMUCAPS}")


def _answers(version: str, command: str) -> list:
    """Every recorded answer to ``command`` (no arguments asked), in file order."""
    text = (QEMUCAPS / f"caps_{version}.0.x86_64.replies").read_text()
    out, asked = [], None
    for block in text.split("\n\n"):
        block = block.strip()
        if not block:
            continue
        obj = json.loads(block)
        if "execute" in obj:
            asked = obj
        elif asked is not None and asked["execute"] == command and "return" in obj:
            out.append(obj["return"])
    return out


def test_at_least_four_versions_are_embedded():
    assert len(embedded_versions()) >= 4
    assert "7.2" in embedded_versions() and embedded_versions() == tuple(
        sorted(embedded_versions(), key=lambda v: tuple(map(int, v.split(".")))))


@pytest.mark.parametrize("version", DERIVED)
def test_machines_are_the_recorded_ones(version):
    _corpus()
    p = load_profile(qemu=version)
    for recorded in _answers(version, "query-machines"):  # KVM and TCG sessions agree
        want = {m["name"]: m for m in recorded}
        assert set(p.machine_names()) == set(want)
        for m in p.machines:
            r = want[m.name]
            assert m.alias == r.get("alias")
            assert m.is_default == bool(r.get("is-default"))
            assert m.deprecated == bool(r.get("deprecated"))
            assert m.max_cpus == r.get("cpu-max")
            assert (m.default_cpu_type or None) == (
                (r.get("default-cpu-type") or "").removesuffix("-x86_64-cpu") or None)
    assert p.canonical_machine("pc") == next(m.name for m in p.machines if m.alias == "pc")


@pytest.mark.parametrize("version", DERIVED)
def test_cpu_models_are_the_recorded_ones(version):
    _corpus()
    p = load_profile(qemu=version)
    tcg = _answers(version, "query-cpu-definitions")[-1]  # libvirt asks under TCG last
    assert p.cpu_model_names() == tuple(sorted(d["name"] for d in tcg))
    for d in tcg:
        m = p.cpu_model(d["name"])
        assert m.alias_of == d.get("alias-of")
        assert m.deprecated == bool(d.get("deprecated"))
        assert m.unavailable_tcg == tuple(sorted(d.get("unavailable-features", [])))
    props = [r for r in _answers(version, "qom-list-properties")
             if any(x["name"] == "avx" for x in r)][0]
    bools = {x["name"] for x in props if x.get("type") == "bool"}
    assert p.cpu_properties <= bools
    # a model's features are ones this QEMU can set
    for m in p.cpu_models:
        assert set(m.features) <= bools | {"hypervisor"}, m.name


@pytest.mark.parametrize("version", DERIVED)
def test_profiles_agree_with_libvirts_capabilities_xml(version):
    """libvirt's own reading of the recording: machine types (libvirt leaves 'none'
    out), aliases, deprecation, CPU limits; the CPU models and what blocks them."""
    _corpus()
    p = load_profile(qemu=version)
    caps = ET.parse(QEMUCAPS / f"caps_{version}.0.x86_64.xml").getroot()
    machines = {m.get("name"): m for m in caps.findall("machine") if m.get("type") == "tcg"}
    assert set(machines) == set(p.machine_names()) - {"none"}
    for name, m in machines.items():
        mine = p.machine(name)
        assert mine.alias == m.get("alias")
        assert mine.deprecated == (m.get("deprecated") == "yes")
        assert mine.max_cpus == int(m.get("maxCpus"))
        assert mine.is_default == (m.get("default") == "yes")
    cpus = {c.get("name"): c for c in caps.findall("cpu") if c.get("type") == "tcg"}
    assert set(cpus) == set(p.cpu_model_names())
    for name, c in cpus.items():
        blockers = sorted(b.get("name") for b in c.findall("blocker"))
        assert sorted(p.cpu_model(name).unavailable_tcg) == blockers, name


def test_probed_72_agrees_with_the_recorded_72():
    """The shipped 7.2 profile (Debian's binary, probed live) and libvirt's recording of
    upstream 7.2.0 name the same machine types and CPU models."""
    _corpus()
    p = load_profile()
    assert set(p.machine_names()) == {m["name"] for m in _answers("7.2", "query-machines")[-1]}
    assert set(p.cpu_model_names()) == {
        d["name"] for d in _answers("7.2", "query-cpu-definitions")[-1]}


def test_the_tool_reproduces_the_shipped_profiles():
    _corpus()
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "profiles_from_replies.py"),
                        "--replies", str(QEMUCAPS), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_a_model_the_base_lacks_is_known_by_name_only():
    p = load_profile(qemu="6.2")
    m = p.cpu_model("Icelake-Client")
    assert m is not None and not m.features_known and m.features == ()
    assert load_profile().cpu_model("Icelake-Client") is None  # gone in 7.1


def test_unknown_qemu_version_is_a_diagnostic():
    from compiler.diagnostics import DomcError

    with pytest.raises(DomcError) as exc:
        load_profile(qemu="3.1")
    d = exc.value.diagnostics[0]
    assert d.code == "unknown-qemu" and "4.2" in d.message and "8.0" in d.message


def _versioned_cases():
    """Corpus domains that name a versioned machine type (an older QEMU's)."""
    import re

    out = []
    for xml in sorted((CORPUS / "qemuxml2argv").glob("*.xml")):
        m = re.search(r"machine=['\"](pc-(?:i440fx|q35)-\d+\.\d+)['\"]", xml.read_text())
        args = xml.with_name(xml.stem + ".x86_64-latest.args")
        if m and args.exists():
            out.append((xml, m[1], args))
    return out


def test_corpus_domains_of_older_machine_types_across_versions():
    """libvirt's expected outputs for domains pinned to an older QEMU's machine type
    (pc-i440fx-2.1 ... pc-q35-4.2): every profile that has the type compiles the domain
    to the -machine libvirt wrote and to the guest facts the 7.2 profile gives; a profile
    without it refuses with unknown-machine and says whether the type is too old or
    too new for it."""
    _corpus()
    from compiler.api import facts_of, make_env
    from compiler.diagnostics import DomcError
    from compiler.emit.argv import emit_argv
    from compiler.parse import parse_file
    from compiler.pipeline import normalize

    host = str(ROOT / "fixtures" / "hosts" / "server.xml")
    checked = 0
    for xml, machine, args in _versioned_cases():
        want = next(line for line in args.read_text().splitlines()
                    if line.startswith("-machine ")).split()[1].split(",")[0]
        assert want == machine
        try:
            parsed, _ = parse_file(str(xml))
            base_env = make_env(host=host)
            base = facts_of(normalize(parsed, base_env), base_env)
        except DomcError:
            continue
        for version in embedded_versions():
            env = make_env(host=host, qemu=version)
            if env.profile.machine(machine) is None:
                with pytest.raises(DomcError) as exc:
                    normalize(parsed, env)
                d = exc.value.diagnostics[0]
                assert d.code == "unknown-machine" and machine in d.message
                continue
            dom = normalize(parsed, env)
            argv = emit_argv(dom, env)
            assert argv[argv.index("-machine") + 1].split(",")[0] == want
            facts = facts_of(dom, env)
            for section in ("machine", "topology", "memory", "devices", "features"):
                assert facts[section] == base[section], (xml.name, version, section)
            checked += 1
    assert checked >= 20

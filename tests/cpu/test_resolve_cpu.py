"""passes/resolve_cpu: policies, modes and errors, table-driven."""

import os

import pytest

from compiler.diagnostics import Span
from compiler.model import Cpu, CpuFeature, CpuMatch, CpuMode, Domain, FeaturePolicy as P, Os, \
    VirtType
from compiler.cpu.policy import argv_value as cpu_argv_value
from compiler.passes.resolve_cpu import resolve_cpu
from compiler.env import Env
from compiler.profile import load_profile

from .conftest import HOSTS

SERVER = os.path.join(HOSTS, "server.xml")


def feat(name, policy=P.REQUIRE, line=0):
    return CpuFeature(name, policy, span=Span("guest.xml", line))


def run(cpu, host=None, machine=None, virt=VirtType.KVM):
    """A kvm guest: with --host a host CPU file and the embedded profile (which knows
    no KVM), the host CPU stands in for what KVM offers."""
    env = Env(profile=load_profile(), host_cpu_file=host)
    dom = resolve_cpu(Domain(type=virt, cpu=cpu, os=Os(machine=machine)), env)
    return dom, env.diag


@pytest.mark.parametrize("cpu, host, want", [
    (None, None, "qemu64"),
    (Cpu(model="Penryn", match=CpuMatch.EXACT), None, "Penryn"),
    (Cpu(model="Penryn", features=(feat("sse4_2", P.FORCE), feat("lahf_lm"), feat("vmx", P.DISABLE))),
     None, "Penryn,sse4.2=on,lahf-lm=on,vmx=off"),
    (Cpu(model="Westmere", features=(feat("vmx", P.OPTIONAL), feat("avx", P.OPTIONAL))), SERVER,
     "Westmere,vmx=on,avx=off"),
    (Cpu(model="Westmere", features=(feat("avx", P.FORBID),)), SERVER, "Westmere,avx=off"),
    (Cpu(mode=CpuMode.MAXIMUM, features=(feat("vmx", P.DISABLE),)), None, "max,vmx=off"),
    (Cpu(mode=CpuMode.MAXIMUM, migratable=False), None, "max,migratable=off"),
    (Cpu(mode=CpuMode.MAXIMUM, migratable=True), None, "max,migratable=on"),
    (Cpu(mode=CpuMode.HOST_MODEL), SERVER,
     # the host's features as libvirt's domain capabilities list them: required ones,
     # then disabled ones, each in table (CPUID leaf) order
     "Westmere,vme=on,ds=on,acpi=on,ss=on,ht=on,tm=on,pbe=on,monitor=on,ds-cpl=on,vmx=on,est=on"
     ",tm2=on,xtpr=on,dca=on,pdpe1gb=on,rdtscp=on,pclmulqdq=off,arat=off"),
])
def test_resolved_argv(cpu, host, want):
    dom, diag = run(cpu, host)
    assert diag.items == []
    assert cpu_argv_value(dom.cpu) == want


@pytest.mark.parametrize("cpu, want", [
    # libvirt 9.0's default for host-passthrough is migratable='on'
    (Cpu(mode=CpuMode.HOST_PASSTHROUGH), "host,migratable=on"),
    (Cpu(mode=CpuMode.HOST_PASSTHROUGH, migratable=True), "host,migratable=on"),
    (Cpu(mode=CpuMode.HOST_PASSTHROUGH, migratable=False), "host,migratable=off"),
    (Cpu(mode=CpuMode.HOST_PASSTHROUGH, features=(feat("vme", P.DISABLE),)),
     "host,migratable=on,vme=off"),
])
def test_host_passthrough(cpu, want):
    dom, diag = run(cpu, virt=VirtType.KVM)
    assert diag.items == []
    assert cpu_argv_value(dom.cpu) == want


def test_host_passthrough_needs_kvm():
    _, diag = run(Cpu(mode=CpuMode.HOST_PASSTHROUGH, span=Span("guest.xml", 4)), virt=VirtType.QEMU)
    assert [(d.code, d.span.line) for d in diag.items] == [("cpu-mode", 4)]


def test_isapc_default_cpu():
    dom, _ = run(None, machine="isapc")
    assert dom.cpu.model == "486"


def test_custom_exact_needs_no_host(monkeypatch):
    import compiler.cpu.host as host

    monkeypatch.setattr(host, "from_this_machine", lambda: pytest.fail("host consulted"))
    dom, diag = run(Cpu(model="Haswell", match=CpuMatch.EXACT, features=(feat("vmx"),)))
    assert diag.items == [] and cpu_argv_value(dom.cpu) == "Haswell,vmx=on"


@pytest.mark.parametrize("cpu, code, line", [
    (Cpu(model="Westmere", features=(feat("avx", P.REQUIRE, 7),)), "cpu-require", 7),
    (Cpu(model="Westmere", features=(feat("vmx", P.FORBID, 9),)), "cpu-forbid", 9),
    (Cpu(model="Westmere", features=(feat("bogus", P.REQUIRE, 4),)), "cpu-feature", 4),
    (Cpu(model="Westmere", features=(feat("vmx", line=4), feat("vmx", P.DISABLE, 5))), "cpu-feature-dup", 5),
    (Cpu(model="Pentium9000", span=Span("guest.xml", 3)), "cpu-model", 3),
    (Cpu(model="Westmere", match=CpuMatch.STRICT, span=Span("guest.xml", 2)), "cpu-strict", 2),
])
def test_errors_name_feature_and_line(cpu, code, line):
    _, diag = run(cpu, SERVER)
    (d,) = diag.errors
    assert d.code == code and d.span.line == line


def test_migratable_definition_fixes_optional_features_and_host_model():
    env = Env(profile=load_profile(), host_cpu_file=SERVER)
    env.cache["migratable"] = True
    cpu = Cpu(model="Westmere", match=CpuMatch.MINIMUM,
              features=(feat("vmx", P.OPTIONAL), feat("avx", P.OPTIONAL)))
    got = resolve_cpu(Domain(type=VirtType.KVM, cpu=cpu), env).cpu
    assert got.match is CpuMatch.EXACT
    assert ("vmx", P.REQUIRE) in {(f.name, f.policy) for f in got.features}
    assert ("avx", P.DISABLE) in {(f.name, f.policy) for f in got.features}
    hm = resolve_cpu(Domain(type=VirtType.KVM, cpu=Cpu(mode=CpuMode.HOST_MODEL)), env).cpu
    assert (hm.mode, hm.match, hm.model) == (CpuMode.CUSTOM, CpuMatch.EXACT, "Westmere")


# What QEMU 7.2 has no property for (pconfig, ospke, osxsave ...) never reaches -cpu;
# libvirt's "removed" features of a custom model are switched off (libvirt 9.0 emits
# 'Icelake-Server,intel-pt=off' and 'EPYC,monitor=off'), after the XML's own.
@pytest.mark.parametrize("cpu, want", [
    (Cpu(model="Icelake-Server", features=(feat("pconfig", P.DISABLE),)), "Icelake-Server,intel-pt=off"),
    (Cpu(model="Icelake-Server", features=(feat("pconfig", P.FORBID),)), "Icelake-Server,intel-pt=off"),
    (Cpu(model="Icelake-Server", features=(feat("intel-pt"),)), "Icelake-Server,intel-pt=on"),
    (Cpu(model="Skylake-Client", features=(feat("ospke", P.DISABLE), feat("osxsave", P.DISABLE))),
     "Skylake-Client"),
    (Cpu(model="EPYC"), "EPYC,monitor=off"),
    (Cpu(model="EPYC", features=(feat("monitor"),)), "EPYC,monitor=on"),
    (Cpu(model="Opteron_G3"), "Opteron_G3,monitor=off"),
    (Cpu(model="EPYC-Rome"), "EPYC-Rome"),
    # the XML's features in document order, then the removed ones (what libvirt 9.0 wrote
    # for this definition, byte for byte)
    (Cpu(model="Icelake-Server", features=(feat("vmx"), feat("avx512f", P.DISABLE), feat("pcid"),
                                           feat("aes", P.DISABLE))),
     "Icelake-Server,vmx=on,avx512f=off,pcid=on,aes=off,intel-pt=off"),
])
def test_features_qemu_lacks_and_removed_features(cpu, want):
    dom, diag = run(cpu)
    assert diag.items == []
    assert cpu_argv_value(dom.cpu) == want


@pytest.mark.parametrize("policy", [P.REQUIRE, P.FORCE])
def test_asking_for_a_feature_qemu_lacks_is_an_error(policy):
    _, diag = run(Cpu(model="Icelake-Server", features=(feat("vmx", line=3), feat("pconfig", policy, 4))))
    (d,) = diag.errors
    assert d.code == "cpu-feature-qemu" and d.span.line == 4 and "pconfig" in d.message


def test_host_model_leaves_out_what_qemu_cannot_set(tmp_path):
    host = tmp_path / "host.xml"
    host.write_text("<cpu><arch>x86_64</arch><model>Skylake-Client</model><vendor>Intel</vendor>"
                    "<feature name='osxsave'/><feature name='pku'/><feature name='ospke'/>"
                    "<feature name='cmt'/><feature name='vmx'/></cpu>")
    dom, diag = run(Cpu(mode=CpuMode.HOST_MODEL), str(host))
    assert diag.items == []
    value = cpu_argv_value(dom.cpu)
    assert value.startswith("Skylake-Client,") and "pku=on" in value and "vmx=on" in value
    for name in ("osxsave", "ospke", "cmt"):
        assert name not in value


@pytest.mark.parametrize("host_model, want", [
    ("Skylake-Client-noTSX-IBRS", "Skylake-Client-IBRS,hle=off,rtm=off"),
    ("Skylake-Server-noTSX-IBRS", "Skylake-Server-IBRS,hle=off,rtm=off,pku=off"),
    ("Cascadelake-Server-noTSX", "Cascadelake-Server,hle=off,rtm=off,pku=off"),
    ("Icelake-Server-noTSX", "Icelake-Server,hle=off,rtm=off,intel-pt=off"),
    ("Haswell-noTSX", "Haswell-noTSX,f16c=off,rdrand=off,arat=off,xsaveopt=off,abm=off"),
])
def test_host_model_never_names_a_model_libvirt_keeps_for_hosts(tmp_path, host_model, want):
    # libvirt 9.0 describes hosts with these noTSX models, guest CPUs with the TSX sibling
    # and 'disable hle, rtm' (Haswell-noTSX is used for guests too)
    host = tmp_path / "host.xml"
    host.write_text(f"<cpu><arch>x86_64</arch><model>{host_model}</model><vendor>Intel</vendor></cpu>")
    dom, diag = run(Cpu(mode=CpuMode.HOST_MODEL), str(host))
    assert diag.items == []
    assert cpu_argv_value(dom.cpu) == want


def test_host_model_features_the_xml_names_keep_their_place():
    # libvirt applies the XML's features to its host-model CPU: one the host-model CPU
    # lists changes in place (vme), another is added after its list (ssse3)
    dom, diag = run(Cpu(mode=CpuMode.HOST_MODEL, features=(feat("ssse3", P.DISABLE),
                                                           feat("vme", P.DISABLE))), SERVER)
    assert diag.items == []
    assert cpu_argv_value(dom.cpu) == (
        "Westmere,vme=off,ds=on,acpi=on,ss=on,ht=on,tm=on,pbe=on,monitor=on,ds-cpl=on,vmx=on"
        ",est=on,tm2=on,xtpr=on,dca=on,pdpe1gb=on,rdtscp=on,pclmulqdq=off,arat=off,ssse3=off")

"""host-model as libvirt 9.0 builds it (from what the accelerator can give a guest), the
check of a guest CPU against the target host, and match='minimum' / optional features.

- Offline: libvirt's recorded QEMU replies (../shared/corpus/.../qemucaps) decode to
  the -cpu libvirt's test suite expects for cpu-host-model; the decode with blockers
  and the host check on made-up answers.
- Against the reference on this machine (skipped without libvirt 9.0): a kvm guest's
  host-model from this machine's QEMU (asked at compile time, probed into a profile, or
  read from `virsh domcapabilities`), a TCG guest's from the embedded profile, the host
  check of every named model, and a table of CPUs exercising each rule.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

from compiler.cpu.hostmodel import from_accel
from compiler.cpu.models import catalogue
from compiler.diagnostics import DomcError
from compiler.probe import dumps
from compiler.profile import AccelCpu, load_profile
from compiler.qmpclient import expand_accel_cpu, kvm_usable

from ..libvirt import NO_LIBVIRT, libvirt_answers, virsh

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "libvirt-9.0.0"
QEMU = shutil.which("qemu-system-x86_64")


def _sessions(path: Path) -> list[list[tuple[dict, dict]]]:
    """The QMP sessions of a libvirt .replies file, read as the project's profile tool
    reads them (tools/profiles_from_replies.py: (question, answer) pairs, a new
    session at each qmp_capabilities)."""
    spec = importlib.util.spec_from_file_location(
        "profiles_from_replies", Path(__file__).resolve().parents[2] / "tools" / "profiles_from_replies.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool.read_conversation(str(path))


def accel_entry_from_replies(path: Path, accel: str) -> dict:
    """What `domc probe` records for ``accel``, asked of the session libvirt ran under
    it (KVM first, TCG last)."""
    sessions = _sessions(path)
    session = sessions[0] if accel == "kvm" else sessions[-1]

    async def execute(command, arguments):
        for q, a in session:
            if q["execute"] == command and (q.get("arguments") or None) == (arguments or None):
                return a["return"]
        return None

    return asyncio.run(expand_accel_cpu(execute, accel))


def _profile_with(tmp_path: Path, entry: dict) -> str:
    from importlib import resources

    data = json.loads(resources.files("compiler.tables").joinpath("qemu-7.2.json").read_text())
    data["accel_cpus"] = [a for a in data["accel_cpus"] if a["accel"] != entry["accel"]] + [entry]
    path = tmp_path / "profile.json"
    path.write_text(dumps(data))
    return str(path)


def _cpu_option(value: str):
    """(model, {feature: on}) of a -cpu value; libvirt writes f=on/off, domc +f/-f."""
    from compiler.cpu.features import table

    model, *flags = value.split(",")
    out = {}
    for f in flags:
        if f[:1] in ("+", "-"):
            name, state = f[1:], f[0] == "+"
        else:
            name, _, v = f.partition("=")
            state = v == "on"
        out[table().canonical(name) or name] = state
    return model, out


def _compile(path, **opts):
    """domc's -cpu value, or its diagnostics when it refuses."""
    from compiler.api import compile_file, make_env

    try:
        argv = list(compile_file(str(path), make_env(**opts)).argv)
    except DomcError as exc:
        return None, exc.diagnostics
    return argv[argv.index("-cpu") + 1], None


# --- offline ------------------------------------------------------------------------------

@pytest.mark.skipif(not (CORPUS / "qemuxml2argv" / "cpu-host-model.xml").is_file(),
                    reason="libvirt's test data (../shared/corpus) is not beside the checkout")
def test_host_model_from_libvirts_recorded_kvm_replies(tmp_path):
    """libvirt's test suite builds cpu-host-model's -cpu from QEMU's recorded answers
    (the newest caps: x86_64-latest); the same answers, as a probed profile, give domc
    the same model and features."""
    latest = max((CORPUS / "qemucaps").glob("caps_*.x86_64.replies"),
                 key=lambda p: tuple(int(x) for x in p.name.split("_")[1].split(".")[:3]))
    profile = _profile_with(tmp_path, accel_entry_from_replies(latest, "kvm"))
    want = re.search(r"-cpu (\S+)", (CORPUS / "qemuxml2argv" / "cpu-host-model.x86_64-latest.args")
                     .read_text()).group(1)
    got, diags = _compile(CORPUS / "qemuxml2argv" / "cpu-host-model.xml", profile=profile)
    assert diags is None
    assert _cpu_option(got) == _cpu_option(want)


def test_embedded_profiles_have_tcg_but_no_kvm():
    """TCG's host-model depends on the QEMU binary only; KVM's on the machine."""
    from compiler.profile import embedded_versions

    for version in embedded_versions():
        p = load_profile(qemu=version)
        assert p.accel_cpu("tcg") is not None and p.accel_cpu("kvm") is None, version
        assert p.accel_cpu("tcg").features


@pytest.mark.parametrize("version", ["4.2", "6.2", "8.0"])
def test_derived_profiles_have_the_recorded_tcg_cpu(version):
    path = CORPUS / "qemucaps" / f"caps_{version}.0.x86_64.replies"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    want = accel_entry_from_replies(path, "tcg")
    got = load_profile(qemu=version).accel_cpu("tcg")
    assert (got.vendor, got.family, got.model, got.stepping) == (
        want["vendor"], want["family"], want["model"], want["stepping"])
    assert list(got.features) == want["features"]
    # the blockers are the models' unavailable_tcg, kept once in the file
    assert dict(got.blockers) == {k: tuple(v) for k, v in want["blockers"].items()}


def test_the_tcg_host_model_of_qemu_7_2():
    """libvirt 9.0's host-model CPU of a TCG guest on QEMU 7.2 (domxml-to-native of
    <cpu mode='host-model'/> in a domain of type 'qemu'): EPYC with what TCG adds and
    without what it cannot give (QEMU's EPYC has rdseed, sha-ni ...: TCG's blockers)."""
    cpu = from_accel(catalogue(), load_profile().accel_cpu("tcg"))
    assert cpu.model == "EPYC" and cpu.vendor == "AMD"
    req = {f.name for f in cpu.features if f.policy.value == "require"}
    dis = {f.name for f in cpu.features if f.policy.value == "disable"}
    assert req == {"acpi", "ss", "monitor", "hypervisor", "erms", "mpx", "pcommit", "clwb", "umip",
                   "pku", "vaes", "la57", "pks", "3dnowext", "3dnow", "npt", "vgif",
                   "svme-addr-chk"}
    assert dis == {"vme", "rdseed", "sha-ni", "xsavec", "fxsr_opt", "misalignsse",
                   "3dnowprefetch", "osvw", "topoext", "nrip-save"}


def test_a_blocked_feature_is_a_disable_line():
    """A model's blockers count as part of it: QEMU's Haswell-noTSX has f16c, libvirt's
    does not, so an accelerator offering all of QEMU's Haswell-noTSX but f16c (which
    it cannot give any model) gets Haswell-noTSX with 'disable f16c' (else -cpu
    Haswell-noTSX would turn f16c on)."""
    cat = catalogue()
    profile = load_profile()
    assert "f16c" not in cat.get("Haswell-noTSX").features
    qemu = profile.cpu_model("Haswell-noTSX").features
    blocked = tuple((m.name, ("f16c",)) for m in profile.cpu_models if "f16c" in m.features)
    acc = AccelCpu(accel="kvm", vendor="GenuineIntel", family=6, model=60, stepping=1,
                   features=tuple(f for f in qemu if f != "f16c"), blockers=blocked)
    cpu = from_accel(cat, acc)
    assert cpu.model == "Haswell-noTSX"
    assert ("f16c", "disable") in {(f.name, f.policy.value) for f in cpu.features}


HOST = ("<capabilities><host><cpu><arch>x86_64</arch><model>Westmere</model><vendor>Intel</vendor>"
        "<feature name='vmx'/></cpu></host></capabilities>")
KVM = {"accel": "kvm", "vendor": "GenuineIntel", "family": 6, "model": 44, "stepping": 1,
       "features": ["mds-no"], "non_migratable": ["invtsc"], "blockers": {}}


def _dom(tmp_path, cpu: str, virt: str = "kvm", machine: str = "pc", devices: str = "") -> Path:
    path = tmp_path / "dom.xml"
    path.write_text(f"<domain type='{virt}'><name>hm</name><memory unit='MiB'>64</memory>"
                    f"<os><type arch='x86_64' machine='{machine}'>hvm</type></os>"
                    f"{cpu}<devices>{devices}</devices></domain>")
    return path


@pytest.mark.parametrize("cpu, virt, codes", [
    ("<cpu match='exact'><model>Westmere</model></cpu>", "kvm", None),
    ("<cpu match='exact'><model>SandyBridge</model></cpu>", "kvm", ["cpu-host-lacks"]),
    ("<cpu match='minimum'><model>SandyBridge</model></cpu>", "kvm", ["cpu-host-lacks"]),
    # the XML switching off what the host lacks, or leaving the check to QEMU
    ("<cpu match='exact'><model>SandyBridge</model><feature policy='disable' name='avx'/>"
     "<feature policy='disable' name='xsave'/><feature policy='disable' name='tsc-deadline'/>"
     "<feature policy='disable' name='x2apic'/><feature policy='disable' name='pclmuldq'/>"
     "<feature policy='disable' name='rdtscp'/></cpu>", "kvm", None),
    ("<cpu match='exact' check='none'><model>SandyBridge</model></cpu>", "kvm", None),
    ("<cpu match='exact' check='full'><model>SandyBridge</model></cpu>", "kvm", None),
    # libvirt compares no custom CPU of a TCG guest
    ("<cpu match='exact'><model>SandyBridge</model></cpu>", "qemu", None),
    ("<cpu match='exact'><model>Westmere</model><vendor>AMD</vendor></cpu>", "kvm",
     ["cpu-host-vendor"]),
    # what KVM adds to the host CPU counts (mds-no is KVM's)
    ("<cpu match='exact'><model>Westmere</model><feature policy='require' name='mds-no'/>"
     "</cpu>", "kvm", None),
    ("<cpu match='exact'><model>Westmere</model><feature policy='require' name='avx'/>"
     "</cpu>", "kvm", ["cpu-require"]),
    ("<cpu match='exact'><model>Westmere</model><feature policy='forbid' name='vmx'/>"
     "</cpu>", "kvm", ["cpu-forbid"]),
    ("<cpu match='exact'><model>Westmere</model><feature policy='forbid' name='vmx'/>"
     "</cpu>", "qemu", None),
])
def test_the_host_check(tmp_path, cpu, virt, codes):
    profile = _profile_with(tmp_path, KVM)
    host = tmp_path / "host.xml"
    host.write_text(HOST)
    got, diags = _compile(_dom(tmp_path, cpu, virt), profile=profile, host=str(host))
    assert (None if diags is None else [d.code for d in diags]) == codes, got


def test_the_missing_features_are_named(tmp_path):
    host = tmp_path / "host.xml"
    host.write_text(HOST)
    _, diags = _compile(_dom(tmp_path, "<cpu match='exact'><model>SandyBridge</model></cpu>"),
                        profile=_profile_with(tmp_path, KVM), host=str(host))
    [d] = diags
    assert "it lacks pclmuldq, x2apic, tsc-deadline, xsave, avx, rdtscp (" in d.message
    assert d.span.line == 1


def test_a_custom_cpu_is_not_checked_without_a_target(tmp_path, monkeypatch):
    """Without --host a custom CPU compiles as written, on any machine."""
    import compiler.cpu.host as host

    monkeypatch.setattr(host, "from_this_machine", lambda: pytest.fail("host consulted"))
    got, diags = _compile(_dom(tmp_path, "<cpu match='exact'><model>Icelake-Server</model></cpu>"))
    assert diags is None and got == "Icelake-Server,intel-pt=off"


def test_features_without_a_model_are_refused(tmp_path):
    """libvirt 9.0: "Non-empty feature list specified without CPU model"."""
    _, diags = _compile(_dom(tmp_path, "<cpu match='exact'><feature name='vmx'/></cpu>", "qemu"))
    assert [d.code for d in diags] == ["cpu-model"]


def test_minimum_and_host_model_are_the_accelerators_cpu(tmp_path):
    """match='minimum' becomes the host-model CPU with the XML's features on top, as
    libvirt 9.0 does; optional features follow what host-model offers."""
    profile = _profile_with(tmp_path, KVM)
    host = tmp_path / "host.xml"
    host.write_text(HOST)
    hm, _ = _compile(_dom(tmp_path, "<cpu mode='host-model'/>"), profile=profile, host=str(host))
    mn, _ = _compile(_dom(tmp_path, "<cpu match='minimum'><model>Penryn</model>"
                                    "<feature policy='disable' name='mds-no'/></cpu>"),
                     profile=profile, host=str(host))
    model, feats = _cpu_option(hm)
    assert feats.get("mds-no") is True and "invtsc" not in feats  # migratable
    assert _cpu_option(mn) == (model, {**feats, "mds-no": False})
    opt, _ = _compile(_dom(tmp_path, "<cpu match='exact'><model>Penryn</model>"
                                     "<feature policy='optional' name='mds-no'/>"
                                     "<feature policy='optional' name='invtsc'/></cpu>"),
                      profile=profile, host=str(host))
    assert _cpu_option(opt)[1] == {"mds-no": True, "invtsc": False}


# --- against the reference on this machine ----------------------------------------------

needs_libvirt = pytest.mark.skipif(not libvirt_answers(), reason=NO_LIBVIRT)
needs_kvm = pytest.mark.skipif(not kvm_usable(), reason="/dev/kvm is not usable here")


def _libvirt_cpu(path: Path):
    """libvirt's -cpu value, or its error message when it refuses."""
    lv = virsh("domxml-to-native", "qemu-argv", str(path))
    if lv.returncode != 0:
        return None, lv.stderr.strip()
    return re.search(r"(?:^|\s)-cpu\s+(\S+)", lv.stdout).group(1), None


@pytest.fixture(scope="module")
def here(tmp_path_factory):
    """This machine as --host documents and a probed profile."""
    if QEMU is None:
        pytest.skip("qemu-system-x86_64 is not installed")
    if not libvirt_answers():
        pytest.skip(NO_LIBVIRT)
    from compiler.probe import probe

    d = tmp_path_factory.mktemp("here")
    (d / "caps.xml").write_text(virsh("capabilities").stdout)
    (d / "domcaps.xml").write_text(virsh("domcapabilities", "--virttype", "kvm").stdout)
    (d / "profile.json").write_text(dumps(probe(QEMU, None)))
    return d


def _reference_dom(tmp_path, cpu: str, virt: str = "kvm") -> Path:
    """A q35 domain run by this machine's QEMU, for the reference libvirt too."""
    return _dom(tmp_path, cpu, virt, "q35", f"<emulator>{QEMU}</emulator>")


@needs_libvirt
def test_tcg_host_model_agrees_with_libvirt(tmp_path):
    path = _reference_dom(tmp_path, "<cpu mode='host-model'/>", "qemu")
    got, _ = _compile(path)
    want, err = _libvirt_cpu(path)
    assert err is None and _cpu_option(got) == _cpu_option(want)


@needs_libvirt
@needs_kvm
@pytest.mark.parametrize("source", ["this machine's QEMU", "--host domcapabilities",
                                    "--profile probed here"])
def test_kvm_host_model_agrees_with_libvirt(tmp_path, here, source):
    path = _reference_dom(tmp_path, "<cpu mode='host-model'/>")
    opts = {"this machine's QEMU": {},
            "--host domcapabilities": {"host": str(here / "domcaps.xml")},
            "--profile probed here": {"profile": str(here / "profile.json"),
                                      "host": str(here / "caps.xml")}}[source]
    got, diags = _compile(path, **opts)
    want, err = _libvirt_cpu(path)
    assert diags is None and err is None
    assert _cpu_option(got) == _cpu_option(want)


LACKS = re.compile(r"does not provide required features: (.*)$", re.M)


@needs_libvirt
@needs_kvm
@pytest.mark.parametrize("model", [m.name for m in catalogue().models])
def test_custom_cpu_the_host_cannot_run(tmp_path, here, model):
    """Every named model as a kvm guest's CPU: libvirt refuses it when this host lacks a
    feature of it, and names them; domc, told the target is this host, too."""
    path = _reference_dom(tmp_path, f"<cpu mode='custom' match='exact'><model>{model}</model></cpu>")
    want, err = _libvirt_cpu(path)
    got, diags = _compile(path, profile=str(here / "profile.json"), host=str(here / "caps.xml"))
    if err is None:
        assert diags is None, [d.render() for d in diags]
        assert _cpu_option(got) == _cpu_option(want)
        return
    m = LACKS.search(err)
    assert m, err
    assert diags is not None, f"libvirt refuses: {err}"
    [d] = diags
    assert d.code == "cpu-host-lacks"
    named = re.search(r"it lacks (.*?) \(", d.message).group(1)
    assert named.split(", ") == m.group(1).strip().split(", ")


# each rule on its own: (cpu element, domain type); whatever this host has, libvirt and
# domc (told the target is this host) must refuse alike or give the same -cpu
RULES = [
    ("<cpu mode='custom' match='exact'><model>qemu64</model></cpu>", "kvm"),
    ("<cpu mode='custom' match='exact' check='none'><model>Skylake-Client-IBRS</model></cpu>", "kvm"),
    ("<cpu mode='custom' match='exact' check='full'><model>Skylake-Client-IBRS</model></cpu>", "kvm"),
    ("<cpu mode='custom' match='exact' check='partial'><model>Skylake-Client-IBRS</model></cpu>", "kvm"),
    ("<cpu mode='custom' match='exact'><model>Skylake-Client-IBRS</model></cpu>", "qemu"),
    ("<cpu mode='custom' match='exact'><model>qemu64</model><vendor>Intel</vendor></cpu>", "kvm"),
    ("<cpu mode='custom' match='exact'><model>qemu64</model><vendor>AMD</vendor></cpu>", "kvm"),
    ("<cpu mode='custom' match='minimum'><model>486</model></cpu>", "kvm"),
    ("<cpu mode='custom' match='minimum'><model>486</model><feature policy='disable' name='vme'/>"
     "<feature policy='require' name='fpu'/></cpu>", "kvm"),
    ("<cpu mode='custom' match='minimum'><model>486</model></cpu>", "qemu"),
    ("<cpu mode='custom' match='strict'><model>486</model></cpu>", "kvm"),
    ("<cpu mode='custom' match='strict'><model>486</model></cpu>", "qemu"),
    ("<cpu mode='custom' match='exact'><model>486</model><feature policy='optional' name='avx'/>"
     "<feature policy='optional' name='vmx'/><feature policy='optional' name='svm'/>"
     "<feature policy='optional' name='invtsc'/><feature policy='optional' name='mds-no'/></cpu>", "kvm"),
    ("<cpu mode='custom' match='exact'><model>486</model><feature policy='optional' name='avx'/>"
     "<feature policy='optional' name='vmx'/><feature policy='optional' name='svm'/></cpu>", "qemu"),
    ("<cpu mode='custom' match='exact'><model>486</model><feature policy='require' name='invtsc'/>"
     "</cpu>", "kvm"),
    ("<cpu mode='custom' match='exact'><model>486</model><feature policy='require' name='vmx'/>"
     "<feature policy='require' name='svm'/></cpu>", "kvm"),
    ("<cpu mode='custom' match='exact'><model>486</model><feature policy='forbid' name='sse2'/>"
     "</cpu>", "kvm"),
    ("<cpu mode='custom' match='exact'><model>486</model><feature policy='force' name='vmx'/>"
     "<feature policy='force' name='svm'/></cpu>", "kvm"),
    ("<cpu mode='host-model'><feature policy='disable' name='sse2'/>"
     "<feature policy='require' name='fpu'/></cpu>", "kvm"),
    ("<cpu mode='host-model'><feature policy='forbid' name='sse2'/></cpu>", "kvm"),
    ("<cpu mode='host-model'><feature policy='require' name='avx512f'/></cpu>", "qemu"),
    ("<cpu mode='host-model'><feature policy='optional' name='avx'/></cpu>", "qemu"),
    ("<cpu mode='custom' match='exact'><feature policy='require' name='vmx'/></cpu>", "kvm"),
]


@needs_libvirt
@needs_kvm
@pytest.mark.parametrize("cpu, virt", RULES)
def test_each_rule_agrees_with_libvirt(tmp_path, here, cpu, virt):
    path = _reference_dom(tmp_path, cpu, virt)
    want, err = _libvirt_cpu(path)
    got, diags = _compile(path, profile=str(here / "profile.json"), host=str(here / "caps.xml"))
    if err is not None:
        assert diags is not None, f"libvirt refuses ({err}), domc gives -cpu {got}"
        return
    assert diags is None, f"libvirt gives -cpu {want}, domc refuses: {[d.render() for d in diags]}"
    assert _cpu_option(got) == _cpu_option(want)

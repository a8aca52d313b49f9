"""cpu-matrix and migrate-check: on libvirt's CPU test data they agree with
cpu-compare host pair by host pair; the seed laptop/server pair; machine types;
the CPU modes a migration carries; and fleets far larger than virsh takes."""

from __future__ import annotations

import json
import os

import pytest

from .conftest import HOSTS, ROOT
from .fleetgen import corpus_dumps, host_files

LAPTOP = os.path.join(HOSTS, "laptop.xml")
SERVER = os.path.join(HOSTS, "server.xml")
HOST_MODEL_GUEST = os.path.join(ROOT, "fixtures", "fleet", "host-model-guest.xml")

COMPATIBLE = {"IDENTICAL": True, "SUPERSET": True, "INCOMPATIBLE": False}


def _json(domc, *args):
    rc, out, err = domc(*args, "--format", "json")
    assert err == "", err
    return rc, json.loads(out)


def _compare(domc, tmp_path, host: str, cpu_xml: str) -> str:
    f = tmp_path / "guest.xml"
    f.write_text(cpu_xml)
    rc, out, err = domc("cpu-compare", "--host", host, f)
    assert err == "" and rc == (1 if out.startswith("INCOMPATIBLE") else 0), (out, err)
    return out.split()[0]


@pytest.fixture
def corpus_fleet(corpus, tmp_path):
    """libvirt's 32 CPUID dumps as a fleet directory, and each dump's libvirt host CPU."""
    d = tmp_path / "fleet"
    d.mkdir()
    hosts = {}
    for name, path in corpus_dumps().items():
        (d / f"{name}.xml").write_bytes(open(path, "rb").read())
        hosts[str(d / f"{name}.xml")] = os.path.join(corpus, f"x86_64-cpuid-{name}-host.xml")
    return d, hosts


def test_matrix_agrees_with_cpu_compare_on_every_host_pair(domc, tmp_path, corpus_fleet):
    fleet, described = corpus_fleet
    rc, doc = _json(domc, "cpu-matrix", fleet)
    assert rc == 0 and doc["hosts"] == len(described) == 32
    class_of = {h: c for c in doc["classes"] for h in c["hosts"]}
    assert set(class_of) == set(described)
    pairs = incompatible = 0
    for a, ca in class_of.items():
        for b, cb in class_of.items():
            verdict = _compare(domc, tmp_path, described[b], ca["host_model"])
            assert doc["matrix"][ca["class"] - 1][cb["class"] - 1] is COMPATIBLE[verdict], (a, b, verdict)
            pairs += 1
            incompatible += verdict == "INCOMPATIBLE"
    assert pairs == 32 * 32 and 0 < incompatible < pairs - 32
    # a class is a set of hosts whose host-model guests run on each other
    for c in doc["classes"]:
        assert doc["matrix"][c["class"] - 1][c["class"] - 1] is True
    for i, row in enumerate(doc["matrix"]):
        for j, ok in enumerate(row):
            if i != j:
                assert not (ok and doc["matrix"][j][i]), "two classes that run each other's guests are one"


def test_blame_names_the_missing_features(domc, corpus_fleet):
    fleet, _ = corpus_fleet
    _, doc = _json(domc, "cpu-matrix", fleet)
    assert len(doc["blame"]) == sum(not ok for row in doc["matrix"] for ok in row)
    for b in doc["blame"]:
        same_vendor = doc["classes"][b["guest_class"] - 1]["vendor"] == doc["classes"][b["host_class"] - 1]["vendor"]
        if same_vendor:
            assert b["missing"] and b["reason"].endswith(", ".join(b["missing"]))


@pytest.mark.parametrize("source", sorted(corpus_dumps())[::3] or ["-"])
def test_migrate_check_of_a_host_model_guest_agrees_with_cpu_compare(domc, tmp_path, corpus_fleet, source):
    fleet, described = corpus_fleet
    src = str(fleet / f"{source}.xml")
    rc, doc = _json(domc, "migrate-check", HOST_MODEL_GUEST, "--from", src, "--to", fleet)
    guest = doc["cpu"]["cpu"]
    assert doc["machine"] == "pc-q35-7.2"
    assert len(doc["targets"]) == 32
    for t in doc["targets"]:
        verdict = _compare(domc, tmp_path, described[t["host"]], guest)
        assert t["cpu"]["verdict"] == verdict, t["host"]
        assert t["ok"] is COMPATIBLE[verdict]  # the embedded profile offers pc-q35-7.2
    assert doc["targets"][[t["host"] for t in doc["targets"]].index(src)]["ok"] is True
    assert rc == (0 if all(t["ok"] for t in doc["targets"]) else 1)
    # and it is the guest cpu-matrix checks for that host
    _, m = _json(domc, "cpu-matrix", fleet)
    (cls,) = [c for c in m["classes"] if src in c["hosts"]]
    assert cls["host_model"] == guest


CUSTOM = [
    ("Westmere", "<feature policy='require' name='aes'/>"),
    ("Haswell-noTSX", "<feature policy='disable' name='avx2'/><feature policy='forbid' name='svm'/>"),
    ("EPYC", "<feature policy='require' name='ibpb'/>"),
    ("Skylake-Server-IBRS", ""),
    ("Penryn", "<feature policy='force' name='x2apic'/>"),
]


@pytest.mark.parametrize("model, features", CUSTOM, ids=[m for m, _ in CUSTOM])
def test_migrate_check_of_a_custom_cpu_is_cpu_compare_of_the_domain(domc, tmp_path, corpus_fleet, model, features):
    fleet, described = corpus_fleet
    dom = tmp_path / "custom.xml"
    dom.write_text(f"<domain type='kvm'><name>c</name><memory>1</memory><os><type arch='x86_64' "
                   f"machine='pc'>hvm</type></os><cpu mode='custom' match='exact'><model>{model}</model>"
                   f"{features}</cpu></domain>")
    _, doc = _json(domc, "migrate-check", dom, "--to", fleet)
    assert doc["machine"] == "pc-i440fx-7.2"
    for t in doc["targets"]:
        rc, out, _ = domc("cpu-compare", "--host", described[t["host"]], dom)
        assert t["cpu"]["verdict"] == out.split()[0], t["host"]


def test_seed_pair_migrations(domc):
    # every feature of the laptop is on the server (what makes their baseline the laptop's
    # CPU); the server's host-model guest needs what the laptop lacks
    rc, out, err = domc("migrate-check", HOST_MODEL_GUEST, "--from", LAPTOP, "--to", SERVER)
    assert (rc, err) == (0, "")
    assert out.splitlines()[1] == f"{SERVER}: OK (CPU superset, machine pc-q35-7.2 offered)"
    rc, out, err = domc("migrate-check", HOST_MODEL_GUEST, "--from", SERVER, "--to", LAPTOP, SERVER)
    assert (rc, err) == (1, "")
    lines = out.splitlines()
    assert lines[0] == f"{HOST_MODEL_GUEST}: CPU host-model of {SERVER}: Westmere, machine pc-q35-7.2"
    assert lines[1] == (f"{LAPTOP}: INCOMPATIBLE: host CPU vendor (none) does not match required CPU vendor "
                        "Intel; missing features: dca, sse4.1, sse4.2, popcnt, aes, syscall, nx, pdpe1gb, rdtscp")
    assert lines[2] == f"{SERVER}: OK (CPU identical, machine pc-q35-7.2 offered)"


def test_seed_pair_best_common_model_is_cpu_baseline(domc):
    _, doc = _json(domc, "cpu-matrix", LAPTOP, SERVER)
    rc, out, err = domc("cpu-baseline", LAPTOP, SERVER)
    assert (rc, err) == (0, "")
    assert doc["best"] + "\n" == out
    assert "<model fallback='allow'>pentium3</model>" in out


def test_cpu_matrix_text(domc, snapshot, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # relative names in the output
    caps = tmp_path / "server-caps.xml"
    rc, _, err = domc("capabilities", "--host", SERVER, "--host-root", os.path.join(HOSTS, "numa-root"),
                      "-o", caps)
    assert (rc, err) == (0, "")
    rc, out, err = domc("cpu-matrix", "fixtures/hosts/laptop.xml", "fixtures/hosts/server.xml", caps)
    assert (rc, err) == (0, "")
    assert out.replace(str(tmp_path), "TMP") == snapshot


def test_migrate_check_text(domc, snapshot, monkeypatch):
    monkeypatch.chdir(ROOT)
    rc, out, err = domc("migrate-check", "fixtures/fleet/host-model-guest.xml", "--from", "fixtures/hosts/server.xml",
                        "--to", "fixtures/hosts/laptop.xml", "fixtures/hosts/server.xml")
    assert rc == 1 and err == ""
    assert out == snapshot


def _caps(tmp_path, name: str, machines: str) -> str:
    cpu = open(SERVER).read().split("<host>")[1].split("</host>")[0]
    p = tmp_path / name
    p.write_text(f"<capabilities><host>{cpu}</host><guest><os_type>hvm</os_type><arch name='x86_64'>"
                 f"{machines}</arch></guest></capabilities>")
    return str(p)


def test_machine_type_must_be_offered_by_the_target(domc, tmp_path):
    old = _caps(tmp_path, "old.xml", "<machine maxCpus='288'>pc-q35-7.1</machine>"
                                     "<machine canonical='pc-q35-7.1' maxCpus='288'>q35</machine>")
    new = _caps(tmp_path, "new.xml", "<machine maxCpus='288'>pc-q35-7.2</machine>")
    alias = _caps(tmp_path, "alias.xml", "<machine canonical='pc-q35-7.2'>q35</machine>")
    rc, doc = _json(domc, "migrate-check", HOST_MODEL_GUEST, "--from", SERVER, "--to", old, new, alias, LAPTOP)
    got = {os.path.basename(t["host"]): (t["ok"], t["machine"]["available"], t["machine"]["machines_from"])
           for t in doc["targets"]}
    assert got == {
        "old.xml": (False, False, "capabilities"),
        "new.xml": (True, True, "capabilities"),
        "alias.xml": (True, True, "capabilities"),
        "laptop.xml": (False, True, "profile"),  # its CPU fails, not its machine types
    }
    assert rc == 1
    rc, out, _ = domc("migrate-check", HOST_MODEL_GUEST, "--from", SERVER, "--to", old)
    assert out.splitlines()[1] == (f"{old}: INCOMPATIBLE: machine type pc-q35-7.2 is not among the machine "
                                   "types of its capabilities")


@pytest.mark.parametrize("cpu, need_from, ok", [
    ("<cpu mode='host-passthrough'/>", True, False),       # the server's own CPU: the laptop lacks it
    ("<cpu mode='host-passthrough' migratable='off'/>", True, False),
    ("<cpu mode='custom' match='exact'><model>pentium3</model>"
     "<feature policy='optional' name='aes'/></cpu>", True, False),   # aes was on at the source
    ("<cpu mode='custom' match='exact'><model>pentium3</model></cpu>", False, True),
    ("", True, False),  # the machine's default model, qemu64, as on the server: syscall, nx
    ("<cpu mode='host-model'><model fallback='forbid'>pentium3</model>"
     "<feature policy='require' name='vmx'/></cpu>", False, True),  # a running domain's resolved CPU
])
def test_cpu_modes(domc, tmp_path, cpu, need_from, ok):
    dom = tmp_path / "d.xml"
    dom.write_text(f"<domain type='kvm'><name>d</name><memory>1</memory><os><type arch='x86_64'>hvm</type></os>"
                   f"{cpu}</domain>")
    rc, doc = _json(domc, "migrate-check", dom, "--from", SERVER, "--to", LAPTOP)
    assert doc["targets"][0]["ok"] is ok and rc == (0 if ok else 1)
    # the source host is read only when the CPU depends on it
    missing = tmp_path / "no-such-host.xml"
    rc, out, err = domc("migrate-check", dom, "--from", missing, "--to", LAPTOP)
    assert (rc == 2 and err.startswith(f"{missing}: error[io]")) if need_from else rc == (0 if ok else 1)


def test_unknown_machine_type_is_the_compile_error(domc, tmp_path):
    dom = tmp_path / "d.xml"
    dom.write_text("<domain type='kvm'>\n<name>d</name>\n<os>\n<type arch='x86_64' machine='pc-q35-99'>hvm</type>"
                   "</os></domain>")
    rc, out, err = domc("migrate-check", dom, "--to", SERVER)
    assert rc == 2 and out == ""
    assert err.startswith(f"{dom}:4: error[unknown-machine]: machine type 'pc-q35-99' is not offered")


def test_cpu_baseline_reads_what_virsh_reads_and_directories(domc, tmp_path):
    one = tmp_path / "both.xml"
    one.write_text(open(LAPTOP).read() + open(SERVER).read())
    d = tmp_path / "dir"
    d.mkdir()
    (d / "a.xml").write_text(open(LAPTOP).read())
    (d / "b.xml").write_text(open(SERVER).read())
    answers = {domc("cpu-baseline", *args)[1] for args in ([LAPTOP, SERVER], [one], [d], [d, one])}
    assert len(answers) == 1 and "pentium3" in answers.pop()


def test_a_hundred_thousand_hosts(domc, tmp_path, corpus):
    # far beyond virsh's 256: classes and the best model come from the distinct CPUs
    hosts = [open(p).read().strip() for p in host_files() if "<vendor>Intel</vendor>" in open(p).read()]
    f = tmp_path / "fleet.xml"
    with open(f, "w") as fh:
        for i in range(100_000):
            fh.write(hosts[i * 7 % len(hosts)] + "\n")
    rc, doc = _json(domc, "cpu-matrix", f)
    assert rc == 0 and doc["hosts"] == 100_000
    assert sum(len(c["hosts"]) for c in doc["classes"]) == 100_000
    small = tmp_path / "small.xml"  # each kind once, in the order they first appear above
    small.write_text("".join(hosts[i * 7 % len(hosts)] + "\n" for i in range(len(hosts))))
    _, few = _json(domc, "cpu-matrix", small)
    assert doc["best"] == few["best"] and doc["matrix"] == few["matrix"]
    assert domc("cpu-baseline", f)[1] == domc("cpu-baseline", small)[1] == few["best"] + "\n"

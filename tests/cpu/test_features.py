"""The feature table: every spelling round-trips, bits are unique, and (when the
libvirt corpus is present) every libvirt feature sits on the bit libvirt uses."""

import os

import pytest

from compiler.cpu.features import CpuidLoc, MsrLoc, Register, table

CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "corpus", "libvirt-9.0.0")


def test_every_spelling_round_trips():
    t = table()
    for f in t.features:
        for s in f.spellings:
            assert t.get(s) is f, s
            assert t.get(s.upper()) is f
            assert t.canonical(s.replace("-", "_")) == f.name


@pytest.mark.parametrize("spelling, name", [
    ("pni", "pni"), ("sse3", "pni"), ("lahf-lm", "lahf_lm"), ("lahf_lm", "lahf_lm"),
    ("ds_cpl", "ds_cpl"), ("ds-cpl", "ds_cpl"), ("sse4_2", "sse4.2"), ("sse4-2", "sse4.2"),
    ("pclmulqdq", "pclmuldq"), ("ffxsr", "fxsr_opt"), ("i64", "lm"), ("xd", "nx"),
    ("tsc_deadline_timer", "tsc-deadline"), ("nonstop_tsc", "invtsc"),
])
def test_known_spellings(spelling, name):
    assert table().canonical(spelling) == name


@pytest.mark.parametrize("name, loc", [
    ("sse4.2", CpuidLoc(1, 0, Register.ECX, 20)),
    ("fpu", CpuidLoc(1, 0, Register.EDX, 0)),
    ("avx2", CpuidLoc(7, 0, Register.EBX, 5)),
    ("lm", CpuidLoc(0x80000001, 0, Register.EDX, 29)),
    ("xsaveopt", CpuidLoc(0xD, 1, Register.EAX, 0)),
    ("mds-no", MsrLoc(0x10A, 5)),
])
def test_known_bits(name, loc):
    assert table().get(name).loc == loc


def test_unknown_name():
    assert table().get("no-such-feature") is None


def _libvirt_features():
    path = os.path.join(CORPUS, "cpu_map", "x86_features.xml")
    if not os.path.exists(path):
        pytest.skip("libvirt corpus not present at ../shared/corpus")
    from lxml import etree

    doc = etree.parse(path, etree.XMLParser(resolve_entities=False, no_network=True))
    for el in doc.iter("feature"):
        yield el


def test_bits_agree_with_libvirt_corpus():
    t = table()
    names = set()
    for el in _libvirt_features():
        name = el.get("name")
        names.add(name)
        f = t.get(name)
        assert f is not None and f.name == name, name
        for c in el.iter("cpuid"):
            leaf, sub = int(c.get("eax_in"), 16), int(c.get("ecx_in", "0"), 16)
            (reg, val), = [(r, int(c.get(r), 16)) for r in ("eax", "ebx", "ecx", "edx") if c.get(r)]
            assert f.loc == CpuidLoc(leaf, sub, Register(reg), val.bit_length() - 1), name
        for m in el.iter("msr"):
            val = int(m.get("edx"), 16) << 32 | int(m.get("eax"), 16)
            assert f.loc == MsrLoc(int(m.get("index"), 16), val.bit_length() - 1), name
    assert names == {f.name for f in t.features}

"""normalize, validate and compile accept and refuse the same domains (STYLE §10).

Every user-facing check runs before emit, so `domc normalize` (the normalize passes,
then the XML writer) refuses exactly what `domc compile` (the passes, then emit)
refuses, with the same error diagnostics.  A check left inside emit shows up here as
a domain that compile refuses and normalize accepts.

The domains: every domain of libvirt's corpus, every example (the invalid ones too),
and generated ones (the valid i440fx and q35 domains of the property and differential
tests, and their random corruptions).  Each compile gets the captured seed host and a
fixed host CPU, so no result depends on the machine the tests run on.
"""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings

from compiler.api import compile_file, make_env, normalize_file
from compiler.diagnostics import DomcError
from compiler.emit.xml import write_normalized

from .conftest import CORPUS, EXAMPLES, ROOT, SEED_HOST
from .hostile.conftest import DIAG_RE, run_domc
from .hostile.test_properties import COMMON, corrupted, domains, q35_domains

HOST_CPU = ROOT / "fixtures" / "hosts" / "server.xml"
# generated domains per generator: a few hundred in all, derandomized (COMMON), so every
# run checks the same ones
GENERATED = {"i440fx": 100, "q35": 60, "corrupted": 150}


def _env():
    return make_env(host=str(HOST_CPU), host_root=str(SEED_HOST))


def _normalize(path: str) -> None:
    dom, root = normalize_file(path, _env())
    write_normalized(root, dom)


def _compile(path: str) -> None:
    compile_file(path, _env())


def refusal(run, path: str) -> frozenset[str] | None:
    """None when ``run`` accepts the file, else the rendered error diagnostics."""
    try:
        run(path)
    except DomcError as exc:
        return frozenset(d.render() for d in exc.diagnostics)
    return None


def disagreement(path: str) -> str | None:
    """Why normalize and compile do not agree on ``path``, or None when they do."""
    norm, comp = refusal(_normalize, path), refusal(_compile, path)
    if norm == comp:
        return None
    if norm is None:
        return "compile refuses, normalize accepts:\n  " + "\n  ".join(sorted(comp))
    if comp is None:
        return "normalize refuses, compile accepts:\n  " + "\n  ".join(sorted(norm))
    return ("both refuse, with different errors:\n  only normalize: " +
            "\n  only normalize: ".join(sorted(norm - comp)) + "\n  only compile:   " +
            "\n  only compile:   ".join(sorted(comp - norm)))


def test_disagreement_is_reported_in_both_directions(monkeypatch):
    """The comparison itself: an emit-only refusal, and different error sets."""
    from compiler.diagnostics import fail

    def emit_refuses(path):
        raise fail("emit-only", "found in emit")

    monkeypatch.setattr(sys.modules[__name__], "_compile", emit_refuses)
    monkeypatch.setattr(sys.modules[__name__], "_normalize", lambda path: None)
    assert disagreement("x.xml").startswith("compile refuses, normalize accepts:")

    def other(path):
        raise fail("other", "another error")

    monkeypatch.setattr(sys.modules[__name__], "_normalize", other)
    assert "only normalize: <input>: error[other]" in disagreement("x.xml")
    monkeypatch.setattr(sys.modules[__name__], "_normalize", emit_refuses)
    assert disagreement("x.xml") is None


# ------------------------------------------------------------------ corpus and examples
def _corpus_names() -> list[str]:
    d = CORPUS / "qemuxml2argv"
    # without the corpus, one case that the `corpus` fixture skips with its reason
    return sorted(p.stem for p in d.glob("*.xml")) if d.is_dir() else ["corpus-absent"]


@pytest.mark.parametrize("name", _corpus_names())
def test_corpus_domain(name, corpus):
    why = disagreement(str(corpus / "qemuxml2argv" / f"{name}.xml"))
    assert why is None, why


def _examples() -> list:
    return sorted(EXAMPLES.rglob("*.xml"))


@pytest.mark.parametrize("xml", _examples(),
                         ids=lambda p: str(p.relative_to(EXAMPLES).with_suffix("")))
def test_example(xml, monkeypatch):
    monkeypatch.chdir(ROOT)
    why = disagreement(str(xml.relative_to(ROOT)))
    assert why is None, why


# ------------------------------------------------------------------ generated domains
def _check_generated(xml: str | bytes, tmp_path_factory) -> None:
    path = tmp_path_factory.mktemp("agree") / "gen.xml"
    path.write_bytes(xml.encode() if isinstance(xml, str) else xml)
    why = disagreement(str(path))
    assert why is None, f"{why}\n\n{path.read_text(errors='replace')}"


@settings(max_examples=GENERATED["i440fx"], **COMMON)
@given(domains())
def test_generated_i440fx_domain(tmp_path_factory, xml):
    _check_generated(xml, tmp_path_factory)


@settings(max_examples=GENERATED["q35"], **COMMON)
@given(q35_domains())
def test_generated_q35_domain(tmp_path_factory, xml):
    _check_generated(xml, tmp_path_factory)


@settings(max_examples=GENERATED["corrupted"], **COMMON)
@given(corrupted())
def test_corrupted_domain(tmp_path_factory, data):
    _check_generated(data, tmp_path_factory)


# ------------------------------------------------------------------ one run, every error
THREE = EXAMPLES / "invalid" / "three-errors.xml"
# (line, code) of its three unrelated mistakes: memory, the disk's format, the TPM model
THREE_ERRORS = {(7, "memory-range"), (13, "disk-format"), (19, "unsupported-device")}


def test_every_command_reports_all_three_errors():
    rel = str(THREE.relative_to(ROOT))
    seen = {}
    for command in ("validate", "compile", "normalize"):
        proc = run_domc(command, "--host-root", str(SEED_HOST), rel, cwd=ROOT)
        err = proc.stderr.decode("utf-8", "replace")
        assert "Traceback" not in err, err
        assert proc.returncode == 2, (command, proc.returncode, err)
        assert proc.stdout == b"", (command, proc.stdout[:200])
        lines = err.splitlines()
        matches = [DIAG_RE.match(line) for line in lines]
        assert all(matches), f"{command}: not all FILE:LINE: error[code]: lines:\n{err}"
        assert all(m["file"] == rel for m in matches), err
        found = [(int(m["line"]), m["code"]) for m in matches]
        assert len(found) == len(set(found)) and set(found) == THREE_ERRORS, (
            f"domc {command} reports {found}, want {sorted(THREE_ERRORS)}:\n{err}")
        seen[command] = lines
    assert seen["compile"] == seen["validate"] and seen["normalize"] == seen["validate"], seen

"""Nothing is dropped without a word, and little is left to say: at most 10 of the corpus
domains domc compiles carry a ``warning[ignored]``, and README.md names each of them
with its reason (issue 10).  tools/ignored_census.py is the same count, printed."""

from __future__ import annotations

import importlib.util
import re

from .conftest import ROOT

LIMIT = 10


def _census_module():
    spec = importlib.util.spec_from_file_location("ignored_census",
                                                  ROOT / "tools" / "ignored_census.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _readme_list() -> set[str]:
    """The domain names of README's list of corpus domains with a warning[ignored]."""
    text = (ROOT / "README.md").read_text()
    start = text.index("Corpus domains that still carry a `warning[ignored]`")
    block = text[start:].split("\n\n")[1]
    return set(re.findall(r"^- `([^`]+)`:", block, re.M))


def test_few_corpus_domains_have_ignored_parts_and_readme_names_them(corpus):
    compiled, flagged = _census_module().census(corpus)
    assert compiled > 150, "the census compiled too few domains to mean anything"
    assert len(flagged) <= LIMIT, "\n".join(f"{k}: {v[0]}" for k, v in flagged.items())
    assert set(flagged) == _readme_list(), (
        "README.md's list of corpus domains with a warning[ignored] is out of date: "
        f"flagged {sorted(flagged)}, listed {sorted(_readme_list())}")


def test_census_counts_a_domain_with_an_ignored_part(tmp_path):
    """The census itself: a domain with an unknown element is counted, one without is not."""
    d = tmp_path / "qemuxml2argv"
    d.mkdir()
    body = ("<domain type='qemu'><name>{}</name><memory unit='MiB'>64</memory>"
            "<os><type arch='x86_64'>hvm</type></os>{}<devices/></domain>")
    (d / "clean.xml").write_text(body.format("clean", ""))
    (d / "odd.xml").write_text(body.format("odd", "<sparkle/>"))
    (d / "refused.xml").write_text("<domain/>")
    compiled, flagged = _census_module().census(tmp_path)
    assert compiled == 2 and list(flagged) == ["odd"]
    assert "element <sparkle>" in flagged["odd"][0]

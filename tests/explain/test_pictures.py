"""The pictures: golden SVG snapshots of every example (reviewed like code: open
``__snapshots__/test_pictures/*.svg`` in a browser), the lspci-style trees, and a
real headless browser (Debian's chromium) that must render each picture -- and the
HTML page -- without a parser error, a console message or a failed load, into a
screenshot of the picture's size that is not blank."""

from __future__ import annotations

import re

import pytest
from lxml import etree
from syrupy.extensions.image import SVGImageSnapshotExtension

from compiler.api import make_env
from compiler.explain import render
from compiler.explain.core import explain_file

from ..browser import CHROMIUM, NO_CHROMIUM, Browser, png_colors
from ..conftest import ROOT, SEED_HOST, example_files

SVG_NS = "{http://www.w3.org/2000/svg}"


def _explain(xml, monkeypatch):
    monkeypatch.chdir(ROOT)
    return explain_file(str(xml.relative_to(ROOT)), make_env(host_root=str(SEED_HOST)))


@pytest.fixture
def svg_snapshot(snapshot):
    return snapshot.use_extension(SVGImageSnapshotExtension)


@pytest.mark.parametrize("xml", example_files(), ids=lambda p: p.stem)
def test_golden_svg(xml, svg_snapshot, monkeypatch):
    assert render.svg(_explain(xml, monkeypatch)) == svg_snapshot


@pytest.mark.parametrize("xml", example_files(), ids=lambda p: p.stem)
def test_golden_tree(xml, snapshot, monkeypatch):
    assert render.pci_tree(_explain(xml, monkeypatch)) == snapshot


@pytest.mark.parametrize("xml", example_files(), ids=lambda p: p.stem)
def test_pictures_are_self_contained(xml, monkeypatch):
    """Well-formed SVG that fetches nothing: no scripts, links, images or styles."""
    ex = _explain(xml, monkeypatch)
    for doc in (render.svg(ex), render.html(ex)):
        assert not re.search(r"<script|<image|<link|<iframe|href=|url\(|@import|https?://(?!"
                             r"www\.w3\.org/2000/svg)", doc)
    root = etree.fromstring(render.svg(ex).encode())
    assert root.tag == f"{SVG_NS}svg"
    labels = {t.text for t in root.iter(f"{SVG_NS}text")}
    # every PCI function of the tree is drawn, by its label
    for line in render.pci_tree(ex).splitlines():
        m = re.search(r"\d\.\d  (.+)$", line)
        if m:
            assert any(m.group(1) in (t or "") for t in labels), m.group(1)


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    b = Browser()
    yield b
    b.close()


def _check_page(page, width: int, height: int) -> None:
    assert page.parser_errors == 0 and page.problems == []
    assert (page.width, page.height) == (width, height)
    assert png_colors(page.png) >= 8  # drawn, not a blank page


@pytest.mark.parametrize("xml", example_files(), ids=lambda p: p.stem)
def test_svg_renders_in_chromium(xml, browser, tmp_path, monkeypatch):
    svg = render.svg(_explain(xml, monkeypatch))
    path = tmp_path / f"{xml.stem}.svg"
    path.write_text(svg)
    page = browser.render(path)
    root = etree.fromstring(svg.encode())
    assert page.root == "svg"
    _check_page(page, int(root.get("width")), int(float(root.get("height"))))
    (tmp_path / f"{xml.stem}.png").write_bytes(page.png)


def test_html_renders_in_chromium(browser, tmp_path, monkeypatch):
    ex = _explain(ROOT / "examples" / "placement" / "numa-memnode.xml", monkeypatch)
    path = tmp_path / "numa.html"
    path.write_text(render.html(ex))
    page = browser.render(path)
    assert page.root == "html" and page.parser_errors == 0 and page.problems == []
    assert png_colors(page.png) >= 8


@pytest.mark.parametrize("doc, expect", [
    ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><g></svg>', "parser"),
    ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><script>'
     'console.error("boom")</script></svg>', "console.error: boom"),
    ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
     '<image href="missing.png" width="9" height="9"/></svg>', "Failed to load resource"),
], ids=["malformed", "console-error", "missing-resource"])
def test_the_browser_check_sees_broken_pages(browser, tmp_path, doc, expect):
    path = tmp_path / "broken.svg"
    path.write_text(doc)
    page = browser.render(path)
    if expect == "parser":
        assert page.parser_errors == 1
    else:
        assert any(expect in p for p in page.problems), page.problems


# --------------------------------------------------------------------------- the README


def _readme_block(readme: str, command: str) -> list[str]:
    """The lines of the README's example after ``$ domc explain ...`` (unindented)."""
    lines = readme.split(f"    $ {command}\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [line[4:] for line in lines]


def test_the_readme_picture_tree_and_excerpt_are_current(domc, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    assert "](docs/explain-numa-memnode.svg)" in readme
    ex = _explain(ROOT / "examples" / "placement" / "numa-memnode.xml", monkeypatch)
    assert (ROOT / "docs" / "explain-numa-memnode.svg").read_text() == render.svg(ex)
    tree = render.pci_tree(_explain(ROOT / "examples" / "smbios.xml", monkeypatch))
    assert _readme_block(readme, "domc explain examples/smbios.xml --tree") == \
        tree.splitlines()
    command = "domc explain examples/laptop.xml --arg '\"(addr|id)\"'"
    rc, out, _ = domc("explain", "examples/laptop.xml", "--arg", '"(addr|id)"')
    shown = [line for line in _readme_block(readme, command) if line != "..."]
    assert rc == 0 and len(shown) == 8 and all(line in out.splitlines() for line in shown)

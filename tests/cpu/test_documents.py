"""Files of many CPU documents (compiler.xmllight's splitter, compiler.cpu.documents):
every document is found, at its line, exactly as a full parse of the same text finds
it, whatever stands between or inside the documents; identical documents are parsed
once; what is not a sequence of documents is refused at its line."""

from __future__ import annotations

import random

import pytest
from lxml import etree

from compiler.cpu.documents import load_cpus, read_file
from compiler.diagnostics import DomcError
from compiler.xmllight import BLOCK, DocumentSplitter, read_light

ROOTS = frozenset({"cpu", "capabilities", "domain", "domainCapabilities", "cpudata"})

HOST = "<cpu>\n  <arch>x86_64</arch>\n  <model>Westmere</model>\n  <vendor>Intel</vendor>\n" \
       "  <feature name='vmx'/>\n</cpu>"
GUEST = "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>Penryn</model>\n" \
        "  <feature policy='require' name='vmx'/>\n</cpu>"
# documents whose end a plain search for the end tag would get wrong, or nearly
AWKWARD = [
    "<cpu><!-- </cpu> --><model>Penryn</model></cpu>",
    "<cpu><model><![CDATA[Penryn]]></model><!-- <cpu> --></cpu>",
    "<cpu><x><cpu/></x><model>Nehalem</model></cpu>",
    "<cpu a='>' b=\"/>\"><model>Conroe</model></cpu>",
    "<cpu/>",
    "<cpu\n  mode='custom'\n><model>Haswell</model></cpu >",
    "<cpu><?pi </cpu> ?><model>Haswell</model></cpu>",
    "<capabilities><host><cpu><arch>x86_64</arch><model>Westmere</model></cpu></host>"
    "<guest><arch name='x86_64'><machine>pc-q35-7.2</machine></arch></guest></capabilities>",
]
GLUE = ["\n", "", "  \n\t", "\n<!-- between -->\n", "<!-- a <cpu> in a comment -->", "\r\n"]


def _reference(text: str) -> list[tuple[str, int]]:
    """(tag, line) of every top-level element, by one expat parse of the text inside a
    wrapper (expat numbers an element by the line its start tag begins on; lxml by the
    line it ends on: they differ for a start tag over several lines)."""
    from xml.parsers import expat

    p = expat.ParserCreate()
    depth, found = [0], []

    def start(tag, attrs):
        depth[0] += 1
        if depth[0] == 2:
            found.append((tag, p.CurrentLineNumber))

    def end(tag):
        depth[0] -= 1

    p.StartElementHandler, p.EndElementHandler = start, end
    p.Parse(("<c>" + text + "</c>").encode(), True)
    # and lxml agrees on which documents there are
    assert [el.tag for el in etree.fromstring(("<c>" + text + "</c>").encode())
            if isinstance(el.tag, str)] == [t for t, _ in found]
    return found


def _split(path) -> list[tuple[str, int]]:
    return [(read_light(data, str(path), line).tag, line) for data, line in DocumentSplitter(str(path), ROOTS)]


@pytest.mark.parametrize("seed", range(40))
def test_documents_and_lines_are_those_of_a_full_parse(tmp_path, seed):
    rng = random.Random(seed)
    parts = []
    for _ in range(rng.randint(1, 12)):
        parts.append(rng.choice(GLUE))
        parts.append(rng.choice([HOST, GUEST, *AWKWARD]))
    parts.append(rng.choice(GLUE))
    text = "".join(parts)
    path = tmp_path / "cpus.xml"
    path.write_text(text)
    assert _split(path) == _reference(text)


def test_documents_across_read_blocks(tmp_path):
    # documents and the text between them straddle the reader's block boundaries
    rng = random.Random(1)
    parts, size = [], 0
    while size < 3 * BLOCK:
        p = rng.choice(GLUE) + rng.choice([HOST, GUEST, *AWKWARD])
        parts.append(p)
        size += len(p)
    text = "<?xml version='1.0' encoding='UTF-8'?>\n" + "".join(parts)
    path = tmp_path / "many.xml"
    path.write_text(text)
    assert _split(path) == _reference(text.split("?>", 1)[1])


def test_a_wrapper_holds_the_documents(tmp_path):
    text = f"<cpuTest>\n{HOST}\n<!-- x -->\n{GUEST}\n</cpuTest>\n"
    path = tmp_path / "t.xml"
    path.write_text(text)
    assert [(t, line) for t, line in _split(path)] == [("cpu", 2), ("cpu", 9)]
    assert [c.model for c in load_cpus(str(path))] == ["Westmere", "Penryn"]


def test_identical_documents_are_parsed_once(tmp_path):
    path = tmp_path / "fleet.xml"
    path.write_text("\n".join([HOST, GUEST] * 500))
    docs = read_file(str(path))
    assert len(docs) == 1000 and len(docs.docs) == 2
    assert list(docs.order[:4]) == [0, 1, 0, 1]
    assert list(docs.lines[:3]) == [1, 7, 11]
    cpus = docs.cpus()
    assert cpus[0] is cpus[2] and cpus[0].line == 1  # shared, at its first occurrence


def test_capabilities_documents_bring_their_machine_types(tmp_path):
    path = tmp_path / "caps.xml"
    path.write_text(AWKWARD[-1] + "\n" + AWKWARD[-1].replace("pc-q35-7.2", "pc-q35-7.1"))
    docs = read_file(str(path))
    assert [d.machines for d in docs.docs] == [frozenset({"pc-q35-7.2"}), frozenset({"pc-q35-7.1"})]


@pytest.mark.parametrize("text, code, line", [
    (HOST + "\njunk\n" + HOST, "xml-syntax", 7),
    (HOST + "\n<!DOCTYPE cpu>\n" + HOST, "xml-doctype", 7),
    (HOST + "\n" + HOST[:-4], "xml-syntax", 12),
    (HOST + "\n<?xml version='1.0'?>\n" + HOST, "xml-syntax", 7),
    ("<cpuTest>\n" + HOST + "\n", "xml-syntax", 8),
    (HOST + "\n</cpuTest>", "xml-syntax", 7),
    ("\n\n", "xml-syntax", 3),
    (HOST + "\n<!-- a -- b -->", "xml-syntax", 7),
    (HOST + "\n<cpu><model>x</model></cpux>", "xml-syntax", 7),
    (HOST + "\n<cpu><feature name='a' name='b'/></cpu>", "xml-syntax", 7),
])
def test_what_is_not_a_sequence_of_documents_is_refused_at_its_line(tmp_path, text, code, line):
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with pytest.raises(DomcError) as exc:
        read_file(str(path))
    (d,) = exc.value.diagnostics
    assert (d.code, d.span.line, d.span.file) == (code, line, str(path))


def test_a_document_over_the_size_limit_is_refused_but_a_file_of_many_is_not(tmp_path):
    from compiler.xmllight import MAX_BYTES

    many = tmp_path / "many.xml"
    with open(many, "w") as fh:
        n = MAX_BYTES // len(HOST) + 10
        fh.write("\n".join([HOST] * n))
    assert len(read_file(str(many))) == n
    big = tmp_path / "big.xml"
    big.write_text("<cpu><model>Penryn</model><!--" + "x" * MAX_BYTES + "--></cpu>")
    with pytest.raises(DomcError) as exc:
        read_file(str(big))
    assert exc.value.diagnostics[0].code == "xml-too-large"

"""The tuning reader collects every bad value (each one line, located) before raising."""

import pytest
from lxml import etree

from compiler.diagnostics import DomcError
from compiler.placement.xml import tuning_from_xml
from compiler.xmlread import Reader

BAD = [
    ("<cputune><vcpupin vcpu='x' cpuset='z'/></cputune>", [(2, "bad-number"), (2, "cpuset-character")]),
    ("<cputune><vcpupin cpuset='0'/>\n<iothreadpin iothread='0' cpuset='0'/></cputune>",
     [(2, "missing-attribute"), (3, "number-range")]),
    ("<cputune><vcpupin vcpu='1_0' cpuset='0'/></cputune>", [(2, "bad-number")]),
    ("<iothreads>x</iothreads>", [(2, "bad-number")]),
    ("<iothreadids>\n<iothread id='0'/></iothreadids>", [(3, "number-range")]),
    ("<numatune>\n<memory mode='bogus' placement='what'/></numatune>",
     [(3, "bad-value"), (3, "bad-value"), (3, "numatune-nodeset")]),
    ("<memoryBacking><hugepages>\n<page size='x'/>\n<page size='3' unit='furlong'/>\n<page/>"
     "</hugepages></memoryBacking>", [(3, "bad-number"), (4, "bad-unit"), (5, "missing-attribute")]),
]


def _tuning(snippet: str):
    root = etree.fromstring(f"<domain>\n{snippet}\n</domain>")
    return tuning_from_xml(Reader(root, "g.xml"))


@pytest.mark.parametrize("snippet,expected", BAD, ids=[str(i) for i in range(len(BAD))])
def test_collects_every_error(snippet, expected):
    with pytest.raises(DomcError) as info:
        _tuning(snippet)
    diags = info.value.diagnostics
    assert [(d.span.line, d.code) for d in diags] == expected
    assert all(d.render().startswith(f"g.xml:{d.span.line}") and "\n" not in d.render() for d in diags)


def test_sizes_and_counts():
    t = _tuning("<iothreads>3</iothreads><memoryBacking><hugepages><page size='1' unit='G' nodeset='0'/>"
                "<page size='4097' unit='b'/></hugepages><allocation mode='immediate' threads='2'/>"
                "</memoryBacking>")
    assert t.iothread_ids == (1, 2, 3)
    assert [p.size_kib for p in t.backing.pages] == [1024 * 1024, 5]
    assert t.backing.prealloc and t.backing.prealloc_threads == 2


def test_bare_element_with_file_still_reads():
    root = etree.fromstring("<domain><cputune><vcpupin vcpu='0' cpuset='1'/></cputune></domain>")
    assert tuning_from_xml(root, "g.xml").vcpupins[0].vcpu == 0

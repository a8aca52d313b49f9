"""Guest NUMA HMAT: reading <cache> and <interconnects>, libvirt 9.0's checks,
the initiator of every cell, and the -numa hmat-lb / hmat-cache options.

Every expectation here was taken from libvirt 9.0 (virsh domxml-to-native /
define on the same XML), including its oddities: a cache's <size> and <line>
units are not used, a zero line size is left out, and the initiator of a cell
without vCPUs comes from the lowest latency, then the highest bandwidth, to it.
"""

from __future__ import annotations

import pytest

from compiler.api import make_env
from compiler.diagnostics import DomcError
from compiler.emit.argv import emit_argv
from compiler.emit.xml import write_normalized
from compiler.parse import parse_bytes
from compiler.pipeline import normalize

CELL_LINE = 5  # the first <cell> is on this line of the domain _xml builds


def _xml(cells: list[str], links: list[str] = (), vcpus: int = 12) -> bytes:
    """A domain with one <cell>/<cache>/link element per line."""
    lines = ["<domain type='qemu'>", "<name>t</name>",
             f"<memory unit='MiB'>{64 * len(cells)}</memory><vcpu>{vcpus}</vcpu>",
             "<cpu><numa>"]
    lines += cells
    if links:
        lines += ["<interconnects>", *links, "</interconnects>"]
    lines += ["</numa></cpu>", "<os><type arch='x86_64' machine='pc'>hvm</type></os>",
              "<features><acpi/></features><devices/>", "</domain>"]
    return "\n".join(lines).encode()


def cell(i: int, cpus: str | None = None, *caches: str) -> str:
    head = f"<cell id='{i}'{'' if cpus is None else f' cpus={cpus!r}'} memory='64' unit='MiB'"
    if not caches:
        return head + "/>"
    return "\n".join([head + ">", *caches, "</cell>"])


def cache(level, assoc="direct", policy="writeback", size="<size value='10' unit='KiB'/>",
          line="<line value='8' unit='B'/>") -> str:
    attrs = "".join(f" {k}='{v}'" for k, v in
                    (("level", level), ("associativity", assoc), ("policy", policy)) if v is not None)
    return f"<cache{attrs}>{size}{line}</cache>"


def lat(i, t, v, cache=None, type="access") -> str:
    c = "" if cache is None else f" cache='{cache}'"
    return f"<latency initiator='{i}' target='{t}'{c} type='{type}' value='{v}'/>"


def bw(i, t, v, unit="KiB", cache=None, type="access") -> str:
    c = "" if cache is None else f" cache='{cache}'"
    return f"<bandwidth initiator='{i}' target='{t}'{c} type='{type}' value='{v}' unit='{unit}'/>"


def compiled(xml: bytes):
    dom, root = parse_bytes(xml, "t.xml")
    env = make_env()
    dom = normalize(dom, env)
    return dom, root, emit_argv(dom, env), env.diag.warnings


def numa_opts(argv) -> list[str]:
    return [a for o, a in zip(argv, argv[1:]) if o == "-numa"]


def initiators(argv) -> list[int | None]:
    out = []
    for a in numa_opts(argv):
        if a.startswith("node,"):
            opts = dict(kv.split("=", 1) for kv in a.split(",")[1:] if "=" in kv)
            out.append(int(opts["initiator"]) if "initiator" in opts else None)
    return out


TWO_AND_MEMORY = [cell(0, "0-5"), cell(1, "6-11"), cell(2)]


@pytest.mark.parametrize("cells, links, want", [
    # a cell with vCPUs is its own initiator
    ([cell(0, "0-5"), cell(1, "6-11")], [lat(0, 1, 5)], [0, 1]),
    # the initiator of the one latency to the memory-only cell
    (TWO_AND_MEMORY, [lat(0, 0, 5), lat(1, 2, 7)], [0, 1, 1]),
    # the lowest latency wins; equal latencies keep the first
    (TWO_AND_MEMORY, [lat(0, 2, 9), lat(1, 2, 7)], [0, 1, 1]),
    (TWO_AND_MEMORY, [lat(1, 2, 7), lat(0, 2, 7)], [0, 1, 1]),
    # bandwidth only: the highest wins
    (TWO_AND_MEMORY, [bw(0, 2, 100), bw(1, 2, 200)], [0, 1, 1]),
    # any latency beats any bandwidth
    (TWO_AND_MEMORY, [lat(0, 2, 5), bw(1, 2, 200)], [0, 1, 0]),
    # read/write types count like access
    (TWO_AND_MEMORY, [lat(1, 2, 5, type="read"), bw(0, 2, 9, type="write")], [0, 1, 1]),
    # no link to the cell: the first cell with vCPUs (distance plays no part)
    (TWO_AND_MEMORY, [lat(1, 1, 5)], [0, 1, 0]),
    ([cell(0), cell(1, "0-5"), cell(2, "6-11")], [lat(1, 1, 5)], [1, 1, 2]),
    ([cell(0), cell(1), cell(2, "0-5"), cell(3), cell(4), cell(5, "6-11")], [lat(2, 2, 5)],
     [2, 2, 2, 2, 2, 5]),
    # a zero bandwidth never wins
    (TWO_AND_MEMORY, [bw(1, 2, 0)], [0, 1, 0]),
    # libvirt keeps the running minimum/maximum in 32 bits: a latency of 2^32 or
    # more never wins, and a bandwidth that large is remembered truncated
    (TWO_AND_MEMORY, [lat(1, 2, 2**32 + 3)], [0, 1, 0]),
    (TWO_AND_MEMORY, [bw(1, 2, 2**32 + 5), bw(0, 2, 7)], [0, 1, 0]),
    # cell 0 got the vCPUs no cell lists, so it has vCPUs of its own
    ([cell(0), cell(1, "0-5"), cell(2)], [lat(0, 2, 5)], [0, 1, 0]),
])
def test_initiator_of_every_cell(cells, links, want):
    _, _, argv, _ = compiled(_xml(cells, links))
    assert initiators(argv) == want


def test_no_hmat_no_initiators():
    _, _, argv, _ = compiled(_xml(TWO_AND_MEMORY))
    assert initiators(argv) == [None, None, None]
    assert "hmat=on" not in argv[argv.index("-machine") + 1]


@pytest.mark.parametrize("cells, links, want", [
    # hierarchy from cache=, data-type from the element and type=; bandwidth in KiB,
    # rounded up, honouring its unit; cache='0' is the memory
    ([cell(0, "0-11", cache(1), cache(2))],
     [lat(0, 0, 5, cache=0), lat(0, 0, 6, cache=2, type="write"), bw(0, 0, 3, unit="MiB"),
      bw(0, 0, 5, unit="B", type="read"), bw(0, 0, 5, unit="GB", cache=1)],
     ["hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=5",
      "hmat-lb,initiator=0,target=0,hierarchy=second-level,data-type=write-latency,latency=6",
      "hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=3072K",
      "hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=read-bandwidth,bandwidth=1K",
      "hmat-lb,initiator=0,target=0,hierarchy=first-level,data-type=access-bandwidth,"
      "bandwidth=4882813K",
      "hmat-cache,node-id=0,size=10K,level=1,associativity=direct,policy=write-back,line=8",
      "hmat-cache,node-id=0,size=10K,level=2,associativity=direct,policy=write-back,line=8"]),
    # QEMU's spellings; caches in cell-id order, then document order
    ([cell(1, "6-11", cache(2, "none", "none"), cache(1, "full", "writethrough")),
      cell(0, "0-5", cache(3))], [],
     ["hmat-cache,node-id=0,size=10K,level=3,associativity=direct,policy=write-back,line=8",
      "hmat-cache,node-id=1,size=10K,level=2,associativity=none,policy=none,line=8",
      "hmat-cache,node-id=1,size=10K,level=1,associativity=complex,policy=write-through,line=8"]),
    # a zero line size is left out; size and line are read as KiB and bytes whatever
    # their unit says
    ([cell(0, "0-11", cache(1, size="<size value='0'/>", line="<line value='0'/>"),
           cache(2, size="<size value='1' unit='MiB'/>", line="<line value='1' unit='KiB'/>"))],
     [],
     ["hmat-cache,node-id=0,size=0K,level=1,associativity=direct,policy=write-back",
      "hmat-cache,node-id=0,size=1K,level=2,associativity=direct,policy=write-back,line=1"]),
])
def test_hmat_options(cells, links, want):
    _, _, argv, _ = compiled(_xml(cells, links))
    assert [a for a in numa_opts(argv) if a.startswith("hmat-")] == want
    assert argv[argv.index("-machine") + 1].endswith(",hmat=on")


def test_units_libvirt_does_not_use_are_reported():
    xml = _xml([cell(0, "0-11", cache(1, size="<size value='1' unit='MiB'/>",
                                      line="<line value='1' unit='KiB'/>"))],
               [lat(0, 0, 1), "<frob/>"])
    _, _, _, warnings = compiled(xml)
    got = [(w.code, w.span.line) for w in warnings]
    assert got == [("hmat-unit", CELL_LINE + 1), ("hmat-unit", CELL_LINE + 1),
                   ("ignored", CELL_LINE + 5)]


def test_normalize_keeps_caches_and_interconnects():
    xml = _xml([cell(0, "0-5", cache(1)), cell(1)], [lat(0, 1, 5), bw(0, 0, 1, "MiB")], vcpus=6)
    dom, root, _, _ = compiled(xml)
    out = write_normalized(root, dom).decode()
    for part in ("<cache level=\"1\" associativity=\"direct\" policy=\"writeback\">",
                 "<size value=\"10\" unit=\"KiB\"/>", "<line value=\"8\" unit=\"B\"/>",
                 "<latency initiator=\"0\" target=\"1\" type=\"access\" value=\"5\"/>",
                 "<bandwidth initiator=\"0\" target=\"0\" type=\"access\" value=\"1\" "
                 "unit=\"MiB\"/>"):
        assert part in out


C0 = CELL_LINE  # line of cell 0 (with no caches) ...
LINK = CELL_LINE + 4  # ... and of the first link after three one-line cells


@pytest.mark.parametrize("cells, links, code, line", [
    # references (libvirt: "'initiator' refers to a non-existent NUMA node", ...)
    (TWO_AND_MEMORY, [lat(3, 0, 5)], "hmat-cell", LINK),
    (TWO_AND_MEMORY, [lat(0, 3, 5)], "hmat-cell", LINK),
    (TWO_AND_MEMORY, [lat(2, 0, 5)], "hmat-initiator", LINK),
    (TWO_AND_MEMORY, [lat(0, 0, 5, cache=1)], "hmat-cache", LINK),
    (TWO_AND_MEMORY, [lat(0, 0, 5, cache=4)], "hmat-cache", LINK),
    (TWO_AND_MEMORY, [lat(0, 1, 5), lat(0, 1, 6)], "duplicate", LINK + 1),
    (TWO_AND_MEMORY, [lat(0, 1, 5), lat(1, 0, 6)], "hmat-link", LINK + 1),
    (TWO_AND_MEMORY, [lat(0, 1, 5), bw(1, 0, 6)], "hmat-link", LINK + 1),
    # caches ("Ain't nobody heard of that much cache level", "already defined", ...)
    ([cell(0, "0-11", cache(4))], [], "hmat-cache-level", C0 + 1),
    ([cell(0, "0-11", cache(1), cache(1))], [], "duplicate", C0 + 2),
    ([cell(0, "0-11", cache(0))], [], "number-range", C0 + 1),
    ([cell(0, "0-11", cache(None))], [], "missing-attribute", C0 + 1),
    ([cell(0, "0-11", cache(1, assoc=None))], [], "missing-attribute", C0 + 1),
    ([cell(0, "0-11", cache(1, policy=None))], [], "missing-attribute", C0 + 1),
    ([cell(0, "0-11", cache(1, assoc="bogus"))], [], "bad-value", C0 + 1),
    ([cell(0, "0-11", cache(1, policy="bogus"))], [], "bad-value", C0 + 1),
    ([cell(0, "0-11", cache(1, size=""))], [], "missing-value", C0 + 1),
    ([cell(0, "0-11", cache(1, line="<line unit='B'/>"))], [], "missing-value", C0 + 1),
    ([cell(0, "0-11", cache(1, size="<size value='x'/>"))], [], "bad-number", C0 + 1),
    # link attributes
    (TWO_AND_MEMORY, ["<latency initiator='0' target='0' type='access'/>"],
     "missing-attribute", LINK),
    (TWO_AND_MEMORY, ["<latency target='0' type='access' value='1'/>"],
     "missing-attribute", LINK),
    (TWO_AND_MEMORY, ["<latency initiator='0' type='access' value='1'/>"],
     "missing-attribute", LINK),
    (TWO_AND_MEMORY, ["<latency initiator='0' target='0' value='1'/>"],
     "missing-attribute", LINK),
    (TWO_AND_MEMORY, ["<bandwidth initiator='0' target='0' type='access'/>"],
     "missing-attribute", LINK),
    (TWO_AND_MEMORY, [lat("x", 0, 1)], "bad-number", LINK),
    (TWO_AND_MEMORY, [lat(0, 0, -1)], "bad-number", LINK),
    (TWO_AND_MEMORY, [lat(0, 0, 1, cache="x")], "bad-number", LINK),
    (TWO_AND_MEMORY, [lat(0, 0, 1, type="none")], "bad-value", LINK),
    (TWO_AND_MEMORY, [bw(0, 0, 1, unit="furlongs")], "bad-unit", LINK),
])
def test_what_libvirt_rejects(cells, links, code, line):
    with pytest.raises(DomcError) as exc:
        compiled(_xml(cells, links))
    d = exc.value.diagnostics[0]
    assert (d.code, d.span.line) == (code, line), d.render()
    assert d.render().startswith(f"t.xml:{line}: error[{code}]: ")
    assert "\n" not in d.render()


@pytest.mark.parametrize("cells, links", [
    # what libvirt accepts that a first reading of its checks might not
    ([cell(0, "0-11", cache(1), cache(2))], [lat(0, 0, 5, cache=2)]),
    ([cell(0, "0-11", cache(2), cache(1))], [lat(0, 0, 5, cache=1)]),
    (TWO_AND_MEMORY, [lat(0, 0, 5, cache=0)]),
    (TWO_AND_MEMORY, [lat(0, 0, 0)]),
    (TWO_AND_MEMORY, [lat(0, 0, 5, type="read"), lat(0, 0, 5, type="write"),
                      bw(0, 0, 5, type="read")]),
    (TWO_AND_MEMORY, [lat(0, 1, 5), lat(0, 1, 5, type="read"), lat(1, 1, 5)]),
])
def test_what_libvirt_accepts(cells, links):
    compiled(_xml(cells, links))

"""One backend rule for NUMA cells, pc.ram and <memory> devices
(compiler/devices/memory_backend.py).  Each expected object was read from libvirt
9.0's argv for the same domain (../shared/tools/libvirt-oracle argv); only the
memory backing directory differs (domc's /var/lib/domc/ram/NAME)."""

from __future__ import annotations

import json

import pytest

from compiler.api import make_env
from compiler.diagnostics import DomcError
from compiler.emit.argv import emit_argv
from compiler.parse import parse_bytes
from compiler.pipeline import normalize

CELL = "<cell id='0' cpus='0-1' memory='1048576' unit='KiB'{attrs}/>"
DIMM = ("<memory model='dimm'{attrs}><target><size unit='KiB'>524288</size><node>0</node>"
        "</target></memory>")


def backends(backing: str = "", cell: str | None = "", dimm: str | None = None) -> dict:
    """The memory backend objects of a two-vCPU guest, by id."""
    numa = f"<cpu><numa>{CELL.format(attrs=cell)}</numa></cpu>" if cell is not None else ""
    dev = DIMM.format(attrs=dimm) if dimm is not None else ""
    data = ("<domain type='qemu'><name>t</name>"
            "<maxMemory slots='16' unit='KiB'>4194304</maxMemory>"
            f"<memory unit='KiB'>{1048576 if cell is not None else 2097152}</memory>{backing}"
            "<vcpu>2</vcpu><os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>"
            f"{numa}<devices>{dev}</devices></domain>").encode()
    dom, _ = parse_bytes(data, "t.xml")
    env = make_env()
    argv = emit_argv(normalize(dom, env), env)
    objs = [json.loads(v) for o, v in zip(argv, argv[1:]) if o == "-object" and v.startswith("{")]
    return {o["id"]: o for o in objs if o["qom-type"].startswith("memory-backend")}


HUGE_MEMFD = ("<memoryBacking><hugepages/><source type='memfd'/><access mode='shared'/>"
              "</memoryBacking>")


@pytest.mark.parametrize("backing, cell, dimm, alias, want", [
    # huge pages from a memfd: memfd with hugetlb, for a device as for a cell
    (HUGE_MEMFD, "", "", "memdimm0",
     {"qom-type": "memory-backend-memfd", "id": "memdimm0", "hugetlb": True,
      "hugetlbsize": 2097152, "share": True, "prealloc": True, "size": 536870912}),
    (HUGE_MEMFD, "", "", "ram-node0",
     {"qom-type": "memory-backend-memfd", "id": "ram-node0", "hugetlb": True,
      "hugetlbsize": 2097152, "share": True, "prealloc": True, "size": 1073741824}),
    # private access is an access mode too: a file backend with share=false
    ("<memoryBacking><access mode='private'/></memoryBacking>", "", None, "ram-node0",
     {"qom-type": "memory-backend-file", "id": "ram-node0",
      "mem-path": "/var/lib/domc/ram/t/ram-node0", "share": False, "size": 1073741824}),
    ("", " memAccess='private'", None, "ram-node0",
     {"qom-type": "memory-backend-file", "id": "ram-node0",
      "mem-path": "/var/lib/domc/ram/t/ram-node0", "share": False, "size": 1073741824}),
    ("", "", " access='private'", "memdimm0",
     {"qom-type": "memory-backend-file", "id": "memdimm0",
      "mem-path": "/var/lib/domc/ram/t/dimm0", "share": False, "size": 536870912}),
    # the guest's RAM without NUMA: a file or memfd backend keeps the RAM block id
    # 'pc.ram' (x-use-canonical-path-for-ramblock-id=false), a cell's or device's not
    ("<memoryBacking><access mode='private'/></memoryBacking>", None, None, "pc.ram",
     {"qom-type": "memory-backend-file", "id": "pc.ram",
      "mem-path": "/var/lib/domc/ram/t/pc.ram", "share": False,
      "x-use-canonical-path-for-ramblock-id": False, "size": 2147483648}),
    ("<memoryBacking><source type='memfd'/></memoryBacking>", None, None, "pc.ram",
     {"qom-type": "memory-backend-memfd", "id": "pc.ram",
      "x-use-canonical-path-for-ramblock-id": False, "size": 2147483648}),
    ("<memoryBacking><source type='file'/></memoryBacking>", None, None, "pc.ram",
     {"qom-type": "memory-backend-file", "id": "pc.ram", "mem-path": "/var/lib/domc/ram/t/pc.ram",
      "x-use-canonical-path-for-ramblock-id": False, "size": 2147483648}),
    ("<memoryBacking><source type='memfd'/></memoryBacking>", "", None, "ram-node0",
     {"qom-type": "memory-backend-memfd", "id": "ram-node0", "size": 1073741824}),
    ("", None, None, "pc.ram", {"qom-type": "memory-backend-ram", "id": "pc.ram", "size": 2147483648}),
    # discard alone does not call for a file backend, for a device as for a cell
    ("", "", " discard='yes'", "memdimm0",
     {"qom-type": "memory-backend-ram", "id": "memdimm0", "size": 536870912}),
    ("<memoryBacking><discard/></memoryBacking>", "", "", "memdimm0",
     {"qom-type": "memory-backend-ram", "id": "memdimm0", "size": 536870912}),
    # a device's file backend takes the discard of its guest cell
    ("", " discard='yes'", " access='shared'", "memdimm0",
     {"qom-type": "memory-backend-file", "id": "memdimm0",
      "mem-path": "/var/lib/domc/ram/t/dimm0", "discard-data": True, "share": True,
      "size": 536870912}),
])
def test_backend_as_libvirt_builds_it(backing, cell, dimm, alias, want):
    assert backends(backing, cell, dimm)[alias] == want


@pytest.mark.parametrize("backing", [
    "",
    "<memoryBacking><hugepages/></memoryBacking>",
    "<memoryBacking><source type='memfd'/></memoryBacking>",
    "<memoryBacking><source type='file'/></memoryBacking>",
    "<memoryBacking><access mode='shared'/></memoryBacking>",
    "<memoryBacking><access mode='private'/><discard/></memoryBacking>",
    HUGE_MEMFD,
])
def test_cell_and_device_choose_the_same_backend(backing):
    got = backends(backing, "", "")
    cell, dimm = got["ram-node0"], got["memdimm0"]
    assert cell["qom-type"] == dimm["qom-type"]
    strip = ("id", "size", "mem-path")
    assert {k: v for k, v in cell.items() if k not in strip} == \
        {k: v for k, v in dimm.items() if k not in strip}


def test_a_cell_memaccess_outside_shared_private_is_refused_where_written():
    with pytest.raises(DomcError) as e:
        backends(cell=" memAccess='bogus'")
    (d,) = e.value.diagnostics
    assert d.code == "bad-value" and "memAccess" in d.message and d.span.line == 1


@pytest.mark.parametrize("backing, dimm", [
    ("<memoryBacking><hugepages><page size='5' unit='MiB'/></hugepages></memoryBacking>", None),
    ("<memoryBacking><hugepages><page size='4' unit='MiB' nodeset='0'/></hugepages>"
     "</memoryBacking>", None),
    ("", "><source><pagesize unit='KiB'>512</pagesize></source"),
])
def test_a_page_size_x86_does_not_have_is_refused(backing, dimm):
    """x86_64 pages are 4 KiB, 2 MiB or 1 GiB: no hugetlbfs of another size exists,
    so libvirt finds no mount for it and refuses to start the guest."""
    with pytest.raises(DomcError) as e:
        backends(backing=backing, dimm=dimm)
    assert {d.code for d in e.value.diagnostics} == {"hugepage-size"}


@pytest.mark.parametrize("size", ["4' unit='KiB", "2' unit='MiB", "1' unit='GiB"])
def test_the_x86_page_sizes_are_taken(size):
    backends(backing=f"<memoryBacking><hugepages><page size='{size}'/></hugepages>"
                     "</memoryBacking>")

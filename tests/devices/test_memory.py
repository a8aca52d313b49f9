import pytest

from .helpers import compile_snippet, devices_of, assert_error_at, options

NUMA = """  <maxMemory slots='4' unit='KiB'>4194304</maxMemory>
  <cpu><numa><cell id='0' cpus='0' memory='219136' unit='KiB'/></numa></cpu>
"""

GOOD = [
    ("dimm",
     "<memory model='dimm'><target><size unit='KiB'>524287</size><node>0</node></target>"
     "</memory>",
     {"qom-type": "memory-backend-ram", "id": "memdimm0", "size": 536870912},
     {"driver": "pc-dimm", "node": 0, "memdev": "memdimm0", "id": "dimm0", "slot": 0}),
    ("dimm-slot-base",
     "<memory model='dimm'><target><size unit='MiB'>512</size><node>0</node></target>"
     "<address type='dimm' slot='2' base='0x100000000'/></memory>",
     {"qom-type": "memory-backend-ram", "id": "memdimm2", "size": 536870912},
     {"driver": "pc-dimm", "node": 0, "memdev": "memdimm2", "id": "dimm2", "slot": 2,
      "addr": 4294967296}),
    ("nvdimm",
     "<memory model='nvdimm' access='private'><source><path>/tmp/nv</path></source>"
     "<target><size unit='KiB'>523264</size><node>0</node><readonly/></target></memory>",
     {"qom-type": "memory-backend-file", "id": "memnvdimm0", "mem-path": "/tmp/nv",
      "share": False, "prealloc": True, "size": 536870912},
     {"driver": "nvdimm", "node": 0, "unarmed": True, "memdev": "memnvdimm0", "id": "nvdimm0",
      "slot": 0}),
    ("virtio-mem",
     "<memory model='virtio-mem'><target><size unit='GiB'>1</size><node>0</node>"
     "<block unit='KiB'>2048</block><requested unit='MiB'>512</requested></target></memory>",
     {"qom-type": "memory-backend-ram", "id": "memvirtiomem0", "reserve": False,
      "size": 1073741824},
     {"driver": "virtio-mem-pci", "node": 0, "block-size": 2097152,
      "requested-size": 536870912, "memdev": "memvirtiomem0", "id": "virtiomem0",
      "bus": "pci.0", "addr": "0x3"}),  # after the balloon: memory devices come last
]


@pytest.mark.parametrize("snippet,backend,device", [g[1:] for g in GOOD], ids=[g[0] for g in GOOD])
def test_emit(tmp_path, snippet, backend, device):
    import json

    argv = compile_snippet(tmp_path, snippet, extra=NUMA)
    assert json.dumps(backend, separators=(",", ":")) in options(argv, "-object")
    assert devices_of(argv, device["driver"]) == [device]


def test_nvdimm_machine_option(tmp_path):
    snippet = ("<memory model='nvdimm'><source><path>/tmp/nv</path></source>"
               "<target><size unit='MiB'>512</size><node>0</node></target></memory>")
    argv = compile_snippet(tmp_path, snippet, extra=NUMA)
    assert "nvdimm=on" in options(argv, "-machine")[0].split(",")


def test_slots_fill_gaps(tmp_path):
    dimm = "<memory model='dimm'><target><size unit='MiB'>128</size><node>0</node></target>{}</memory>"
    snippet = dimm.format("") + dimm.format("<address type='dimm' slot='0'/>") + dimm.format("")
    argv = compile_snippet(tmp_path, snippet, extra=NUMA)
    assert [(d["id"], d["slot"]) for d in devices_of(argv, "pc-dimm")] == \
        [("dimm1", 1), ("dimm0", 0), ("dimm2", 2)]


BAD = [
    ("no-numa", "<memory model='dimm'><target><size unit='MiB'>128</size></target></memory>",
     "  <maxMemory slots='4' unit='KiB'>4194304</maxMemory>\n", "<memory model", "NUMA cell"),
    ("no-slots", "<memory model='dimm'><target><size unit='MiB'>128</size></target></memory>",
     "", "<memory model", "maxMemory slots"),
    ("no-size", "<memory model='dimm'><target/></memory>", NUMA, "<memory model", "<size>"),
    ("bad-node", "<memory model='dimm'><target><size unit='MiB'>1</size><node>3</node>"
     "</target></memory>", NUMA, "<memory model", "target node 3"),
    ("nvdimm-path", "<memory model='nvdimm'><target><size unit='MiB'>1</size></target></memory>",
     NUMA, "<memory model", "<path>"),
]


@pytest.mark.parametrize("snippet,extra,needle,message", [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_errors(tmp_path, snippet, extra, needle, message):
    assert_error_at(tmp_path, snippet, needle, message, extra=extra)

"""<memory model='virtio-pmem'>: the kind added as the worked example of "a new kind
is one module".  What libvirt 9.0 does with it was asked of the oracle; these tests
check domc's rules, independent of it: the shape of the backend and device, what the
backend inherits from the domain, the refusals (in compile and normalize alike), and
that a dimm beside it keeps its own kind."""

from __future__ import annotations

import json

import pytest

from compiler.api import compile_file, make_env
from compiler.devices import kind_for_element
from compiler.diagnostics import DomcError
from compiler.emit.xml import write_normalized
from compiler.parse import parse_file
from compiler.pipeline import normalize

from .helpers import devices_of, line_of, options, write

NUMA = ("  <maxMemory slots='4' unit='KiB'>4194304</maxMemory>\n"
        "  <cpu><numa><cell id='0' cpus='0' memory='219136' unit='KiB'/></numa></cpu>\n")


def pmem(extra_attrs: str = "", size_kib: int = 262144, target: str = "",
         source: str = "<source><path>/srv/pmem0.img</path></source>") -> str:
    return (f"<memory model='virtio-pmem'{extra_attrs}>{source}"
            f"<target><size unit='KiB'>{size_kib}</size>{target}</target></memory>")


def backends(argv: list[str]) -> list[dict]:
    return [json.loads(o) for o in options(argv, "-object")
            if json.loads(o)["id"].startswith("memvirtiopmem")]


def test_the_element_model_selects_the_kind():
    assert kind_for_element("memory", "virtio-pmem").tag == "virtio-pmem"
    assert kind_for_element("memory", "dimm").tag == "memory"
    assert kind_for_element("memory", None).tag == "memory"
    assert kind_for_element("nosuchdevice", None) is None


def test_backend_and_device(tmp_path):
    path = write(tmp_path, pmem(size_kib=262100) + "\n" + pmem(
        source="<source><path>/srv/pmem1.img</path></source>"), extra=NUMA)
    argv = list(compile_file(path, make_env()).argv)
    # the size is rounded up to 2 MiB; the file is shared, used as it is
    assert backends(argv) == [
        {"qom-type": "memory-backend-file", "id": "memvirtiopmem0", "mem-path": "/srv/pmem0.img",
         "share": True, "size": 256 * 1024 * 1024},
        {"qom-type": "memory-backend-file", "id": "memvirtiopmem1", "mem-path": "/srv/pmem1.img",
         "share": True, "size": 256 * 1024 * 1024}]
    devs = devices_of(argv, "virtio-pmem-pci")
    assert [(d["id"], d["memdev"], d["bus"]) for d in devs] == [
        ("virtiopmem0", "memvirtiopmem0", "pci.0"), ("virtiopmem1", "memvirtiopmem1", "pci.0")]
    # after every other PCI device of the guest (the balloon), as libvirt places them
    balloon = devices_of(argv, "virtio-balloon-pci")[0]
    assert int(balloon["addr"], 16) < int(devs[0]["addr"], 16) < int(devs[1]["addr"], 16)


def test_backend_follows_the_guest_wide_binding_and_allocation(tmp_path):
    extra = NUMA + ("  <numatune><memory mode='strict' nodeset='0'/></numatune>\n"
                    "  <memoryBacking><allocation mode='immediate'/><discard/></memoryBacking>\n")
    argv = list(compile_file(write(tmp_path, pmem(), extra=extra), make_env()).argv)
    (obj,) = backends(argv)
    assert obj["host-nodes"] == [0] and obj["policy"] == "bind"
    assert obj["prealloc"] is True and obj["prealloc-context"] == "tc-memvirtiopmem0"
    assert "discard-data" not in obj  # the guest-wide discard is not the file's


def test_q35_puts_it_on_a_root_port(tmp_path):
    argv = list(compile_file(write(tmp_path, pmem(), extra=NUMA, machine="q35"),
                             make_env()).argv)
    (dev,) = devices_of(argv, "virtio-pmem-pci")
    port = next(d for d in devices_of(argv, "pcie-root-port") if d["id"] == dev["bus"])
    assert port["bus"] == "pcie.0"


def test_normalize_writes_shared_access_and_the_address(tmp_path):
    path = write(tmp_path, pmem(), extra=NUMA)
    dom, root = parse_file(path)
    out = write_normalized(root, normalize(dom, make_env())).decode()
    assert "<memory model=\"virtio-pmem\" access=\"shared\">" in out
    assert "<alias name=\"virtiopmem0\"/>" in out and "<address type=\"pci\"" in out


def test_a_dimm_beside_it_stays_a_dimm(tmp_path):
    dimm = ("<memory model='dimm'><target><size unit='MiB'>128</size><node>0</node></target>"
            "</memory>")
    argv = list(compile_file(write(tmp_path, dimm + "\n" + pmem(), extra=NUMA), make_env()).argv)
    assert [d["id"] for d in devices_of(argv, "pc-dimm")] == ["dimm0"]
    assert [d["id"] for d in devices_of(argv, "virtio-pmem-pci")] == ["virtiopmem0"]


BAD = [
    ("no-maxmemory", pmem(), "  <cpu><numa><cell id='0' cpus='0' memory='219136' unit='KiB'/>"
     "</numa></cpu>\n", "memory-hotplug"),
    ("no-numa", pmem(), "  <maxMemory slots='4' unit='KiB'>4194304</maxMemory>\n",
     "memory-hotplug"),
    ("private", pmem(" access='private'"), NUMA, "memory-access"),
    ("node", pmem(target="<node>0</node>"), NUMA, "memory-node"),
    ("dimm-address", pmem().replace("</memory>", "<address type='dimm' slot='0'/></memory>"),
     NUMA, "address-type"),
]


def _codes(run) -> list[tuple[str, int]]:
    with pytest.raises(DomcError) as exc:
        run()
    return [(d.code, d.span.line) for d in exc.value.diagnostics]


@pytest.mark.parametrize("devices,extra,code", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_refused_in_compile_and_normalize(tmp_path, devices, extra, code):
    path = write(tmp_path, devices, extra=extra)
    want = [(code, line_of(devices, "virtio-pmem", extra))]
    assert _codes(lambda: compile_file(path, make_env())) == want
    assert _codes(lambda: normalize(parse_file(path)[0], make_env())) == want


def test_a_source_path_is_required(tmp_path):
    devices = pmem(source="")
    path = write(tmp_path, devices, extra=NUMA)
    assert _codes(lambda: parse_file(path)) == [("memory-source",
                                                 line_of(devices, "virtio-pmem", NUMA))]


def test_qemu_builds_the_planned_device(tmp_path):
    """QEMU 7.2 accepts the argv (paused, TCG) and the guest has the virtio-pmem device
    at the planned slot, backed by the planned file and size."""
    from ..qemu import QEMU, QemuRefused, ask_paused, bootable

    if QEMU is None:
        pytest.skip("QEMU is not installed")
    image = tmp_path / "pmem0.img"
    image.write_bytes(b"")
    path = write(tmp_path, pmem(source=f"<source><path>{image}</path></source>"), extra=NUMA)
    result = compile_file(path, make_env())
    argv, _ = bootable(list(result.argv), tmp_path)

    async def ask(qmp):
        return await qmp.execute("query-pci"), await qmp.execute("query-memory-devices")

    try:
        pci, mem = ask_paused(argv, ask)
    except QemuRefused as e:
        pytest.fail(f"QEMU refused the argv: {str(e)[-500:]}")
    (dev,) = [d for d in result.domain.devices if d.kind_tag == "virtio-pmem"]
    slots = {d["slot"]: d.get("qdev_id") for bus in pci for d in bus["devices"]}
    assert slots[dev.address.slot] == "virtiopmem0"
    (m,) = [m for m in mem if m["type"] == "virtio-pmem"]
    assert m["data"]["id"] == "virtiopmem0" and m["data"]["size"] == 256 * 1024 * 1024
    assert m["data"]["memdev"] == "/objects/memvirtiopmem0"

"""The checks of the small device kinds run before emit, in their validate hooks (and
the memory slots in assign_memory_slots): compile and normalize refuse the same
domains with the same code at the element's line, and independent problems are all
reported in one run."""

from __future__ import annotations

import pytest

from compiler.api import compile_file, make_env
from compiler.devices.memory import MemoryDevice
from compiler.diagnostics import DomcError
from compiler.emit.xml import write_normalized
from compiler.parse import parse_file
from compiler.pipeline import normalize

from .helpers import line_of, write

Q35 = {"machine": "q35"}
ACPI = "  <features><acpi/></features>\n"
MAXMEM = "  <maxMemory slots='{}' unit='KiB'>4194304</maxMemory>\n"
CELL = "  <cpu><numa><cell id='0' cpus='0' memory='219136' unit='KiB'/></numa></cpu>\n"
NUMA = MAXMEM.format(4) + CELL
PASS = "<backend type='passthrough'/>"


def dimm(inner: str = "", node: int = 0) -> str:
    return (f"<memory model='dimm'><target><size unit='MiB'>128</size><node>{node}</node>"
            f"</target>{inner}</memory>")


def _errors(run) -> list[tuple[str, int]]:
    try:
        run()
    except DomcError as exc:
        return [(d.code, d.span.line) for d in exc.diagnostics]
    raise AssertionError("the domain was accepted")


def compile_errors(path: str) -> list[tuple[str, int]]:
    return _errors(lambda: compile_file(path, make_env()))


def normalize_errors(path: str) -> list[tuple[str, int]]:
    return _errors(lambda: normalize(parse_file(path)[0], make_env()))


# (id, devices, compile options, code, text on the offending element's line)
BAD = [
    ("tpm-spapr", f"<tpm model='tpm-spapr'>{PASS}</tpm>", {}, "unsupported-device", "<tpm"),
    ("tpm-crb-not-alone", f"<tpm model='tpm-tis'>{PASS}</tpm>\n<tpm model='tpm-crb'>{PASS}</tpm>",
     {}, "unsupported-device", "tpm-crb"),
    ("tpm-emulator-crb-1.2", "<tpm model='tpm-crb'><backend type='emulator' version='1.2'/>"
     "</tpm>", {}, "tpm-version", "<backend"),
    ("iommu-smmuv3", "<iommu model='smmuv3'/>", {**Q35, "extra": ACPI}, "unsupported-device",
     "<iommu"),
    ("iommu-i440fx", "<iommu model='intel'/>", {}, "iommu-machine", "<iommu"),
    ("iommu-no-acpi", "<iommu model='virtio'/>", Q35, "iommu-acpi", "<iommu"),
    ("iommu-bus-1", "<iommu model='virtio'>\n<address type='pci' bus='1' slot='0'/></iommu>",
     {**Q35, "extra": ACPI}, "address-type", "<iommu"),
    ("watchdog-diag288", "<watchdog model='diag288'/>", {}, "unsupported-device", "<watchdog"),
    ("watchdog-two", "<watchdog model='i6300esb'/>\n<watchdog model='ib700'/>", {},
     "watchdog-count", "ib700"),
    ("rng-egd-no-path", "<rng model='virtio'><backend model='egd' type='unix'>"
     "<source mode='connect'/></backend></rng>", {}, "chardev-source", "<rng"),
    ("rng-egd-nmdm", "<rng model='virtio'><backend model='egd' type='nmdm'/></rng>", {},
     "unsupported-chardev", "<rng"),
    ("panic-s390", "<panic model='s390'/>", {}, "unsupported-device", "<panic"),
    ("panic-iobase", "<panic model='isa'><address type='isa' iobase='0x10000'/></panic>", {},
     "number-range", "<panic"),
    ("vsock-no-cid", "<vsock model='virtio'><cid auto='no'/></vsock>", {}, "vsock-cid", "<vsock"),
    # one of each, as libvirt 9.0 takes them (found by tools/gendiff.py --only devices)
    ("vsock-two", "<vsock model='virtio'><cid address='3'/></vsock>\n<vsock model=\"virtio\">"
     "<cid address='4'/></vsock>", {}, "vsock-count", "<vsock model=\"virtio\""),
    ("memballoon-two", "<memballoon model='virtio'/>\n<memballoon model=\"none\"/>", {},
     "memballoon-count", "<memballoon model=\"none\""),
    ("panic-two-isa", "<panic model='isa'/>\n<panic model='hyperv'/>\n<panic model=\"isa\"/>",
     {}, "panic-count", "<panic model=\"isa\""),
    ("panic-pvpanic", "<panic model='pvpanic'/>", {}, "unsupported-device", "<panic"),
    ("video-bochs-secondary", "<video><model type='vga'/></video>\n"
     "<video><model type='bochs'/></video>", {}, "unsupported-device", "'bochs'"),
    ("video-none-and-another", "<video><model type='vga'/></video>\n"
     "<video><model type='none'/></video>", {}, "unsupported-device", "'none'"),
    ("video-xen", "<video><model type='xen'/></video>", {}, "unsupported-device", "<video"),
    ("video-vga-secondary", "<video><model type='virtio'/></video>\n"
     "<video><model type='vga'/></video>", {}, "unsupported-device", "'vga'"),
    ("redirdev-spiceport", "<redirdev bus='usb' type='spiceport'/>", {}, "unsupported-device",
     "<redirdev"),
    ("redirdev-no-path", "<redirdev bus='usb' type='unix'><source mode='connect'/></redirdev>",
     {}, "chardev-source", "<redirdev"),
    ("smartcard-no-path", "<smartcard mode='passthrough' type='file'/>", {}, "chardev-source",
     "<smartcard"),
    ("input-xen", "<input type='mouse' bus='xen'/>", {}, "unsupported-device", "<input"),
    ("input-passthrough-usb", "<input type='passthrough' bus='usb'/>", {}, "unsupported-device",
     "<input"),
    ("memballoon-xen", "<memballoon model='xen'/>", {}, "unsupported-device", "<memballoon"),
    ("graphics-rdp", "<graphics type='rdp'/>", {}, "unsupported-device", "<graphics"),
    ("egl-headless-sdl", "<graphics type='sdl'/>\n<graphics type='egl-headless'/>", {},
     "unsupported-graphics", "egl-headless"),
    ("egl-headless-twice", "<graphics type='egl-headless'/>\n<graphics type='egl-headless'/>",
     {}, "unsupported-graphics", "egl-headless"),
    ("memory-no-slots", dimm(), {"extra": CELL}, "memory-hotplug", "<memory model"),
    ("memory-no-numa", dimm(), {"extra": MAXMEM.format(4)}, "memory-hotplug", "<memory model"),
    ("memory-bad-node", dimm(node=3), {"extra": NUMA}, "memory-hotplug", "<memory model"),
    ("memory-pci-address", dimm("<address type='pci' slot='5'/>"), {"extra": NUMA},
     "address-type", "<memory model"),
    ("memory-slots-full", dimm() + "\n" + dimm("<address type='dimm' slot='0'/>"),
     {"extra": MAXMEM.format(1) + CELL}, "memory-slots", "<memory model='dimm'><target>"),
    ("memory-slot-nan", dimm("<address type='dimm' slot='one'/>"), {"extra": NUMA},
     "bad-number", "<memory model"),
    ("sound-no-model", "<sound/>", {}, "missing-attribute", "<sound"),
]


@pytest.mark.parametrize("devices,kw,code,needle", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_refused_before_emit(tmp_path, devices, kw, code, needle):
    path = write(tmp_path, devices, **kw)
    want = [(code, line_of(devices, needle, kw.get("extra", "")))]
    assert compile_errors(path) == want
    assert normalize_errors(path) == want


def test_three_independent_errors_in_one_run(tmp_path):
    devices = (f"<tpm model='tpm-spapr'>{PASS}</tpm>\n<watchdog model='diag288'/>\n"
               "<panic model='s390'/>")
    path = write(tmp_path, devices)
    want = [("unsupported-device", line_of(devices, needle))
            for needle in ("<tpm", "<watchdog", "<panic")]
    assert compile_errors(path) == want
    assert normalize_errors(path) == want


def test_watchdog_dump_warns_at_its_line(tmp_path):
    devices = "<watchdog model='i6300esb' action='dump'/>"
    warnings = compile_file(write(tmp_path, devices), make_env()).warnings
    line = line_of(devices, "<watchdog")
    assert [w for w in warnings if "[watchdog-dump]" in w] == [
        f"{tmp_path / 'guest.xml'}:{line}: warning[watchdog-dump]: watchdog action 'dump': "
        "libvirt pauses the guest and writes the dump itself; without a daemon the guest is "
        "only paused"]


def test_a_lone_crb_tpm_may_carry_a_user_alias(tmp_path):
    devices = f"<tpm model='tpm-crb'>{PASS}<alias name='ua-t'/></tpm>"
    argv = compile_file(write(tmp_path, devices), make_env()).argv
    assert "passthrough,id=tpm-ua-t,path=/dev/tpm0" in argv


def test_memory_slots_are_stored_not_written(tmp_path):
    devices = "\n".join([dimm(), dimm("<address type='dimm' slot='0'/>"), dimm(),
                         "<memory model='virtio-mem'><target><size unit='GiB'>1</size>"
                         "<node>0</node><block unit='KiB'>2048</block></target></memory>"])
    path = write(tmp_path, devices, extra=NUMA)
    dom, root = parse_file(path)
    dom = normalize(dom, make_env())
    mems = dom.devices_of(MemoryDevice)
    assert [(m.alias, m.slot) for m in mems] == [("dimm1", 1), ("dimm0", 0), ("dimm2", 2),
                                                  ("virtiomem0", None)]
    # the XML shows the slot only where the user wrote it
    assert write_normalized(root, dom).decode().count('type="dimm"') == 1

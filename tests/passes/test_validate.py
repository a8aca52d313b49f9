"""validate_domain and the parse-time checks it relies on: each rule, one row."""

from __future__ import annotations

import pytest

from compiler.diagnostics import DomcError
from compiler.parse import parse_bytes
from compiler.api import make_env
from compiler.pipeline import normalize

from ._domains import disk, domain_xml, normalized


def _errors(devices: str = "", machine: str = "pc", features: str = "") -> set[str]:
    xml = domain_xml(devices, machine)
    if features:
        xml = xml.replace(b"<devices>", f"<features>{features}</features>\n<devices>".encode())
    try:
        dom, _ = parse_bytes(xml, "t.xml")
        normalize(dom, make_env())
    except DomcError as exc:
        assert all(d.span.file == "t.xml" and d.span.line > 0 for d in exc.diagnostics)
        return {d.code for d in exc.diagnostics}
    return set()


@pytest.mark.parametrize("devices, machine, features, code", [
    (disk("vda", "virtio").replace("<source", "<driver name='qemu' type='iso'/><source"), "pc",
     "", "disk-format"),
    (disk("vda", "virtio").replace("<source", "<driver name='qemu' type='cow'/><source"), "pc",
     "", "disk-format"),
    (disk("vda", "virtio").replace("</disk>", "<vendor>X</vendor></disk>"), "pc", "", "disk-vpd"),
    (disk("sda", "scsi").replace("</disk>", "<vendor>TOOLONGVENDOR</vendor></disk>"), "pc", "",
     "disk-vpd"),
    ("", "pc", "<smm state='on'><tseg unit='MiB'>48</tseg></smm>", "unsupported-feature"),
    ("", "q35", "<smm state='on'><tseg unit='KiB'>12345</tseg></smm>", "unsupported-feature"),
    ("<graphics type='sdl'/><graphics type='egl-headless'/>", "pc", "", "unsupported-graphics"),
    ("<graphics type='spice'><gl enable='yes'/></graphics><graphics type='egl-headless'/>", "pc",
     "", "unsupported-graphics"),
    ("<input type='keyboard' bus='virtio' model='virtio-non-transitional'/>", "pc", "",
     "unsupported-device"),
    (disk("vdb1", "virtio"), "pc", "", "disk-target"),
])
def test_rule_rejects(devices, machine, features, code):
    assert code in _errors(devices, machine, features)


@pytest.mark.parametrize("devices, machine, features", [
    (disk("vda", "virtio").replace("<source", "<driver name='qemu' type='qcow2'/><source"),
     "pc", ""),
    (disk("sda", "scsi").replace("</disk>", "<vendor>SEAGATE</vendor><product>ST3</product>"
                                 "</disk>"), "pc", ""),
    ("", "q35", "<smm state='on'><tseg unit='MiB'>48</tseg></smm>"),
    ("<graphics type='vnc'/><graphics type='egl-headless'/>", "pc", ""),
])
def test_rule_accepts(devices, machine, features):
    assert _errors(devices, machine, features) == set()


def _net_disk(proto: str, secret: str) -> str:
    return (f"<disk type='network' device='disk'><source protocol='{proto}' name='p/i'>"
            f"<host name='h'/><auth username='u'>{secret}</auth></source>"
            "<target dev='vda' bus='virtio'/></disk>")


@pytest.mark.parametrize("proto, secret, code", [
    ("iscsi", "<secret usage='x'/>", "disk-auth"),                 # no type
    ("iscsi", "<secret type='ceph' usage='x'/>", "disk-auth"),     # wrong type
    ("rbd", "<secret type='iscsi' usage='x'/>", "disk-auth"),
    ("rbd", "<secret type='ceph'/>", "disk-auth"),                 # no usage or uuid
    ("rbd", "<secret type='ceph' usage='x'/>", None),
    ("https", "<secret type='iscsi' usage='x'/>", None),
])
def test_disk_auth(proto, secret, code):
    assert _errors(_net_disk(proto, secret)) == ({code} if code else set())


def test_scsi_vpd_reaches_the_device():
    dom = normalized(disk("sda", "scsi").replace(
        "</disk>", "<vendor>SEAGATE</vendor><product>ST3146707LC</product></disk>"))
    from compiler.emit.argv import emit_argv

    argv = emit_argv(dom)
    dev = next(a for a in argv if '"scsi-hd"' in a)
    assert '"vendor":"SEAGATE"' in dev and '"product":"ST3146707LC"' in dev


@pytest.mark.parametrize("machine, model, refused", [
    ("pc", None, True),                          # conventional bus: transitional device
    ("pc", "virtio-non-transitional", False),
    ("q35", None, False),                        # on a PCIe root port: modern
])
def test_virtio_iommu_needs_a_modern_device(machine, model, refused):
    devices = (f"<rng model='{model or 'virtio'}'><backend model='random'>/dev/urandom"
               "</backend><driver iommu='on'/></rng>")
    codes = _errors(devices, machine)
    assert ("virtio-iommu-transitional" in codes) == refused


@pytest.mark.parametrize("devices", [
    "<input type='tablet' bus='virtio'><driver iommu='on'/></input>",
    "<video><driver iommu='on'/><model type='virtio'/></video>",
    "<video><model type='vga' primary='yes'/></video><video><driver iommu='on'/>"
    "<model type='virtio'/></video>",
    "<vsock model='virtio'><cid auto='no' address='3'/><driver iommu='on'/></vsock>",
])
def test_virtio_iommu_on_modern_only_types(devices):
    """QEMU's GPU, input and vsock devices are modern-only on any bus: no refusal on pc."""
    assert "virtio-iommu-transitional" not in _errors(devices, "pc")

"""The normalized XML: the user's document, patched with what the compile used."""

from __future__ import annotations

from compiler.api import make_env
from compiler.emit.xml import write_normalized
from compiler.parse import parse_bytes
from compiler.pipeline import normalize

from ._domains import domain_xml


def _normalized(devices: str) -> str:
    dom, root = parse_bytes(domain_xml(devices), "t.xml")
    return write_normalized(root, normalize(dom, make_env())).decode()


def test_controller_gets_its_index_and_model():
    out = _normalized("<controller type='scsi'/>")
    assert '<controller type="scsi" index="0" model="lsilogic">' in out


def test_generated_mac_and_default_model_are_written():
    out = _normalized("<interface type='user'/>")
    assert '<mac address="52:54:00:' in out and '<model type="rtl8139"/>' in out


def test_comments_and_unknown_attributes_stay_where_they_were():
    out = _normalized("<!-- keep me --><interface type='user' x-note='mine'/>")
    assert "<!-- keep me --><interface" in out
    assert 'x-note="mine"' in out


def test_inline_children_stay_inline():
    out = _normalized("<interface type='user'><model type='virtio'/></interface>")
    line = next(ln for ln in out.splitlines() if "<interface" in ln)
    assert "<mac " in line and "</interface>" in line


def test_writing_twice_changes_nothing(tmp_path):
    once = _normalized("<disk type='file' device='disk'><source file='/a'/>"
                       "<target dev='sdc' bus='scsi'/></disk><interface type='user'/>")
    p = tmp_path / "n.xml"
    p.write_text(once)
    dom, root = parse_bytes(p.read_bytes(), str(p))
    assert write_normalized(root, normalize(dom, make_env())).decode() == once

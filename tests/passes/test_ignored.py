"""Nothing is dropped without a word: parts of a device no reader used are warnings."""

from __future__ import annotations

from compiler.api import make_env
from compiler.parse import parse_bytes
from compiler.pipeline import normalize

from ._domains import disk, domain_xml


def _warnings(devices: str) -> list[str]:
    dom, _ = parse_bytes(domain_xml(devices), "t.xml")
    env = make_env()
    normalize(dom, env)
    return [d.render() for d in env.diag.warnings if d.code == "ignored"]


def test_unknown_child_and_attribute_are_reported_with_their_line():
    devices = disk("vda", "virtio").replace(
        "<target", "<glitter>\n<total_bytes_sec>1</total_bytes_sec></glitter><target sparkle='1'")
    assert _warnings(devices) == [
        "t.xml:6: warning[ignored]: element <glitter> of <disk> is not used by domc; the compiled "
        "guest does not have it",
        "t.xml:7: warning[ignored]: attribute 'sparkle' of <target> of <disk> is not used by "
        "domc; the compiled guest does not have it",
    ]


def test_fully_understood_devices_are_quiet():
    assert _warnings(disk("vda", "virtio") + "<interface type='user'><mac address="
                     "'52:54:00:00:00:01'/><model type='e1000'/></interface>") == []


def test_unused_parts_outside_devices_are_reported_too():
    from compiler.parse import parse_bytes

    data = (b"<domain type='qemu' id='7'>\n<name>t</name>\n<title>people only</title>\n"
            b"<memory unit='MiB'>64</memory>\n<os><type arch='x86_64'>hvm</type></os>\n"
            b"<sysinfo type='smbios'><bios><entry name='vendor'>x</entry></bios></sysinfo>\n"
            b"<perf><event name='cmt' enabled='yes'/></perf>\n"
            b"<cpu><numa><cell id='0' cpus='0' memory='64' unit='MiB' bogus='1'/></numa></cpu>\n"
            b"<metadata><app:x xmlns:app='urn:x'/></metadata>\n<devices/>\n</domain>\n")
    dom, _ = parse_bytes(data, "t.xml")
    got = [(d.span.line, d.message.split(" is not used")[0]) for d in dom.ignored]
    assert got == [(7, "element <perf>"), (8, "attribute 'bogus' of <cell>")]

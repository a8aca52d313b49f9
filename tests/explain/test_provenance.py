"""Every item of every command line domc compiles has a provenance.

For every corpus domain domc compiles and every example: ``domc explain`` gives the
same argv as ``domc compile``; every option and every property inside its value
(each key of a JSON value, each part of a QemuOpts list) has a source that is not
"unknown"; a source read from the XML names an element that exists on the line it
says; a rule names the pass or emitter.  Then a table of single facts, each of which
fails when the explanation is wrong.
"""

from __future__ import annotations

import json

import pytest

from compiler.api import compile_file, make_env
from compiler.diagnostics import DomcError
from compiler.env import Env
from compiler.explain.core import explain_file
from compiler.explain.model import Origin
from compiler.explain.base import split_opts
from compiler.explain.render import became, element_at_line, match_arg

from ..conftest import CORPUS, EXAMPLES, ROOT, SEED_HOST, example_files

HOST_ROOT = str(ROOT / "fixtures" / "topologies" / "vm-1node-2cpu")


def _corpus_cases():
    d = CORPUS / "qemuxml2argv"
    return sorted(p for p in d.glob("*.xml")) if d.is_dir() else []


def _check_complete(ex) -> list[str]:
    """Every way an explanation can fall short, as messages (empty: complete)."""
    bad = []
    seen = set()
    for o in ex.options:
        where = f"argv[{o.index}] {' '.join(o.words)[:80]}"
        seen.update(range(o.index, o.index + len(o.words)))
        # the properties cover the value exactly
        if len(o.words) == 2 and o.props:
            value = o.words[1]
            if value.startswith("{"):
                if [p.name for p in o.props] != list(json.loads(value)):
                    bad.append(f"{where}: properties {[p.name for p in o.props]}")
            elif o.words[0] == "-cpu":
                if ",".join(p.text for p in o.props) != value:
                    bad.append(f"{where}: the -cpu flags do not add up")
            elif [p.text for p in o.props] != split_opts(value):
                bad.append(f"{where}: properties {[p.text for p in o.props]}")
        for s in o.sources:
            if s.origin is Origin.UNKNOWN:
                bad.append(f"{where}: unknown: {s.reason}")
            elif s.origin is Origin.XML:
                els = ex.locator.root.getroottree().xpath(s.path) if s.path else []
                if len(els) != 1 or els[0].sourceline != s.line:
                    bad.append(f"{where}: {s.path} is not the element on line {s.line}")
                elif s.attr and els[0].get(s.attr) is None:
                    bad.append(f"{where}: <{els[0].tag}> has no attribute {s.attr}")
            elif s.origin is Origin.RULE and not s.rule:
                bad.append(f"{where}: a rule without a name")
            if not s.reason:
                bad.append(f"{where}: no reason")
    if seen != set(range(len(ex.argv))):
        bad.append(f"argv words without an option: {sorted(set(range(len(ex.argv))) - seen)}")
    return bad


@pytest.mark.parametrize("xml", _corpus_cases(), ids=lambda p: p.stem)
def test_every_corpus_argv_item_has_a_provenance(xml, corpus):
    try:
        compiled = compile_file(str(xml), make_env(host_root=HOST_ROOT))
    except DomcError:
        pytest.skip("domc refuses this domain (its errors are tested elsewhere)")
    ex = explain_file(str(xml), make_env(host_root=HOST_ROOT))
    assert ex.argv == compiled.argv
    assert _check_complete(ex) == []


@pytest.mark.parametrize("xml", example_files(), ids=lambda p: p.stem)
def test_every_example_argv_item_has_a_provenance(xml):
    env = make_env(host_root=str(SEED_HOST))
    ex = explain_file(str(xml), env)
    assert ex.argv == compile_file(str(xml), make_env(host_root=str(SEED_HOST))).argv
    assert _check_complete(ex) == []


def test_a_compile_records_nothing():
    env = make_env()
    assert env.trace is None and Env(profile=None).trace is None
    compile_file(str(EXAMPLES / "laptop.xml"), env)
    assert env.trace is None


# --------------------------------------------------------------------------- facts


def _prop(ex, option_re: str, name: str):
    found = [p for o, props in match_arg(ex, option_re) for p in o.props if p.name == name]
    assert found, f"no property {name} in an option matching {option_re}"
    return found[0].source


LAPTOP = str(EXAMPLES / "laptop.xml")


def test_a_filled_slot_says_which_slots_came_before():
    ex = explain_file(LAPTOP, make_env())
    src = _prop(ex, '"id":"scsi0"', "addr")
    assert src.origin is Origin.RULE and src.rule == "assign_pci_addresses"
    assert src.reason == ("pci.0 slot 0x3: the first free slot on pci.0, after 0x0 (the host "
                          "bridge), 0x1 (the PIIX3 chipset functions + 1 more) and 0x2 "
                          "(video vga (line 40))")
    # filled for the disk that made libvirt add the controller
    assert src.line == 28


def test_a_written_address_points_at_its_element():
    ex = explain_file(LAPTOP, make_env())
    src = _prop(ex, '"driver":"e1000"', "addr")
    assert (src.origin, src.line, src.path, src.attr) == \
        (Origin.XML, 37, "/domain/devices/interface/address", "slot")


def test_an_implicit_controller_names_the_disk_that_needs_it():
    ex = explain_file(LAPTOP, make_env())
    (o, _), = match_arg(ex, '"id":"scsi3"')
    assert o.source.rule == "add_implicit_devices" and o.source.line == 28
    assert "for disk 'sdz': from the target name sdz: scsi disk number 25 is controller 3" \
        in o.source.reason


def test_values_read_from_attributes_and_text():
    ex = explain_file(LAPTOP, make_env())
    src = _prop(ex, "laptop-data.img", "filename")
    assert (src.line, src.path, src.attr) == (30, "/domain/devices/disk[2]/source", "file")
    src = _prop(ex, "scsi-hd", "serial")
    assert (src.line, src.path, src.attr) == (32, "/domain/devices/disk[2]/serial", None)
    src = _prop(ex, "-machine", "")
    assert (src.line, src.attr, src.rule) == (10, "machine", "canonicalize_machine")
    assert "machine='pc' is an alias" in src.reason


def test_boot_index_from_os_boot():
    ex = explain_file(LAPTOP, make_env())
    src = _prop(ex, "virtio-blk-pci", "bootindex")
    assert (src.rule, src.line) == ("apply_boot_order", 11)
    assert "the first hard disk gets boot index 1" in src.reason


def test_hpet_timer(corpus):
    xml = corpus / "qemuxml2argv" / "x86_64-pc-headless.xml"
    ex = explain_file(str(xml), make_env())
    (o, _), = match_arg(ex, "^-no-hpet$")
    line = next(i for i, t in enumerate(xml.read_text().splitlines(), 1)
                if "name='hpet'" in t)
    assert (o.source.origin, o.source.line, o.source.attr) == (Origin.XML, line, "present")


def test_host_model_features_come_from_the_host(corpus):
    xml = corpus / "qemuxml2argv" / "cpu-host-model.xml"
    host = str(ROOT / "fixtures" / "hosts" / "server.xml")
    ex = explain_file(str(xml), make_env(host=host))
    src = _prop(ex, r"^-cpu", "vmx")
    assert src.rule == "resolve_cpu"
    assert src.reason == (f"host-model: a feature of the host CPU (--host {host}) beyond "
                          "Westmere")


def test_user_alias(corpus):
    ex = explain_file(str(corpus / "qemuxml2argv" / "user-aliases-usb.xml"), make_env())
    src = _prop(ex, '"id":"ua-myUSB1"', "id")
    assert src.origin is Origin.XML and src.attr == "name" and src.path.endswith("/alias")


def test_q35_root_ports_say_why_they_were_added():
    ex = explain_file(str(EXAMPLES / "smbios.xml"), make_env())
    reasons = [o.source.reason for o, _ in match_arg(ex, "pcie-root-port")]
    assert len(reasons) == 5
    assert sum("one empty pcie-root-port kept free for hotplug" in r for r in reasons) == 1
    assert sum("libvirt's dry run of the PCI addresses added this pcie-root-port" in r
               for r in reasons) == 4
    src = _prop(ex, "virtio-balloon-pci", "bus")
    assert "the first free slot for a PCI Express device" in src.reason
    assert "bus 0 (pcie-root) takes no automatically placed device" in src.reason


def test_what_an_element_became():
    ex = explain_file(LAPTOP, make_env())
    disk = element_at_line(ex, 28)
    assert disk.tag == "disk"
    got = became(ex, [disk])
    ids = [json.loads(o.words[1]).get("id") or json.loads(o.words[1]).get("node-name")
           for o, _ in got]
    # the four controllers it implied, its two block nodes and its device
    assert ids == ["scsi0", "scsi1", "scsi2", "scsi3", "libvirt-1-storage",
                   "libvirt-1-format", "scsi3-0-4"]
    # a line inside the disk selects the element that starts there
    assert [o.words[0] for o, _ in became(ex, [element_at_line(ex, 30)])] == ["-blockdev"]

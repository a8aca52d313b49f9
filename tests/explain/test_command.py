"""``domc explain`` on the command line: text and JSON, --arg, the reverse question
(--element, --line), the tree and the pictures, and its errors."""

from __future__ import annotations

import json

from lxml import etree

from compiler.api import compile_file, make_env

from ..conftest import EXAMPLES, SEED_HOST

LAPTOP = EXAMPLES / "laptop.xml"


def test_text_lists_every_option_with_its_source(domc, snapshot):
    rc, out, err = domc("explain", LAPTOP)
    assert rc == 0 and "error[" not in err, err  # warnings (e.g. machine-alias) may be there
    argv = compile_file(str(LAPTOP), make_env()).argv
    heads = [line for line in out.splitlines() if not line.startswith(" ")]
    # one unindented line per option, in argv order, each followed by its source
    assert " ".join(heads) == " ".join(argv)
    assert out.count("\n    <- ") == len(heads)
    assert out.replace(str(LAPTOP), "<laptop>") == snapshot


def test_json_for_tools(domc):
    rc, out, _ = domc("explain", LAPTOP, "--format", "json")
    data = json.loads(out)
    assert rc == 0 and data["argv"] == list(compile_file(str(LAPTOP), make_env()).argv)
    net = next(o for o in data["options"] if o.get("device", "").startswith("interface")
               and o["option"] == "-device")
    addr = next(p for p in net["props"] if p["name"] == "addr")
    assert addr["source"] == {"from": "xml", "reason": "the PCI address as written", "line": 37,
                              "element": "/domain/devices/interface/address", "attr": "slot"}
    assert {o["source"]["from"] for o in data["options"]} <= {"xml", "rule", "fixed"}


def test_arg_pattern_keeps_the_matching_properties(domc):
    rc, out, _ = domc("explain", LAPTOP, "--arg", '"addr"')
    lines = out.splitlines()
    assert rc == 0 and all('"driver"' not in line for line in lines if line.startswith("    \""))
    assert sum(line.startswith('    "addr"') for line in lines) == 9  # every PCI device


def test_line_answers_what_an_element_became(domc):
    rc, out, _ = domc("explain", LAPTOP, "--line", "36")  # <model type='e1000'/>
    assert rc == 0
    assert out.splitlines()[0] == "line 36 <model type='e1000'> became:"
    assert '    "driver":"e1000"' in out and '    "mac"' not in out


def test_element_xpath(domc):
    rc, out, _ = domc("explain", LAPTOP, "--element", "devices/disk[1]", "--format", "json")
    data = json.loads(out)
    assert rc == 0 and data["selected"] == [{"element": "/domain/devices/disk[1]", "line": 23}]
    assert [o["option"] for o in data["options"]] == ["-blockdev", "-blockdev", "-device"]


def test_element_that_became_nothing(domc):
    rc, out, _ = domc("explain", LAPTOP, "--element", "on_crash")
    assert rc == 0 and out == "line 20 <on_crash>destroy</on_crash>: nothing in the command " \
        "line comes from it\n"


def test_bad_xpath_and_bad_pattern_are_one_line_errors(domc):
    for args, code in ((("--element", "devices/["), "usage"),
                       (("--element", "nosuch"), "usage"),
                       (("--arg", "("), "usage")):
        rc, out, err = domc("explain", LAPTOP, *args)
        assert (rc, out) == (2, "")
        err = "".join(line for line in err.splitlines(True) if "warning[" not in line)
        assert err.startswith(f"{LAPTOP}: error[{code}]: ") and err.count("\n") == 1


def test_a_domain_domc_refuses_is_refused_by_explain_too(domc):
    bad = EXAMPLES / "invalid" / "pci-conflict.xml"
    rc, _, err = domc("explain", bad)
    rc2, _, err2 = domc("compile", bad)
    assert rc == rc2 == 2 and err == err2


def test_tree_svg_html(domc):
    rc, tree, _ = domc("explain", LAPTOP, "--tree")
    assert rc == 0 and tree.startswith("-[0000:00]-+-00.0  i440FX host bridge\n")
    rc, svg, _ = domc("explain", LAPTOP, "--svg", "--host-root", SEED_HOST)
    root = etree.fromstring(svg.encode())
    assert rc == 0 and root.tag == "{http://www.w3.org/2000/svg}svg"
    rc, html, _ = domc("explain", LAPTOP, "--html", "--host-root", SEED_HOST)
    assert rc == 0 and html.startswith("<!DOCTYPE html>")
    assert svg.strip() in html and "<pre>-[0000:00]-+-00.0  i440FX host bridge" in html


def test_explain_never_shows_a_password(domc, tmp_path):
    """A VNC password is neither on the command line nor in what explain says about
    the element, even when it looks like a value of the argv."""
    xml = (EXAMPLES / "laptop.xml").read_text().replace(
        "<graphics type='vnc' port='-1'", "<graphics type='vnc' passwd='99' port='-1'")
    path = tmp_path / "pw.xml"
    path.write_text(xml)
    line = next(i for i, t in enumerate(xml.splitlines(), 1) if "passwd" in t)
    for args in ((), ("--line", line), ("--format", "json"), ("--html",)):
        rc, out, _ = domc("explain", path, *args)
        assert rc == 0 and "passwd" not in out, args

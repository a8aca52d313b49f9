"""One diagnostics vocabulary: every command that takes a file or a directory reports
the same fault with the same code, in the same format, on one line, exit 2.

The table lists each command line with ``{}`` where the path under test goes; each
is run (in-process, through ``cli.main``) with a missing path, a path of the wrong
kind, and a file that does not parse.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from compiler.cli import main
from compiler.diagnostics import DomcError
from compiler.inputs import write_output_file

from .conftest import ROOT

SERVER = str(ROOT / "fixtures" / "hosts" / "server.xml")
LAPTOP = str(ROOT / "fixtures" / "hosts" / "laptop.xml")
DOMAIN = str(ROOT / "examples" / "minimal.xml")
SEED = str(ROOT / "fixtures" / "topologies" / "seed-2node-8cpu")

# command lines whose {} is a file that is read: (argv, what the file should hold)
FILE_OPTIONS = [
    (("compile", "{}"), "xml"),
    (("normalize", "{}"), "xml"),
    (("validate", "{}"), "xml"),
    (("validate", DOMAIN, "{}"), "xml"),

    (("run", "--check", "{}"), "xml"),
    (("compile", "--host", "{}", DOMAIN), "xml"),
    (("normalize", "--host", "{}", DOMAIN), "xml"),
    (("validate", "--host", "{}", DOMAIN), "xml"),
    (("explain", "{}"), "xml"),
    (("explain", "--host", "{}", DOMAIN), "xml"),
    (("compile", "--profile", "{}", DOMAIN), "json"),
    (("cpu-compare", "--host", SERVER, "{}"), "xml"),
    (("cpu-compare", "--host", "{}", LAPTOP), "xml"),
    (("cpu-baseline", "{}"), "xml"),
    (("cpu-baseline", SERVER, "{}"), "xml"),
    (("host-cpu", "--cpuid", "{}"), "xml"),
    (("capabilities", "--host", "{}"), "xml"),
    (("capabilities", "--host", SERVER, "--profile", "{}"), "json"),
    (("compile", "--lock", "{}", DOMAIN), "json"),
    (("normalize", "--lock", "{}", DOMAIN), "json"),
    (("lock", "{}"), "xml"),
    (("lock", "--lock", "{}", DOMAIN), "json"),
    (("abi-diff", "{}", DOMAIN), "xml"),
    (("abi-diff", DOMAIN, "{}"), "json"),
    (("abi-diff", "--lock", "{}", DOMAIN, DOMAIN), "json"),
    (("matrix", "{}"), "xml"),
    (("matrix", "--lock", "{}", DOMAIN), "json"),
]

# command lines whose {} is a directory
DIR_OPTIONS = [
    ("compile", "--host-root", "{}", DOMAIN),
    ("normalize", "--host-root", "{}", DOMAIN),
    ("validate", "--host-root", "{}", DOMAIN),
    ("snapshot", "--host-root", "{}", DOMAIN),
    ("explain", "--svg", "--host-root", "{}", DOMAIN),
    ("nodeinfo", "--host-root", "{}"),
    ("freecell", "--host-root", "{}"),
    ("capabilities", "--host", SERVER, "--host-root", "{}"),
    ("probe", "--emulator", sys.executable, "--firmware-dir", "{}"),
]

BROKEN = {
    # an unclosed <model>: libxml2 notices at the </cpu> of line 3, column 6
    "xml": (b"<cpu>\n  <model>Penryn\n</cpu>\n", "xml-syntax", "3:6",
            "Opening and ending tag mismatch: model line 2 and cpu"),
    "json": (b'{\n  "machines": [\n}\n', "json-syntax", "3:1", "not JSON: Expecting value"),
}

LINE = re.compile(r"^(?P<where>.+?): error\[(?P<code>[a-z0-9-]+)\]: (?P<msg>\S.*)$")


def _run(argv, path, capsys) -> tuple[str, str, str]:
    """(location, code, message) of the one diagnostic line; asserts exit 2."""
    args = [str(path) if a == "{}" else a for a in argv]
    rc = main(args)
    out, err = capsys.readouterr()
    assert rc == 2, (args, rc, err)
    assert out == "" and "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    m = LINE.match(lines[0])
    assert m, lines[0]
    return m["where"], m["code"], m["msg"]


def _ids(table):
    rows = (row[0] if isinstance(row[0], tuple) else row for row in table)
    return [" ".join(a.rsplit("/", 1)[-1] for a in argv) for argv in rows]


@pytest.mark.parametrize("argv,kind", FILE_OPTIONS, ids=_ids(FILE_OPTIONS))
def test_missing_file(argv, kind, tmp_path, capsys):
    path = tmp_path / "nope.xml"
    assert _run(argv, path, capsys) == (str(path), "io", "cannot read: No such file or directory")


# cpu-baseline reads a directory as the recorded hosts in it: an empty one has none
TAKES_DIRECTORIES = {"cpu-baseline": ("cpu-missing", "no recorded hosts: the directory holds no files")}
# inputs that may be directories of domains: an empty one is the fault
TAKE_DIRECTORIES = {("compile", "{}"), ("validate", "{}"), ("validate", DOMAIN, "{}")}


@pytest.mark.parametrize("argv,kind", FILE_OPTIONS, ids=_ids(FILE_OPTIONS))
def test_directory_instead_of_a_file(argv, kind, tmp_path, capsys):
    code, message = TAKES_DIRECTORIES.get(argv[0], ("io", "cannot read: Is a directory"))
    if argv in TAKE_DIRECTORIES:
        code, message = "io", "no *.xml files in this directory"
    assert _run(argv, tmp_path, capsys) == (str(tmp_path), code, message)


@pytest.mark.parametrize("argv,kind", FILE_OPTIONS, ids=_ids(FILE_OPTIONS))
def test_file_that_does_not_parse(argv, kind, tmp_path, capsys):
    data, code, where, message = BROKEN[kind]
    path = tmp_path / f"broken.{kind}"
    path.write_bytes(data)
    # the place is in front, once; lxml's own "(line N, column M)" is not repeated
    assert _run(argv, path, capsys) == (f"{path}:{where}", code, message)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
@pytest.mark.parametrize("argv,kind", FILE_OPTIONS, ids=_ids(FILE_OPTIONS))
def test_unreadable_file(argv, kind, tmp_path, capsys):
    path = tmp_path / "secret.xml"
    path.write_bytes(BROKEN[kind][0])
    path.chmod(0)
    assert _run(argv, path, capsys) == (str(path), "io", "cannot read: Permission denied")


@pytest.mark.parametrize("argv", DIR_OPTIONS, ids=_ids(DIR_OPTIONS))
def test_missing_directory(argv, tmp_path, capsys):
    path = tmp_path / "nope"
    assert _run(argv, path, capsys) == (str(path), "io",
                                        "cannot read directory: No such file or directory")


@pytest.mark.parametrize("argv", DIR_OPTIONS, ids=_ids(DIR_OPTIONS))
def test_file_instead_of_a_directory(argv, tmp_path, capsys):
    path = tmp_path / "plain"
    path.write_text("x\n")
    assert _run(argv, path, capsys) == (str(path), "io", "cannot read directory: Not a directory")


def test_host_root_without_its_files(tmp_path, capsys):
    """A directory that is not a captured host tree: the first file it lacks, as io."""
    where, code, msg = _run(("nodeinfo", "--host-root", "{}"), tmp_path, capsys)
    assert (where, code, msg) == (str(tmp_path / "sys/devices/system/cpu/online"), "io",
                                  "cannot read: No such file or directory")


def test_host_root_bad_number(tmp_path, capsys):
    """A host file that should hold a number: bad-number at FILE:1, as in a domain."""
    (tmp_path / "sys/devices/system/cpu/cpu0/topology").mkdir(parents=True)
    (tmp_path / "proc").mkdir()
    (tmp_path / "sys/devices/system/cpu/online").write_text("0\n")
    (tmp_path / "proc/meminfo").write_text("MemTotal: 1024 kB\nMemFree: 512 kB\n")
    pkg = tmp_path / "sys/devices/system/cpu/cpu0/topology/physical_package_id"
    pkg.write_text("zero\n")
    where, code, _ = _run(("nodeinfo", "--host-root", "{}"), tmp_path, capsys)
    assert (where, code) == (f"{pkg}:1", "bad-number")


@pytest.mark.parametrize("body, code, line", [
    ("<cpu>\n  <model>Penryn</model>\n  <topology sockets='two'/>\n</cpu>", "bad-number", 3),
    ("<cpu>\n  <model>Penryn</model>\n  <topology sockets='0'/>\n</cpu>", "number-range", 3),
    ("<cpu match='sloppy'>\n  <model>Penryn</model>\n</cpu>", "bad-value", 1),
    ("<cpu>\n  <model>Penryn</model>\n  <feature policy='require'/>\n</cpu>",
     "missing-attribute", 3),
])
def test_cpu_attribute_faults_read_as_in_a_domain(body, code, line, tmp_path, capsys):
    """The same <cpu> fault gives the same code from cpu-compare (the CPU reader) and
    from compile (the domain reader)."""
    cpu = tmp_path / "cpu.xml"
    cpu.write_text(body)
    assert _run(("cpu-compare", "--host", SERVER, "{}"), cpu, capsys)[:2] == (f"{cpu}:{line}", code)
    dom = tmp_path / "dom.xml"
    dom.write_text("<domain type='qemu'><name>g</name><memory>65536</memory>\n" + body + "\n</domain>")
    where, got, _ = _run(("compile", "--host", SERVER, "{}"), dom, capsys)
    assert (where.split(":")[1], got) == (str(line + 1), code)


@pytest.mark.parametrize("make, reason", [
    (lambda p: None, "No such file or directory"),
    (lambda p: p.mkdir(), "Is a directory"),
    (lambda p: p.write_text("#!/bin/sh\n"), "Permission denied"),  # not executable
])
def test_emulator_that_cannot_run(make, reason, tmp_path, capsys):
    exe = tmp_path / "qemu"
    make(exe)
    assert _run(("probe", "--emulator", "{}"), exe, capsys) == (str(exe), "io",
                                                                 f"cannot execute: {reason}")


def test_unwritable_output(tmp_path):
    """probe -o: the write side of the same vocabulary (io at the output path)."""
    target = tmp_path / "no" / "profile.json"
    with pytest.raises(DomcError) as exc:
        write_output_file(str(target), "{}")
    (d,) = exc.value.diagnostics
    assert d.render() == f"{target}: error[io]: cannot write: No such file or directory"


def test_the_same_through_a_real_process(tmp_path):
    """The process boundary adds nothing: one line, exit 2, no traceback."""
    path = tmp_path / "nope.xml"
    for argv in (("cpu-compare", "--host", SERVER, str(path)), ("compile", str(path))):
        proc = subprocess.run([sys.executable, "-m", "compiler", *argv], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert (proc.returncode, proc.stdout) == (2, "")
        assert proc.stderr == f"{path}: error[io]: cannot read: No such file or directory\n"

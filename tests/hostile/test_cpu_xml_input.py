"""The hostile documents of test_xml_input.py, given to the commands that read CPU
documents (``cpu-compare``, ``cpu-baseline``, ``cpu-matrix``, ``migrate-check`` (its
domain, ``--from`` and ``--to``), ``compile --host``, ``capabilities --host``,
``host-cpu --cpuid``): each is refused with the code and line a hostile
domain gets: CPU documents are read by :mod:`compiler.xmllight` (expat), domains by
:mod:`compiler.xmldoc` (lxml), with the same refusals.

The whole table runs in-process (``cli.main``); the cases that name a file run again
as a subprocess against a FIFO, which would block the reader if it were opened.
"""

from __future__ import annotations


import pytest

from compiler.cli import main

from .conftest import DIAG_RE, ROOT, assert_clean_error, connection_recorder, run_domc
from .test_xml_input import REFUSED, trap_file  # noqa: F401  (a fixture)


@pytest.fixture(scope="module")
def shared_listener():
    """test_xml_input's listener, one for the module (each takes up to 0.2 s to stop):
    a connection fails the test that made it and every later one."""
    with connection_recorder() as recorder:
        yield recorder


SERVER = str(ROOT / "fixtures" / "hosts" / "server.xml")
DOMAIN = str(ROOT / "examples" / "minimal.xml")

COMMANDS = {
    "cpu-compare": ("cpu-compare", "--host", SERVER, "{}"),
    "cpu-compare-host": ("cpu-compare", "--host", "{}", SERVER),
    "cpu-baseline": ("cpu-baseline", SERVER, "{}"),
    "compile-host": ("compile", "--host", "{}", DOMAIN),
    "capabilities-host": ("capabilities", "--host", "{}"),
    "host-cpu-cpuid": ("host-cpu", "--cpuid", "{}"),
    "cpu-matrix": ("cpu-matrix", SERVER, "{}"),
    "migrate-check-to": ("migrate-check", DOMAIN, "--from", SERVER, "--to", "{}"),
    "migrate-check-from": ("migrate-check", DOMAIN, "--from", "{}", "--to", SERVER),
    "migrate-check-domain": ("migrate-check", "{}", "--from", SERVER, "--to", SERVER),
}

# the root element decides nothing here: every refusal comes before it is looked at
CASES = sorted(c for c in REFUSED if c != "not-a-domain")
# CPU documents may follow one another in a file (what virsh cpu-baseline reads), so two
# <domain> roots are two documents, neither with a <cpu>; host-cpu --cpuid reads one
CPU_DOCUMENT_ANSWERS = {("two-roots", c): (None, "cpu-missing", 1) for c in COMMANDS
                        if c not in ("host-cpu-cpuid", "migrate-check-domain")}
# the cases whose document names a file (the FIFO) for the reader to open
NAMES_A_FILE = sorted(c for c in CASES if b"{FILE}" in REFUSED[c][0])


def _document(case: str, file: str, url: str) -> bytes:
    doc = REFUSED[case][0]
    return doc.replace(b"{FILE}", file.encode()).replace(b"{URL}", url.encode())


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", CASES)
def test_hostile_cpu_document_is_refused_like_a_domain(case, command, write, shared_listener,
                                                        tmp_path, capsys):
    url, hits = shared_listener
    doc = _document(case, str(tmp_path / "secret.txt"), url)
    if command == "host-cpu-cpuid" and not doc.lstrip().startswith(b"<"):
        pytest.skip("host-cpu --cpuid reads a document not starting with '<' as `cpuid -r` text")
    path = write(doc, "cpu.xml")
    rc = main([str(path) if a == "{}" else a for a in COMMANDS[command]])
    out, err = capsys.readouterr()
    assert (rc, out) == (2, ""), err
    lines = err.splitlines()
    assert len(lines) == 1, err
    m = DIAG_RE.match(lines[0])
    assert m and m["file"] == str(path), lines[0]
    _, code, line = CPU_DOCUMENT_ANSWERS.get((case, command), REFUSED[case])
    assert m["code"] in ((code,) if isinstance(code, str) else code), lines[0]
    assert int(m["line"]) == line, lines[0]
    assert hits == [], f"domc connected to {url}"


@pytest.mark.parametrize("case", NAMES_A_FILE)
def test_cpu_document_never_opens_what_it_names(case, write, trap_file):  # noqa: F811
    path = write(_document(case, str(trap_file), "http://127.0.0.1:9/x"), "cpu.xml")
    proc = run_domc("cpu-compare", "--host", SERVER, str(path), timeout=15)
    _, code, line = REFUSED[case]
    assert_clean_error(proc, path, code, line)

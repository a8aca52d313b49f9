"""Hostile XML documents: every one is refused with one located line and exit 2, in
bounded time and memory, without reading a file or opening a socket it names.

Each document is a named case; docs/SECURITY.md quotes the count (len(REFUSED)).
"""

from __future__ import annotations

import os

import pytest

from .conftest import MINIMAL, assert_clean_error, connection_recorder, domain_xml, run_domc

OK_DOMAIN = domain_xml().encode()


def _doctype(subset: str, body: str = "<domain type='qemu'><name>x</name></domain>") -> bytes:
    return f"<?xml version='1.0'?>\n<!DOCTYPE domain [\n{subset}\n]>\n{body}\n".encode()


LOL = "<!ENTITY lol0 'lol'>\n" + "\n".join(
    f"<!ENTITY lol{i} '{('&lol%d;' % (i - 1)) * 10}'>" for i in range(1, 10))

# name -> (document, expected code, expected line).  {FILE} / {URL} are filled per test.
REFUSED: dict[str, tuple[bytes, str, int]] = {
    "xxe-file-entity": (_doctype("<!ENTITY x SYSTEM '{FILE}'>",
                                 "<domain type='qemu'><name>&x;</name></domain>"), "xml-doctype", 2),
    "xxe-network-entity": (_doctype("<!ENTITY x SYSTEM '{URL}'>",
                                    "<domain type='qemu'><name>&x;</name></domain>"),
                           "xml-doctype", 2),
    "parameter-entity-file": (_doctype("<!ENTITY % p SYSTEM '{FILE}'>\n%p;"), "xml-doctype", 2),
    "parameter-entity-network": (_doctype("<!ENTITY % p SYSTEM '{URL}'>\n%p;"), "xml-doctype", 2),
    "external-dtd-file": (b"<!DOCTYPE domain SYSTEM '{FILE}'>\n<domain type='qemu'/>\n",
                          "xml-doctype", 1),
    "external-dtd-network": (b"<!DOCTYPE domain SYSTEM '{URL}'>\n<domain type='qemu'/>\n",
                             "xml-doctype", 1),
    "external-dtd-public": (b"<!DOCTYPE domain PUBLIC '-//x//y' '{FILE}'>\n<domain type='qemu'/>",
                            "xml-doctype", 1),
    "billion-laughs": (_doctype(LOL, "<domain type='qemu'><name>&lol9;</name></domain>"),
                       ("xml-doctype", "xml-entity"), 2),
    "quadratic-blowup": (_doctype("<!ENTITY a '" + "A" * 50000 + "'>",
                                  "<domain type='qemu'><name>" + "&a;" * 5000 + "</name></domain>"),
                         ("xml-doctype", "xml-entity"), 2),
    "internal-entity": (_doctype("<!ENTITY n 'x'>", "<domain type='qemu'><name>&n;</name></domain>"),
                        "xml-doctype", 2),
    "undeclared-entity": (b"<domain type='qemu'>\n<name>&nope;</name></domain>", "xml-syntax", 2),
    "xinclude-file": (b"<domain type='qemu' xmlns:xi='http://www.w3.org/2001/XInclude'>\n"
                      b"<name>x</name>\n<xi:include href='{FILE}' parse='text'/></domain>",
                      "xml-xinclude", 3),
    "xinclude-network": (b"<domain type='qemu' xmlns:xi='http://www.w3.org/2001/XInclude'>\n"
                         b"<devices>\n<xi:include href='{URL}'/></devices></domain>",
                         "xml-xinclude", 3),
    "too-large": (b"<domain type='qemu'><name>x</name><!--" + b"x" * (8 * 1024 * 1024) + b"-->"
                  b"</domain>", "xml-too-large", 1),
    "too-deep-65": (b"<domain type='qemu'>\n" + b"<a>" * 64 + b"</a>" * 64 + b"</domain>",
                    "xml-too-deep", 2),
    "too-deep-100000": (b"<domain type='qemu'>" + b"<a>" * 100000 + b"</a>" * 100000 +
                        b"</domain>", "xml-too-deep", 1),
    "invalid-utf8": (b"<domain type='qemu'>\n<name>caf\xc3\x28</name></domain>", "xml-syntax", 2),
    "latin1-bytes-undeclared": (b"<domain type='qemu'>\n<name>caf\xe9</name></domain>",
                                "xml-syntax", 2),
    "unknown-encoding": (b"<?xml version='1.0' encoding='x-bogus-8'?>\n<domain type='qemu'/>",
                         "xml-syntax", 1),
    "utf16-bom-no-decl-mismatch": (b"\xff\xfe<domain type='qemu'/>", "xml-syntax", 1),
    "nul-byte": (b"<domain type='qemu'>\n<name>a\x00b</name></domain>", "xml-syntax", 2),
    "empty": (b"", "xml-syntax", 1),
    "whitespace-only": (b"   \n\n  ", "xml-syntax", 3),
    "binary-garbage": (bytes(range(256)) * 4, "xml-syntax", 1),
    "truncated": (OK_DOMAIN[: len(OK_DOMAIN) // 2], "xml-syntax", 4),
    "two-roots": (b"<domain type='qemu'/>\n<domain type='qemu'/>", "xml-syntax", 2),
    "not-a-domain": (b"<network>\n<name>x</name></network>", "not-a-domain", 1),
    "unclosed-attribute": (b"<domain type='qemu>\n<name>x</name></domain>", "xml-syntax", 2),
}


# every command reads documents through the same xmldoc.read_document; these cases also
# run through normalize and validate (test_cpu_xml_input.py gives all of them to the CPU
# commands)
THREE_COMMANDS = ("xxe-file-entity", "parameter-entity-file", "xinclude-file", "too-large")


@pytest.fixture
def listener():
    """A TCP server that records every connection made to it."""
    with connection_recorder() as recorder:
        yield recorder


@pytest.fixture
def trap_file(tmp_path):
    """A FIFO: a process that opens it for reading blocks until the test times out, so a
    file read by the parser shows up as a hang, not as a silent success."""
    p = tmp_path / "secret.fifo"
    os.mkfifo(p)
    return p


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_hostile_document_is_refused(case, write, listener, trap_file):
    url, hits = listener
    doc, code, line = REFUSED[case]
    doc = doc.replace(b"{FILE}", str(trap_file).encode()).replace(b"{URL}", url.encode())
    path = write(doc)
    commands = ("compile", "normalize", "validate") if case in THREE_COMMANDS else ("compile",)
    for command in commands:
        proc = run_domc(command, str(path), timeout=15)
        assert_clean_error(proc, path, code, line)
    assert hits == [], f"domc connected to {url}"


def test_refused_count_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md").read_text()
    assert f"{len(REFUSED)} hostile documents" in doc


# Accepted encodings: each must compile to the same argv as the plain UTF-8 document.
def _encoded(encoding: str, bom: bytes = b"", decl: bool = True) -> bytes:
    text = MINIMAL.format(devices="", name="caf\u00e9")
    if decl:
        text = f"<?xml version='1.0' encoding='{encoding}'?>\n" + text
    return bom + text.encode(encoding)


ACCEPTED = {
    "utf8-bom": _encoded("utf-8", b"\xef\xbb\xbf", decl=False),
    "utf8-bom-decl": _encoded("utf-8", b"\xef\xbb\xbf"),
    "latin1-declared": _encoded("iso-8859-1"),
    "utf16-le-bom": b"\xff\xfe" + ("<?xml version='1.0' encoding='UTF-16'?>\n" +
                                   MINIMAL.format(devices="", name="caf\u00e9")).encode("utf-16-le"),
    "utf16-be-bom": b"\xfe\xff" + ("<?xml version='1.0' encoding='UTF-16'?>\n" +
                                   MINIMAL.format(devices="", name="caf\u00e9")).encode("utf-16-be"),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_encodings_compile_identically(case, write):
    ref = write(_encoded("utf-8", decl=False), "ref.xml")
    want = run_domc("compile", "--format", "argv", str(ref))
    assert want.returncode == 0, want.stderr
    path = write(ACCEPTED[case])
    got = run_domc("compile", "--format", "argv", str(path))
    assert got.returncode == 0, got.stderr
    assert got.stdout == want.stdout
    assert b"-name\nguest=caf\xc3\xa9,debug-threads=on\n" in got.stdout


def test_missing_file_is_a_clean_error(tmp_path):
    path = tmp_path / "nope.xml"
    proc = run_domc("compile", str(path))
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith(f"{path}: error[io]: ")


def test_directory_is_a_clean_error(tmp_path):
    proc = run_domc("compile", str(tmp_path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr.decode()
    assert proc.stderr.decode().startswith(f"{tmp_path}: error[io]: ")

"""Diagnostics of many files in the formats CI systems read.

- ``text``: ``FILE:LINE[:COL]: severity[code]: message``, one per line;
- ``json``: an array with one object per diagnostic (:func:`diagnostic_json`);
- ``github``: GitHub Actions workflow commands (``::error file=…,line=…::…``), which
  become annotations on the pull request's files;
- ``junit``: JUnit XML, one test case per file (the Jenkins/Surefire dialect, as
  ``junit-10.xsd`` describes it), failing on errors (on warnings too with ``--strict``);
- ``sarif``: SARIF 2.1.0, one result per diagnostic (GitHub code scanning, GitLab, IDEs).

Everything here is deterministic: no times, no host names, files and diagnostics in
the order they were checked.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from .. import __version__
from ..diagnostics import Diagnostic, Severity

FORMATS = ("text", "json", "github", "junit", "sarif")
TOOL = "domc"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

# (input file as given, its diagnostics)
Results = list[tuple[str, list[Diagnostic]]]


def _message(d: Diagnostic) -> str:
    return " ".join(d.message.split())


def _file(d: Diagnostic, default: str) -> str:
    return d.span.file if d.span.file and d.span.file != "<input>" else default


def diagnostic_json(d: Diagnostic, file: str = "<input>") -> dict:
    """One diagnostic as a JSON object; an unknown line, column or element is null."""
    return {
        "file": _file(d, file),
        "line": d.span.line or None,
        "column": d.span.column or None,
        "severity": d.severity.value,
        "code": d.code,
        "message": _message(d),
        "path": d.span.path or None,
    }


def failed(diags: Iterable[Diagnostic], strict: bool) -> bool:
    return any(d.severity is Severity.ERROR or strict for d in diags)


def render(fmt: str, results: Results, strict: bool) -> str:
    return {"text": text, "json": as_json, "github": github, "junit": junit,
            "sarif": sarif}[fmt](results, strict)


def text(results: Results, strict: bool) -> str:
    return "".join(d.render() + "\n" for _, diags in results for d in diags)


def as_json(results: Results, strict: bool) -> str:
    items = [diagnostic_json(d, f) for f, diags in results for d in diags]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------- GitHub Actions

def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(s: str) -> str:
    return _gh_data(s).replace(":", "%3A").replace(",", "%2C")


def github(results: Results, strict: bool) -> str:
    out = []
    for f, diags in results:
        for d in diags:
            props = [f"file={_gh_property(_file(d, f))}"]
            if d.span.line:
                props.append(f"line={d.span.line}")
                if d.span.column:
                    props.append(f"col={d.span.column}")
            props.append(f"title={_gh_property(f'{TOOL} {d.severity.value}[{d.code}]')}")
            where = f" (at {d.span.path})" if d.span.path else ""
            out.append(f"::{d.severity.value} {','.join(props)}::{_gh_data(_message(d) + where)}\n")
    return "".join(out)


# --------------------------------------------------------------------- JUnit XML

def junit(results: Results, strict: bool) -> str:
    failing = sum(1 for _, diags in results if failed(diags, strict))
    counts = {"tests": str(len(results)), "failures": str(failing), "errors": "0"}
    from lxml import etree  # only here: a compile reports its errors without lxml

    suites = etree.Element("testsuites", name=f"{TOOL} validate", **counts)
    suite = etree.SubElement(suites, "testsuite", name=f"{TOOL} validate", skipped="0", **counts)
    for f, diags in results:
        case = etree.SubElement(suite, "testcase", classname=f"{TOOL}.validate", name=f)
        lines = "".join(d.render() + "\n" for d in diags)
        if failed(diags, strict):
            first = next(d for d in diags if d.severity is Severity.ERROR or strict)
            failure = etree.SubElement(case, "failure", type=first.code,
                                       message=f"{first.severity.value}[{first.code}]: "
                                               f"{_message(first)}")
            failure.text = lines
        elif diags:
            etree.SubElement(case, "system-out").text = lines
    return etree.tostring(suites, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode()


# --------------------------------------------------------------------- SARIF 2.1.0

def _uri(path: str) -> str:
    """A file as a SARIF artifact URI: relative paths stay relative (the repository's
    files, for code scanning), absolute ones become file: URIs."""
    import urllib.parse

    posix = path.replace(os.sep, "/")
    if os.path.isabs(path):
        return "file://" + urllib.parse.quote(posix)
    return urllib.parse.quote(posix)


def sarif(results: Results, strict: bool) -> str:
    codes = sorted({d.code for _, diags in results for d in diags})
    index = {c: i for i, c in enumerate(codes)}
    items = []
    for f, diags in results:
        for d in diags:
            physical: dict = {"artifactLocation": {"uri": _uri(_file(d, f))}}
            if d.span.line:
                region = {"startLine": d.span.line}
                if d.span.column:
                    region["startColumn"] = d.span.column
                physical["region"] = region
            location: dict = {"physicalLocation": physical}
            if d.span.path:
                location["logicalLocations"] = [{"fullyQualifiedName": d.span.path, "kind": "element"}]
            items.append({"ruleId": d.code, "ruleIndex": index[d.code],
                          "level": "error" if d.severity is Severity.ERROR else "warning",
                          "message": {"text": _message(d)}, "locations": [location]})
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL, "version": __version__,
                                "rules": [{"id": c, "name": c} for c in codes]}},
            "columnKind": "unicodeCodePoints",
            "results": items,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"

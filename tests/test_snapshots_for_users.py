"""Golden snapshots for users: the pytest plugin (compiler/pytest_plugin.py) and
``domc snapshot`` on examples/, whose goldens (NAME.args, invalid/NAME.err) sit
beside the domains.  The plugin runs in a separate pytest (pytester), loaded by
module name with entry-point plugins off, so the outcome does not depend on what is
installed; a changed golden must fail with a readable diff and be accepted only on
request."""

from __future__ import annotations

import shutil
import tomllib

import pytest

from compiler.cli import main

from .conftest import EXAMPLES, ROOT, SEED_HOST

pytest_plugins = ("pytester",)

EXAMPLE_XMLS = sorted(EXAMPLES.rglob("*.xml"))


@pytest.fixture
def run_plugin(pytester, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # this checkout's compiler, not an installed one

    def run(directory, *extra):
        return pytester.runpytest_subprocess(
            "-p", "compiler.pytest_plugin", "-p", "no:cacheprovider", "--domc-snapshots",
            str(directory), "--domc-host-root", str(SEED_HOST), *extra, str(directory))
    return run


@pytest.fixture
def examples_copy(tmp_path):
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    return copy


def test_every_example_has_its_golden():
    for xml in EXAMPLE_XMLS:
        golden = xml.with_suffix(".err" if "invalid" in xml.parts else ".args")
        assert golden.is_file(), f"{golden} is missing: python3 -m compiler snapshot examples " \
                                 f"--host-root {SEED_HOST.relative_to(ROOT)} --update"


def test_the_plugin_passes_on_examples(run_plugin):
    result = run_plugin(EXAMPLES)
    result.assert_outcomes(passed=len(EXAMPLE_XMLS))


def test_the_plugin_catches_a_changed_golden(run_plugin, examples_copy):
    golden = examples_copy / "minimal.args"
    original = golden.read_text()
    golden.write_text(original.replace("-m 128 \\", "-m 256 \\"))
    result = run_plugin(examples_copy)
    result.assert_outcomes(passed=len(EXAMPLE_XMLS) - 1, failed=1)
    # the diff names the golden, one option per line
    result.stdout.fnmatch_lines(["*--- *minimal.args", "*+++ domc compile *minimal.xml",
                                 "*--m 256 \\", "*+-m 128 \\", "*--domc-update*"])
    assert golden.read_text() != original  # nothing is accepted unasked


def test_update_accepts_and_the_next_run_passes(run_plugin, examples_copy):
    golden = examples_copy / "minimal.args"
    original = golden.read_text()
    golden.write_text("stale\n")
    (examples_copy / "invalid" / "three-errors.err").unlink()
    run_plugin(examples_copy, "--domc-update").assert_outcomes(passed=len(EXAMPLE_XMLS))
    assert golden.read_text() == original
    assert (examples_copy / "invalid" / "three-errors.err").read_text().startswith(
        "three-errors.xml:7: error[memory-range]")
    run_plugin(examples_copy).assert_outcomes(passed=len(EXAMPLE_XMLS))


def test_a_domain_without_a_golden_fails(run_plugin, examples_copy):
    (examples_copy / "minimal.args").unlink()
    result = run_plugin(examples_copy)
    result.assert_outcomes(passed=len(EXAMPLE_XMLS) - 1, failed=1)
    result.stdout.fnmatch_lines(["*minimal.args: no golden; this is what domc gives:"])


def test_a_domain_that_starts_failing_is_caught(run_plugin, examples_copy):
    (examples_copy / "minimal.xml").write_text(
        (examples_copy / "minimal.xml").read_text().replace("128", "0"))
    result = run_plugin(examples_copy)
    result.assert_outcomes(passed=len(EXAMPLE_XMLS) - 1, failed=1)
    result.stdout.fnmatch_lines(["*minimal.err: no golden; this is what domc gives:",
                                 "minimal.xml:3: error[[]memory-range]*",
                                 "*minimal.args: golden of the other kind, no longer what domc gives"])


def test_syrupy_snapshot_update_accepts_domc_goldens_too(run_plugin, examples_copy):
    """With syrupy loaded, its --snapshot-update is the one flag for every snapshot."""
    pytest.importorskip("syrupy")
    golden = examples_copy / "minimal.args"
    original = golden.read_text()
    golden.write_text("stale\n")
    run_plugin(examples_copy, "-p", "syrupy", "--snapshot-update").assert_outcomes(
        passed=len(EXAMPLE_XMLS))
    assert golden.read_text() == original


def test_configured_in_the_ini_file(pytester, monkeypatch, examples_copy):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    shutil.copytree(examples_copy, pytester.path / "domains")
    shutil.copytree(SEED_HOST, pytester.path / "host")
    pytester.makeini("[pytest]\ndomc_snapshots = domains\ndomc_host_root = host\n")
    result = pytester.runpytest_subprocess("-p", "compiler.pytest_plugin", "-p", "no:cacheprovider",
                                           "domains")
    result.assert_outcomes(passed=len(EXAMPLE_XMLS))


def test_no_directories_no_tests(pytester, monkeypatch):
    """Installed everywhere, the plugin collects nothing it was not asked to."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    shutil.copy(EXAMPLES / "minimal.xml", pytester.path / "minimal.xml")
    result = pytester.runpytest_subprocess("-p", "compiler.pytest_plugin", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_the_entry_point_names_the_plugin():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"domc": "compiler.pytest_plugin"}


# ------------------------------------------------------------------ domc snapshot

def _snapshot(*argv, capsys):
    rc = main(["snapshot", *argv, "--host-root", str(SEED_HOST)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_snapshot_command_on_examples(capsys):
    rc, out, err = _snapshot(str(EXAMPLES), capsys=capsys)
    assert (rc, out) == (0, "")
    assert err == (f"domc snapshot: {len(EXAMPLE_XMLS)} domains, {len(EXAMPLE_XMLS)} as their golden, "
                   "0 differ, 0 without one\n")


def test_snapshot_command_shows_the_diff_and_updates_on_request(examples_copy, capsys):
    golden = examples_copy / "placement" / "seed-pinned.args"
    original = golden.read_text()
    changed = original.replace("-m 3072", "-m 2048")
    assert changed != original
    golden.write_text(changed)
    rc, out, err = _snapshot(str(examples_copy), capsys=capsys)
    assert rc == 1
    assert out.splitlines()[:2] == [f"--- {golden}",
                                    f"+++ domc compile {examples_copy}/placement/seed-pinned.xml"]
    assert "-m 2048 \\" in out and "1 differ" in err
    rc, out, _ = _snapshot(str(examples_copy), "--update", capsys=capsys)
    assert (rc, out) == (0, f"updated {golden}\n")
    assert golden.read_text() == original


def test_snapshot_replaces_a_golden_of_the_other_kind(examples_copy, capsys):
    """A domain that now compiles loses its stale .err when the update writes .args."""
    stale = examples_copy / "minimal.err"
    stale.write_text("minimal.xml:1: error[x]: old\n")
    assert _snapshot(str(examples_copy), capsys=capsys)[0] == 1
    assert _snapshot(str(examples_copy), "--update", capsys=capsys)[0] == 0
    assert not stale.exists() and (examples_copy / "minimal.args").is_file()


@pytest.mark.parametrize("name, message", [
    ("nope.xml", "nope.xml: error[io]: cannot read: No such file or directory"),
    ("empty", "empty: error[io]: no *.xml files in this directory"),
    ("-", "-: error[usage]: a domain on standard input has no golden beside it"),
])
def test_snapshot_inputs_that_cannot_be_used(name, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    rc, out, err = _snapshot(name, capsys=capsys)
    assert (rc, out, err) == (2, "", message + "\n")

"""The command table in compiler/commands/__init__.py is the one place a command is
registered, and `domc --help` / `--version` are written from it without importing any
command module (or attrs, lxml, lark)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from compiler import VERSION_TEXT, __version__
from compiler.cli import _command_word, build_parser
from compiler.commands import COMMAND_MODULES, command_table

ROOT = Path(__file__).resolve().parents[1]
COMMANDS_DIR = ROOT / "compiler" / "commands"


def test_every_line_is_a_module_help_pair():
    bare = [e for e in COMMAND_MODULES if not isinstance(e, tuple)]
    assert not bare, f"give these lines their help as (module, HELP): {bare}"


@pytest.mark.parametrize("name,module,help_", command_table(), ids=lambda x: str(x)[:20])
def test_line_matches_its_module(name, module, help_):
    mod = importlib.import_module(f"compiler.commands.{module}")
    assert mod.NAME == name
    assert mod.HELP == help_
    assert callable(mod.add_arguments) and callable(mod.run)


def test_every_command_module_has_a_line():
    modules = {p.stem for p in COMMANDS_DIR.glob("*.py") if not p.stem.startswith("_")}
    registered = {module for _, module, _ in command_table()}
    assert modules == registered


@pytest.mark.parametrize("argv", [[], ["--help", "compile"]])
def test_help_lists_every_command(argv):
    text = build_parser(argv).format_help()
    for name, _, help_ in command_table():
        assert name in text
        assert help_.split()[0] in text


def test_command_word():
    assert _command_word(["--version"]) is None
    assert _command_word(["-h", "compile", "x.xml"]) is None  # domc's own help
    assert _command_word(["compile", "-h"]) == "compile"
    assert _command_word(["cpu-compare", "--host", "h.xml"]) == "cpu-compare"


PROBE = """
import json, sys
from compiler.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules
                        if m.startswith(("compiler.", "attr", "lxml", "lark")))), file=sys.stderr)
"""


def _modules_after(argv: list[str]) -> tuple[str, list[str]]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return out.stdout, json.loads(out.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [["--help"], ["--version"]])
def test_help_and_version_import_no_command(argv):
    stdout, modules = _modules_after(argv)
    assert modules == ["compiler.cli", "compiler.commands"]
    assert ("COMMAND" in stdout) if argv == ["--help"] else stdout == VERSION_TEXT + "\n"


def test_a_command_imports_only_its_own_module():
    _, modules = _modules_after(["cpu-compare", "--help"])
    commands = [m for m in modules if m.startswith("compiler.commands.")]
    assert commands == ["compiler.commands.cpu_compare"]


def test_version_is_the_packages():
    text = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{__version__}"' in text

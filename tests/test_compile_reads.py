"""A compile reads its domain file once and nothing else but the package's own data
and the host facts named explicitly (``--host FILE``, ``--host-root DIR``).

Every file or directory opened during ``make_env`` + ``compile_file`` (and
``normalize_file``) is recorded by wrapping ``open``/``io.open``/``os.open``/
``os.listdir``/``os.scandir``; the test fails on any other path.
"""

from __future__ import annotations

import builtins
import io
import os
from pathlib import Path

import pytest

import compiler
from compiler.api import compile_file, make_env, normalize_file
from compiler.diagnostics import DomcError
from compiler.grammars import GRAMMAR_DIRS

from .conftest import EXAMPLES, ROOT, SEED_HOST

# the package's own data: its tables, its grammars (beside the package in a checkout)
PACKAGE_DATA = (Path(compiler.__file__).resolve().parent, *GRAMMAR_DIRS)
HOST = (ROOT / "fixtures" / "hosts" / "server.xml").resolve()

DOMAINS = sorted([*EXAMPLES.rglob("*.xml"), *(ROOT / "fixtures" / "domains").glob("*.xml")])


@pytest.fixture
def opened(monkeypatch):
    """The paths opened (resolved), in order, while the fixture is active."""
    log: list[Path] = []

    def wrap(fn):
        def recording(path, *args, **kwargs):
            if isinstance(path, (str, bytes, os.PathLike)):
                log.append(Path(os.fsdecode(path)).resolve())
            return fn(path, *args, **kwargs)
        return recording

    for owner, name in ((builtins, "open"), (io, "open"), (os, "open"), (os, "listdir"),
                        (os, "scandir")):
        monkeypatch.setattr(owner, name, wrap(getattr(owner, name)))
    return log


def _allowed(path: Path, domain: Path) -> bool:
    return (path == domain or path == HOST or path.is_relative_to(SEED_HOST.resolve())
            or any(path.is_relative_to(d) for d in PACKAGE_DATA))


@pytest.mark.parametrize("xml", DOMAINS, ids=lambda p: str(p.relative_to(ROOT)))
@pytest.mark.parametrize("stage", ["compile", "normalize"])
def test_compile_opens_only_its_inputs(xml, stage, opened):
    env = make_env(host=str(HOST), host_root=str(SEED_HOST))
    before = len(opened)
    try:
        (compile_file if stage == "compile" else normalize_file)(str(xml), env)
    except DomcError:
        pass  # the invalid examples: refused, and still without reading anything else
    during = opened[before:]
    domain = xml.resolve()
    assert [p for p in opened if not _allowed(p, domain)] == []
    assert during.count(domain) == 1, "the domain file is read exactly once"
    # the host facts were read by make_env, once; the compile itself does not re-read them
    assert [p for p in during if p == HOST or p.is_relative_to(SEED_HOST.resolve())] == []
    assert opened.count(HOST) == 1


def test_a_cpuset_error_does_not_reread_the_file(tmp_path, opened):
    """The column of a bad cpuset comes from the text read once: removing the file
    after reading it changes nothing (the old re-read returned a stale or no line)."""
    xml = tmp_path / "g.xml"
    xml.write_text("<domain type='qemu'>\n  <name>g</name>\n  <memory>65536</memory>\n"
                   "  <vcpu cpuset='0-3,^'>2</vcpu>\n</domain>\n")
    env = make_env(host=str(HOST), host_root=str(SEED_HOST))
    real_open = builtins.open

    def open_then_remove(path, *args, **kwargs):
        fh = real_open(path, *args, **kwargs)
        if Path(os.fsdecode(path)).resolve() == xml.resolve():
            xml.unlink()
        return fh

    builtins.open = open_then_remove
    try:
        with pytest.raises(DomcError) as exc:
            compile_file(str(xml), env)
    finally:
        builtins.open = real_open
    rendered = [d.render() for d in exc.value.diagnostics]
    column = len("  <vcpu cpuset='0-3,") + 1  # the '^' that has nothing after it
    assert rendered == [f"{xml}:4:{column}: error[cpuset-character]: cpuset '0-3,^': "
                        "unexpected character '^'"]

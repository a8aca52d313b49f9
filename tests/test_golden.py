"""Golden tests: every example's normalized XML and compiled argv, snapshotted.

Refresh with ``pytest --snapshot-update`` and review every changed line: a wrong
snapshot is a bug, not a golden.
"""

from __future__ import annotations

import pytest

from compiler.api import compile_file, make_env
from compiler.diagnostics import DomcError
from compiler.emit.xml import write_normalized

from .conftest import ROOT, SEED_HOST, example_files, invalid_examples


def _rel(path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("xml", example_files(), ids=lambda p: p.stem)
def test_compile_and_normalize(xml, snapshot, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = compile_file(_rel(xml), make_env(host_root=str(SEED_HOST)))
    assert "\n".join(result.argv) == snapshot(name="argv")
    assert write_normalized(result.root, result.domain).decode() == snapshot(name="normalized")


@pytest.mark.parametrize("xml", example_files(), ids=lambda p: p.stem)
def test_normalize_is_idempotent(xml, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    env = make_env(host_root=str(SEED_HOST))
    first = compile_file(_rel(xml), env)
    once = write_normalized(first.root, first.domain)
    again_file = tmp_path / xml.name
    again_file.write_bytes(once)
    second = compile_file(str(again_file), make_env(host_root=str(SEED_HOST)))
    assert write_normalized(second.root, second.domain) == once
    assert second.argv == first.argv


@pytest.mark.parametrize("xml", invalid_examples(), ids=lambda p: p.stem)
def test_invalid_examples_fail_with_a_located_error(xml, snapshot, monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(DomcError) as exc:
        compile_file(_rel(xml), make_env(host_root=str(SEED_HOST)))
    rendered = [d.render() for d in exc.value.diagnostics]
    assert all(r.startswith(_rel(xml) + ":") for r in rendered)
    assert rendered == snapshot

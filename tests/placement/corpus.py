"""Locate libvirt's reference corpus (never copied into the repo)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "libvirt-9.0.0" / "qemuxml2argv"
ARGS = ".x86_64-latest.args"
ERR = ".x86_64-latest.err"


def corpus_cases(predicate) -> list:
    """pytest params for corpus XML files whose text satisfies ``predicate``."""
    if not CORPUS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"reference corpus not found at {CORPUS}"))]
    out = []
    for xml in sorted(CORPUS.glob("*.xml")):
        if predicate(xml.read_text()):
            out.append(pytest.param(xml, id=xml.stem))
    return out


def expected_argv(xml: Path) -> list[str] | None:
    args = xml.with_name(xml.stem + ARGS)
    if not args.exists():
        return None
    return shlex.split(args.read_text().replace("\\\n", ""))


def expected_error(xml: Path) -> str | None:
    err = xml.with_name(xml.stem + ERR)
    return err.read_text().strip() if err.exists() else None

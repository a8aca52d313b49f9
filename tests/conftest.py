"""Shared test helpers: paths to examples and the reference corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CORPUS = ROOT.parent / "shared" / "corpus" / "libvirt-9.0.0"
# every example compiles against this captured host, so results do not depend on the
# machine the tests run on
SEED_HOST = ROOT / "fixtures" / "topologies" / "seed-2node-8cpu"


def example_files() -> list[Path]:
    """Every valid example domain (examples/invalid/ holds the ones that must fail)."""
    return sorted(p for p in EXAMPLES.rglob("*.xml") if "invalid" not in p.parts)


def invalid_examples() -> list[Path]:
    return sorted((EXAMPLES / "invalid").glob("*.xml"))


@pytest.fixture(scope="session", autouse=True)
def _private_host_cache(tmp_path_factory):
    """The tests keep compiler.hostcache's answers in a directory of their own, not in
    the user's ~/.cache (the processes they start inherit it)."""
    import os

    old = os.environ.get("DOMC_CACHE_DIR")
    os.environ["DOMC_CACHE_DIR"] = str(tmp_path_factory.mktemp("domc-cache"))
    yield
    if old is None:
        os.environ.pop("DOMC_CACHE_DIR", None)
    else:
        os.environ["DOMC_CACHE_DIR"] = old


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"reference corpus not found at {CORPUS} (it lives beside the repo, "
                    "in ../shared; a fresh clone does not have it)")
    return CORPUS


@pytest.fixture
def domc(capsys):
    """Run the CLI in-process: (exit status, stdout, stderr)."""
    def run(*argv):
        rc = main([str(a) for a in argv])
        out = capsys.readouterr()
        return rc, out.out, out.err
    return run

import os

import pytest

from compiler.cli import main

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOSTS = os.path.join(ROOT, "fixtures", "hosts")
CORPUS = os.path.join(ROOT, "..", "shared", "corpus", "libvirt-9.0.0", "cputestdata")


@pytest.fixture
def domc(capsys):
    """Run the CLI in-process: (exit status, stdout, stderr)."""
    def run(*argv):
        rc = main([str(a) for a in argv])
        out = capsys.readouterr()
        return rc, out.out, out.err
    return run


@pytest.fixture
def corpus():
    if not os.path.isdir(CORPUS):
        pytest.skip("libvirt 9.0.0 cputestdata not present at ../shared/corpus")
    return CORPUS

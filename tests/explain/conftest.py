import pytest

from compiler.cli import main


@pytest.fixture
def domc(capsys):
    """Run the CLI in-process: (exit status, stdout, stderr)."""
    def run(*argv):
        rc = main([str(a) for a in argv])
        out = capsys.readouterr()
        return rc, out.out, out.err
    return run

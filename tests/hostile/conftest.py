"""Helpers for the hostile-input suite: run the CLI of *this* checkout as a subprocess."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import subprocess
import socket
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# one diagnostic line: FILE:LINE[:COL]: error[code]: message
DIAG_RE = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?::(?P<col>\d+))?: error\[(?P<code>[a-z0-9-]+)\]: "
                     r"(?P<msg>\S.*)$")
TIMEOUT_S = 20           # wall clock for one CLI run
MEMORY_LIMIT = 1 << 30   # address space for one CLI run (1 GiB)

MINIMAL = """<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
{devices}
  </devices>
</domain>
"""


def domain_xml(devices: str = "", name: str = "hostile", **extra) -> str:
    return MINIMAL.format(devices=devices, name=name)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_domc(*args: str, env: dict | None = None, cwd: Path | None = None,
             timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "compiler", *args], cwd=cwd or ROOT,
                          env=full_env, capture_output=True, timeout=timeout,
                          preexec_fn=_limit_memory)


def assert_clean_error(proc: subprocess.CompletedProcess, path: Path, code: str | None = None,
                       line: int | None = None) -> re.Match:
    """Exit 2, nothing on stdout, exactly one diagnostic line naming the file."""
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, (proc.returncode, err)
    assert "Traceback" not in err, err
    assert proc.stdout == b"", proc.stdout[:200]
    lines = err.splitlines()
    assert len(lines) >= 1, err
    m = DIAG_RE.match(lines[0])
    assert m, f"not a FILE:LINE: error[code]: line: {lines[0]!r}"
    assert m["file"] == str(path), (m["file"], path)
    assert int(m["line"]) >= 1, lines[0]
    if code is not None:
        assert m["code"] in ((code,) if isinstance(code, str) else code), lines[0]
    if line is not None:
        assert int(m["line"]) == line, lines[0]
    return m


@pytest.fixture
def write(tmp_path):
    def _write(text: str | bytes, name: str = "guest.xml") -> Path:
        p = tmp_path / name
        p.write_bytes(text.encode() if isinstance(text, str) else text)
        return p
    return _write


@contextlib.contextmanager
def connection_recorder():
    """A TCP server on localhost that records every connection made to it; yields
    (a URL on it, the list of what each connection sent)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    hits: list = []
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            hits.append(conn.recv(1024))
            conn.close()

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}/evil.dtd", hits
    finally:
        stop.set()
        t.join()
        srv.close()

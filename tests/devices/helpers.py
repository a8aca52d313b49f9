"""Compile a small domain around a <devices> snippet; pick out the -device dicts."""

from __future__ import annotations

import json

from compiler.api import compile_file, make_env
from compiler.diagnostics import DomcError

DOMAIN = """<domain type='qemu'>
  <name>t</name>
  <memory unit='KiB'>{memory}</memory>
{extra}  <os><type arch='x86_64' machine='{machine}'>hvm</type></os>
  <devices>
{devices}
  </devices>
</domain>
"""


def write(tmp_path, devices: str, machine: str = "pc", extra: str = "",
          memory: int = 219136) -> str:
    path = tmp_path / "guest.xml"
    path.write_text(DOMAIN.format(devices=devices, machine=machine, extra=extra, memory=memory))
    return str(path)


def compile_snippet(tmp_path, devices: str, **kw) -> list[str]:
    return list(compile_file(write(tmp_path, devices, **kw), make_env()).argv)


def devices_of(argv: list[str], driver: str | None = None) -> list[dict]:
    out = []
    for opt, val in zip(argv, argv[1:]):
        if opt == "-device" and val.startswith("{"):
            d = json.loads(val)
            if driver is None or d["driver"] == driver:
                out.append(d)
    return out


def options(argv: list[str], name: str) -> list[str]:
    return [val for opt, val in zip(argv, argv[1:]) if opt == name]


def error_of(tmp_path, devices: str, **kw) -> str:
    """The rendered diagnostics of a compile that must fail (one line each)."""
    try:
        compile_snippet(tmp_path, devices, **kw)
    except DomcError as exc:
        lines = [d.render() for d in exc.diagnostics]
        assert all("\n" not in line for line in lines)
        return "\n".join(lines)
    raise AssertionError("compile succeeded but an error was expected")


def line_of(devices: str, needle: str, extra: str = "") -> int:
    """1-based line in the written document of the first snippet line containing needle."""
    doc = DOMAIN.format(devices=devices, machine="pc", extra=extra, memory=0)
    for n, line in enumerate(doc.splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(needle)


def assert_error_at(tmp_path, devices: str, needle: str, message: str, **kw) -> None:
    """The compile fails with ``message``, reported at the snippet line holding ``needle``."""
    err = error_of(tmp_path, devices, **kw)
    assert message in err
    assert f"guest.xml:{line_of(devices, needle, kw.get('extra', ''))}:" in err

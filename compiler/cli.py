"""The ``domc`` command line: the only place that sets exit codes.

Exit status: 0 success, 1 a negative answer (incompatible CPU, failed check),
2 unusable input (rendered as ``FILE:LINE: error[code]: message``).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import VERSION_TEXT
from .diagnostics import DomcError

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE


def build_parser() -> argparse.ArgumentParser:
    from .commands import COMMAND_MODULES

    parser = argparse.ArgumentParser(
        prog="domc",
        description="Compile libvirt-style domain XML to a QEMU command line, without a daemon.",
    )
    parser.add_argument("--version", action="version", version=VERSION_TEXT)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for modname in COMMAND_MODULES:
        mod = importlib.import_module(f"{__package__}.commands.{modname}")
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except DomcError as exc:
        for d in exc.diagnostics:
            print(d.render(), file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug in domc: still one line, never a traceback
        print(f"domc: internal error: {type(exc).__name__}: {exc} (please report this with "
              "the input that caused it)", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return 130

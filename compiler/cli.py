"""The ``domc`` command line: the only place that sets exit codes.

Exit status: 0 success, 1 a negative answer (incompatible CPU, failed check),
2 unusable input (rendered as ``FILE:LINE: error[code]: message``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The ``domc`` parser.  Every command is listed (name and help from the table in
    :mod:`compiler.commands`), but only the module of the command named in ``argv``
    is imported and given its arguments; with ``argv`` None, all of them are."""
    from . import VERSION_TEXT
    from .commands import command_table

    chosen = _command_word(argv) if argv is not None else None
    parser = argparse.ArgumentParser(
        prog="domc",
        description="Compile libvirt-style domain XML to a QEMU command line, without a daemon.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=VERSION_TEXT)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    table = command_table()
    if any(name == chosen for name, _, _ in table):
        # a known command: its parser alone (each parser argparse makes looks up its
        # message catalogues on disk, a millisecond apiece)
        table = [row for row in table if row[0] == chosen]
    for name, module, help_ in table:
        load = argv is None or name == chosen
        mod = importlib.import_module(f"{__package__}.commands.{module}") \
            if load or help_ is None else None
        text = help_ if help_ is not None else mod.HELP
        p = sub.add_parser(name, help=text, description=text, formatter_class=_Formatter)
        if load:
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run)
    return parser


class _Formatter(argparse.HelpFormatter):
    """argparse's own, given the terminal width as shutil would work it out: argparse
    imports shutil (and with it zlib, bz2 and lzma) for that on every start-up, though
    only --help prints anything."""

    def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
        super().__init__(prog, indent_increment, max_help_position,
                         _columns() - 2 if width is None else width)


def _columns() -> int:
    try:
        n = int(os.environ["COLUMNS"])
        if n > 0:
            return n
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def _command_word(argv: list[str]) -> str | None:
    """The command ``argv`` names: its first word that is not an option (domc's own
    options, --help and --version, take no value); None before it is asked for help."""
    for word in argv:
        if word in ("--", "-h", "--help"):  # domc's own help lists every command
            return None
        if not word.startswith("-"):
            return word
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)  # --help and --version end here, before attrs or lxml load
    from .diagnostics import DomcError

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


def entry() -> None:
    """The ``domc`` program: :func:`main`, then a quick exit.  Tearing the interpreter
    down (freeing every module, class and table one by one) would cost more than
    compiling a domain, and nothing is left to do by then: the output is flushed
    here and no command leaves a process, a temporary file or an exit handler behind."""
    try:
        code = main()
    except SystemExit as exc:  # argparse: --help, --version, a usage error (already printed)
        if not isinstance(exc.code, (int, type(None))):
            raise
        code = exc.code or 0
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # the reader went away; the output is moot
            pass
    os._exit(code)

"""``domc probe``: describe an emulator binary as a JSON capability profile."""

from __future__ import annotations

import shutil
import sys

NAME = "probe"
HELP = "run a QEMU binary over QMP and print its capability profile (JSON)"


def add_arguments(parser) -> None:
    parser.add_argument("--emulator", metavar="PATH",
                        help="QEMU binary (default: qemu-system-x86_64 on PATH)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the profile here")


def run(args) -> int:
    from ..diagnostics import fail
    from ..probe import dumps, probe

    emulator = args.emulator or shutil.which("qemu-system-x86_64")
    if not emulator:
        raise fail("probe-emulator", "no --emulator given and qemu-system-x86_64 is not on PATH")
    text = dumps(probe(emulator))
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise fail("output", f"cannot write {args.output}: {exc.strerror}") from None
    else:
        sys.stdout.write(text)
    return 0

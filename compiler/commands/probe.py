"""``domc probe``: describe an emulator binary as a JSON capability profile."""

from __future__ import annotations

import os
import shutil
import sys

NAME = "probe"
HELP = "run a QEMU binary over QMP and print its capability profile (JSON)"


def add_arguments(parser) -> None:
    parser.add_argument("--emulator", metavar="PATH",
                        help="QEMU binary (default: qemu-system-x86_64 on PATH)")
    parser.add_argument("--firmware-dir", metavar="DIR", default=None,
                        help="firmware descriptors to record (default: /usr/share/qemu/firmware, "
                             "skipped if absent)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the profile here")


def run(args) -> int:
    from ..diagnostics import fail
    from ..probe import DEFAULT_FIRMWARE_DIR, dumps, probe

    emulator = args.emulator or shutil.which("qemu-system-x86_64")
    if not emulator:
        raise fail("probe-emulator", "no --emulator given and qemu-system-x86_64 is not on PATH")
    fw_dir = args.firmware_dir
    if fw_dir is not None and not os.path.isdir(fw_dir):
        raise fail("probe-firmware", f"--firmware-dir {fw_dir}: not a directory")
    text = dumps(probe(emulator, fw_dir or DEFAULT_FIRMWARE_DIR))
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise fail("output", f"cannot write {args.output}: {exc.strerror}") from None
    else:
        sys.stdout.write(text)
    return 0

"""``domc probe``: describe an emulator binary as a JSON capability profile."""

from __future__ import annotations

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
    from ..inputs import require_directory, write_output_file
    from ..probe import DEFAULT_FIRMWARE_DIR, dumps, probe

    emulator = args.emulator or shutil.which("qemu-system-x86_64")
    if not emulator:
        raise fail("probe-emulator", "no --emulator given and qemu-system-x86_64 is not on PATH")
    fw_dir = args.firmware_dir
    if fw_dir is not None:
        require_directory(fw_dir)
    text = dumps(probe(emulator, fw_dir or DEFAULT_FIRMWARE_DIR))
    if args.output:
        write_output_file(args.output, text)
    else:
        sys.stdout.write(text)
    return 0

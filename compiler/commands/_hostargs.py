"""The ``--host-root`` option shared by the placement commands."""

from __future__ import annotations


def add_host_root(parser) -> None:
    parser.add_argument(
        "--host-root",
        metavar="DIR",
        default=None,
        help="read /proc and /sys below DIR (a captured tree) instead of this machine",
    )

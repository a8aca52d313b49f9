"""Data tables shipped with domc (JSON and Python data modules)."""

from __future__ import annotations

import json
import os

# the embedded QEMU capability profile (made by `domc probe` from Debian's QEMU 7.2)
DEFAULT_PROFILE = "qemu-7.2.json"

_HERE = os.path.dirname(os.path.abspath(__file__))


def read_json(name: str):
    """A table shipped in this package, parsed (read with plain file I/O: cheaper at
    start-up than importlib.resources, and the package is never zipped)."""
    with open(os.path.join(_HERE, name), "rb") as fh:
        return json.loads(fh.read())

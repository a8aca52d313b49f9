#!/usr/bin/env python3
"""Write compiler/_record_code.py: the ``__init__`` and copy templates of every record
class in domc (compiler/record.py), compiled ahead of time.

A record class's ``__init__`` and its copy function (what ``evolve`` uses) are made
from one template per shape; compiling a template's source costs about 0.2 ms, and a
compile of the corpus meets about fifty shapes, in every process.  Written out as a
module, they load from bytecode with the package instead.  Record classes of other
shapes (none in domc today) still get theirs compiled at run time.

Run after adding or changing a record class (tests/test_record.py fails until then)::

    python3 tools/record_code.py          # rewrite the module
    python3 tools/record_code.py --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compiler import record  # noqa: E402

TARGET = ROOT / "compiler" / "_record_code.py"
HEADER = '''"""The record classes' ``__init__`` and copy templates, compiled ahead of time.

Written by tools/record_code.py from compiler/record.py's template sources and the
shapes of domc's record classes; do not edit (tests/test_record.py checks that it is
what the tool writes).  Only the functions' code objects are used: compiler/record.py
binds them to each class's setters and factories.
"""

# ruff: noqa
# flake8: noqa
'''


def record_classes() -> list[type]:
    """Every record class defined in the compiler package (each module imported)."""
    import compiler

    for info in pkgutil.walk_packages(compiler.__path__, "compiler."):
        if info.name.startswith("compiler._record_code") or info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
    seen: dict[str, type] = {}
    for name, module in list(sys.modules.items()):
        if not (name == "compiler" or name.startswith("compiler.")):
            continue
        for value in vars(module).values():
            if isinstance(value, type) and "__record_fields__" in vars(value) \
                    and value.__module__ == name:
                seen[f"{name}.{value.__qualname__}"] = value
    return [seen[k] for k in sorted(seen)]


def source() -> str:
    inits, copies = set(), set()
    for cls in record_classes():
        init, copy = record.shapes(cls)
        inits.add(init)
        copies.add(copy)
    out = [HEADER, "INITS = {}", "COPIES = {}", ""]
    for n, factories, post_init in sorted(inits):
        out += ["", record.init_source(n, factories, post_init).rstrip("\n"),
                f"INITS[{(n, factories, post_init)!r}] = __init__", ""]
    for n in sorted(copies):
        out += ["", record.copy_source(n).rstrip("\n"), f"COPIES[{n}] = copy", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when the module is out of date")
    a = ap.parse_args()
    text = source()
    current = TARGET.read_text() if TARGET.exists() else None
    if a.check:
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run python3 tools/record_code.py")
            return 1
        return 0
    if current != text:
        TARGET.write_text(text)
        print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

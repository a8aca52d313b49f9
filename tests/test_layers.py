"""Imports point one way: model <- devices <- passes <- emit <- api <- commands.

Every module of the ``compiler`` package gets a layer from LAYERS below; an import
(at module level or inside a function: a cycle broken by a function-level import is
still a cycle) may name a module of the same or a lower layer only.  A module the
table does not place fails the test, so a new module needs a line here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "compiler"

# (layer, module prefixes), lowest first; a module takes the layer of its longest prefix.
# A prefix ending in "$" is one module only (a package's __init__, not its modules).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("compiler$", "compiler.diagnostics", "compiler.enums", "compiler.inputs",
              "compiler.xmldoc", "compiler.xmllight", "compiler.schema",
              "compiler.xmlread", "compiler.grammars", "compiler.record", "compiler._record_code",
              "compiler.tables", "compiler.profile", "compiler.qmpclient",
              "compiler.hostcache",
              "compiler.placement$", "compiler.placement.cpuset", "compiler.trace")),
    ("model", ("compiler.model", "compiler.env", "compiler.runtime", "compiler.placement.tuning",
               "compiler.lockfile")),
    ("engines", ("compiler.cpu", "compiler.placement.host", "compiler.placement.auto",
                 "compiler.placement.hmat", "compiler.sysinfo")),
    ("devices", ("compiler.devices",)),
    ("parse", ("compiler.parse", "compiler.placement.xml", "compiler.qemu_namespace")),
    ("passes", ("compiler.passes", "compiler.pipeline")),
    ("emit", ("compiler.emit",)),
    ("api", ("compiler.api", "compiler.explain")),
    ("commands", ("compiler.commands", "compiler.cli", "compiler.__main__", "compiler.probe",
                  "compiler.pytest_plugin",
                  "compiler.placement.capture", "compiler.placement.runner", "compiler.placement.lifecycle",
                  "compiler.placement.services",
                  "compiler.placement.threads")),
)
RANK = {name: i for i, (name, _) in enumerate(LAYERS)}

# (importing module, imported module): reason.  Keep it empty if at all possible.
ALLOWED: dict[tuple[str, str], str] = {}


def layer_of(module: str) -> str | None:
    best, best_len = None, -1
    for name, prefixes in LAYERS:
        for p in prefixes:
            exact = p.endswith("$")
            p = p.rstrip("$")
            hit = module == p or (not exact and module.startswith(p + "."))
            if hit and len(p) > best_len:
                best, best_len = name, len(p)
    return best


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(module: str, source: str, is_package: bool, known: set[str]) -> list[tuple[int, str]]:
    """(line, imported compiler module) for every import in ``source``, at any depth."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for a in node.names:  # "from compiler.devices import chardev" names a module
                sub = f"{target}.{a.name}"
                found.append((node.lineno, sub if sub in known else target))
    return sorted({(line, m) for line, m in found if m == "compiler" or m.startswith("compiler.")})


def violations(module: str, source: str, is_package: bool = False,
               known: set[str] = frozenset()) -> list[str]:
    """Imports of ``module`` that point up the layers, as 'module:line imports x (a -> b)'."""
    own = layer_of(module)
    out = []
    for line, target in imports(module, source, is_package, known):
        theirs = layer_of(target)
        if own is None or theirs is None:
            out.append(f"{module}:{line} imports {target}: no layer for "
                       f"{module if own is None else target} in LAYERS")
        elif RANK[theirs] > RANK[own] and (module, target) not in ALLOWED:
            out.append(f"{module}:{line} imports {target} ({own} -> {theirs}: upward)")
    return out


def catches_import_error(source: str) -> list[int]:
    """Lines of ``except ImportError`` (alone or in a tuple) in ``source``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            if any(isinstance(t, ast.Name) and t.id in ("ImportError", "ModuleNotFoundError")
                   for t in types):
                lines.append(node.lineno)
    return lines


def _modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_has_a_layer():
    missing = [m for m in _modules() if layer_of(m) is None]
    assert not missing, f"add these modules to LAYERS in {__file__}: {missing}"


def test_imports_point_down_the_layers():
    mods = _modules()
    known = set(mods)
    problems = []
    for module, path in mods.items():
        problems += violations(module, path.read_text(), path.name == "__init__.py", known)
    assert not problems, "\n".join(problems)


def test_allowed_exceptions_are_still_needed():
    """An exception that no import uses any more goes from ALLOWED."""
    mods = _modules()
    used = {(m, t) for m, p in mods.items()
            for _, t in imports(m, p.read_text(), p.name == "__init__.py", set(mods))}
    assert not set(ALLOWED) - used


def test_no_import_error_fallbacks():
    found = [f"{p}:{line}" for p in sorted(PACKAGE.rglob("*.py"))
             for line in catches_import_error(p.read_text())]
    assert not found, "modules import what they need; no ImportError fallbacks: " + ", ".join(found)


# --------------------------------------------------------------------------- self-checks


@pytest.mark.parametrize("module, source, line", [
    # a function-level relative import from the model up to emit
    ("compiler.model", "import enum\n\ndef f():\n    from .emit.argv import emit_argv\n", 4),
    # an absolute one from a device kind up to a pass
    ("compiler.devices.disk", "from compiler.passes.machine import canonicalize_machine\n", 1),
    # a plain import from a pass up to the API
    ("compiler.passes.pci", "x = 1\nimport compiler.api\n", 2),
    # emit reaching into commands from inside a class body
    ("compiler.emit.argv", "class A:\n    def m(self):\n        from ..commands import run\n", 3),
])
def test_checker_finds_an_upward_import(module, source, line):
    found = violations(module, source)
    assert len(found) == 1 and found[0].startswith(f"{module}:{line} ") and "upward" in found[0]


@pytest.mark.parametrize("module, source", [
    ("compiler.emit.argv", "from ..devices import DEVICE_KINDS\nfrom ..model import Domain\n"),
    ("compiler.passes.pci", "from .pci_buses import SLOTS\nfrom ..placement.tuning import EMPTY\n"),
    ("compiler.model", "from .placement.tuning import Tuning\nimport attrs\n"),
])
def test_checker_accepts_downward_and_sideways_imports(module, source):
    assert violations(module, source) == []


def test_checker_names_a_module_without_a_layer():
    found = violations("compiler.newthing", "from .model import Domain\n")
    assert found and "no layer for compiler.newthing" in found[0]


def test_checker_finds_import_error_fallbacks():
    src = ("try:\n    import a\nexcept ImportError:\n    a = None\n"
           "try:\n    import b\nexcept (OSError, ModuleNotFoundError):\n    b = None\n")
    assert catches_import_error(src) == [3, 7]

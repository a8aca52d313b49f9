"""pytest plugin: a directory of domain XMLs becomes one test per domain, each
comparing what domc compiles now with the golden beside it (``NAME.args``, or
``NAME.err`` for a domain that must be refused), as ``domc snapshot`` does.

It is installed with domc (entry point ``pytest11``, name ``domc``; ``-p no:domc``
switches it off) and does nothing until directories are named, in the ini file::

    [tool.pytest.ini_options]
    domc_snapshots = ["domains"]          # directories whose *.xml are tested
    domc_host_root = "hosts/prod-node"   # optional: --host-root, --host, --profile
    domc_host = "hosts/prod-cpu.xml"     #   for every compile (relative to the ini file)

or on the command line (``--domc-snapshots DIR``, ``--domc-host-root DIR``,
``--domc-host FILE``, ``--domc-profile FILE``).  pytest must still be pointed at the
directory (``pytest domains``, or list it in ``testpaths``).

``--domc-update`` rewrites the goldens that differ.  The name is domc's own because
syrupy, which many projects (domc's included) use, owns ``--snapshot-update``: two
plugins cannot register one option.  When syrupy is loaded its ``--snapshot-update``
updates these goldens too, so one flag accepts every snapshot of a run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

INI_DIRS = "domc_snapshots"
OPTIONS = (("host", "FILE", "host CPU for every compile: capabilities XML or a bare <cpu>"),
           ("host_root", "DIR", "captured /proc + /sys tree for every compile"),
           ("profile", "FILE", "QEMU capability profile for every compile"))


def pytest_addoption(parser) -> None:
    group = parser.getgroup("domc", "domc golden command lines")
    group.addoption("--domc-snapshots", action="append", default=[], metavar="DIR",
                    help="test every *.xml below DIR against its .args/.err golden (repeatable)")
    group.addoption("--domc-update", action="store_true", default=False,
                    help="rewrite the domc goldens that differ or are missing")
    parser.addini(INI_DIRS, type="paths", default=[],
                  help="directories whose *.xml files are tested against their domc goldens")
    for name, meta, what in OPTIONS:
        flag = "--domc-" + name.replace("_", "-")
        group.addoption(flag, default=None, metavar=meta, help=what)
        parser.addini(f"domc_{name}", default="", help=f"{what} (relative to the ini file)")


def _directories(config) -> list[Path]:
    dirs = [Path(p).resolve() for p in config.getini(INI_DIRS)]
    dirs += [Path(p).resolve() for p in config.getoption("domc_snapshots")]
    return dirs


def _setting(config, name: str) -> str | None:
    given = config.getoption(f"domc_{name}")
    if given:
        return given
    value = config.getini(f"domc_{name}")
    if not value:
        return None
    base = config.inipath.parent if config.inipath else config.rootpath
    return str(base / value)


def _updating(config) -> bool:
    # syrupy's --snapshot-update, when syrupy is there (read by its option string)
    return bool(config.getoption("domc_update") or config.getoption("--snapshot-update", False))


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix != ".xml":
        return None
    dirs = parent.config.stash.get(_DIRS, None)
    if dirs is None:
        dirs = parent.config.stash[_DIRS] = _directories(parent.config)
    path = file_path.resolve()
    if any(path.is_relative_to(d) for d in dirs):
        return DomainFile.from_parent(parent, path=file_path)
    return None


_DIRS = pytest.StashKey[list]()
_ENV = pytest.StashKey[object]()


class DomainFile(pytest.File):
    def collect(self):
        yield DomainItem.from_parent(self, name=self.path.stem)


class GoldenMismatch(Exception):
    pass


class DomainItem(pytest.Item):
    def _env(self):
        from .api import make_env

        config = self.config
        if _ENV not in config.stash:
            config.stash[_ENV] = make_env(_setting(config, "profile"), _setting(config, "host"),
                                          _setting(config, "host_root"))
        return config.stash[_ENV]

    def runtest(self) -> None:
        from .commands.snapshot import accept, compare

        outcome = compare(os.fspath(self.path), self._env())
        if outcome.same:
            return
        if _updating(self.config):
            accept(outcome)
            return
        raise GoldenMismatch(outcome.diff())

    def repr_failure(self, excinfo, style=None):
        from .diagnostics import DomcError

        if isinstance(excinfo.value, GoldenMismatch):
            return (f"{excinfo.value}\n(accept with --domc-update, or syrupy's --snapshot-update, "
                    "after reviewing the diff)")
        if isinstance(excinfo.value, DomcError):  # an option file that cannot be used
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"domc golden of {self.path.name}"

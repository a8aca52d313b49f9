"""A fleet of recorded hosts: which host-model guests can run where, and the best
CPU every host can run.

A host is a document (:mod:`compiler.cpu.documents`); a fleet is every host of the
files and directories named.  The engine works on the *distinct* CPUs only, as bit
sets over the feature table, so 100,000 hosts of a few dozen kinds cost a few
dozen decodes.

**Host-model guest of a host A** (what libvirt starts a ``<cpu mode='host-model'/>``
guest with on A, and what a migration sends along): A's features without those that
block migration (``invtsc``, ``xsaves``; libvirt's host-model leaves them out),
named by A's model - or, for the models libvirt keeps for hosts (the noTSX
Skylake/Cascadelake/Icelake), by the guest model that describes them - with A's
vendor.  It runs on host B exactly when ``domc cpu-compare --host B`` of that
``<cpu>`` is not INCOMPATIBLE: B has the vendor and every feature it requires.

**Classes**: hosts whose host-model guests can move between them both ways.  That
is an equivalence: both ways means the same vendor and the same migratable
features, so a class is a set of hosts with identical host-model guests, and the
matrix between classes is a partial order.
"""

from __future__ import annotations

from collections import Counter

from ..enums import CpuMatch
from .baseline import baseline
from .compare import Comparison, HostHas, Needs, compare_sets
from .decode import decode
from .documents import FileDocs, expand_paths, read_file
from .errors import fail
from .expand import check_vendor, find_model, offered
from .features import table
from .models import Catalogue, catalogue
from .xml import CpuDesc, CpuKind


class Kind:
    """One distinct host CPU of the fleet (hosts that describe the same CPU share it)."""

    __slots__ = ("cpu", "have", "vendor", "need", "guest", "_host_has")

    def __init__(self, cat: Catalogue, cpu: CpuDesc):
        if cpu.model is None:
            raise fail("host-cpu", "the host <cpu> names no model", *cpu.where)
        self.cpu = cpu
        self.have = offered(cat, cpu)
        vendor = check_vendor(cat, cpu)
        if vendor is None:
            vendor = find_model(cat, cpu.model, cpu.where).vendor
        self.vendor = vendor
        self.need = self.have & ~cat.non_migratable_mask
        self.guest: CpuDesc | None = None
        self._host_has: HostHas | None = None

    def host_has(self, cat: Catalogue) -> HostHas:
        if self._host_has is None:
            self._host_has = HostHas(cat, self.cpu)
        return self._host_has

    def host_model(self, cat: Catalogue) -> CpuDesc:
        """The host-model guest CPU of this host (see the module docstring)."""
        if self.guest is None:
            own = cat.get(self.cpu.model)
            preferred = own.name if own is not None and own.guest_decodable else None
            d = decode(cat, self.need, self.vendor, None, host=False, preferred=preferred, where=self.cpu.where)
            self.guest = CpuDesc(kind=CpuKind.GUEST, match=CpuMatch.EXACT, model=d.model.name,
                                 fallback="forbid", vendor=self.vendor, features=d.features(),
                                 file=self.cpu.file, line=self.cpu.line)
        return self.guest


class Host:
    """One recorded host: where it is, its CPU kind, the machine types its emulator
    offers (None: the document does not say)."""

    __slots__ = ("file", "line", "multi", "kind", "machines")

    def __init__(self, file: str, line: int, multi: bool, kind: int, machines):
        self.file, self.line, self.multi, self.kind, self.machines = file, line, multi, kind, machines

    @property
    def name(self) -> str:
        return f"{self.file}:{self.line}" if self.multi else self.file


class Fleet:
    """Every host of some files and directories, with their distinct CPUs.  Nothing is
    kept per host but its file's two arrays (document, line): counts and first
    appearances come from C-speed scans, host names only when output asks."""

    def __init__(self, paths: list[str], cat: Catalogue | None = None):
        self.cat = cat or catalogue()
        self.kinds: list[Kind] = []
        self.files: list[FileDocs] = []
        index: dict[CpuDesc, int] = {}
        self.doc_kinds: list[list[int]] = []  # file no -> its distinct documents' kinds
        self.size: list[int] = []  # kind -> hosts
        self.first: list[tuple[int, int]] = []  # kind -> (file no, position) of its first host
        for path in expand_paths(paths):
            docs = read_file(path)
            docs.require_cpus()
            fno = len(self.files)
            self.files.append(docs)
            counts = Counter(docs.order)
            doc_kind = []
            for i, d in enumerate(docs.docs):
                if len(d.cpus) != 1:
                    line = d.cpus[1].line if d.cpus else docs.lines[docs.order.index(i)]
                    raise fail("cpu-missing" if not d.cpus else "cpu-many",
                               f"a recorded host is a document with one host CPU; <{d.tag}> has "
                               f"{len(d.cpus)}", path, line)
                cpu = d.cpus[0]
                k = index.get(cpu)
                if k is None:
                    k = index[cpu] = len(self.kinds)
                    self.kinds.append(Kind(self.cat, cpu))
                    self.size.append(0)
                    # documents are numbered by first appearance: a new kind starts here
                    self.first.append((fno, docs.order.index(i)))
                self.size[k] += counts[i]
                doc_kind.append(k)
            self.doc_kinds.append(doc_kind)
        if not self.kinds:
            raise fail("cpu-missing", "no recorded hosts", paths[0] if paths else "<input>", 0)

    def __len__(self) -> int:
        return sum(self.size)

    def host_names(self, kind: int, limit: int | None = None) -> list[str]:
        """The hosts of a kind, in input order (at most ``limit``)."""
        out: list[str] = []
        for fno, docs in enumerate(self.files):
            mine = [i for i, k in enumerate(self.doc_kinds[fno]) if k == kind]
            if not mine:
                continue
            multi = len(docs) > 1
            if limit is None:
                wanted = set(mine)
                positions = [n for n, i in enumerate(docs.order) if i in wanted]
            else:  # the first few of each document, found by C-speed scans
                positions = []
                for i in mine:
                    n = -1
                    for _ in range(limit - len(out)):
                        try:
                            n = docs.order.index(i, n + 1)
                        except ValueError:
                            break
                        positions.append(n)
                positions = sorted(positions)[:limit - len(out)]
            out += [f"{docs.path}:{docs.lines[n]}" if multi else docs.path for n in positions]
            if limit is not None and len(out) >= limit:
                break
        return out

    def names_by_kind(self) -> list[list[str]]:
        """Every host's name, by kind, in input order (one pass)."""
        out: list[list[str]] = [[] for _ in self.kinds]
        for fno, docs in enumerate(self.files):
            kinds, path, lines = self.doc_kinds[fno], docs.path, docs.lines
            if len(docs) == 1:
                out[kinds[docs.order[0]]].append(path)
                continue
            for n, i in enumerate(docs.order):
                out[kinds[i]].append(f"{path}:{lines[n]}")
        return out

    def hosts(self):
        """Every host, in input order."""
        for fno, docs in enumerate(self.files):
            multi = len(docs) > 1
            kinds = self.doc_kinds[fno]
            for n, i in enumerate(docs.order):
                yield Host(docs.path, docs.lines[n], multi, kinds[i], docs.docs[i].machines)


# --------------------------------------------------------------------------- classes and matrix

class FleetClass:
    __slots__ = ("number", "kinds", "vendor", "need", "size")

    def __init__(self, number: int, kinds: list[int], vendor: str | None, need: int, size: int):
        self.number, self.kinds, self.vendor, self.need, self.size = number, kinds, vendor, need, size


def classes(fleet: Fleet) -> list[FleetClass]:
    """Kinds with identical host-model guests, numbered by first appearance."""
    by_key: dict[tuple, FleetClass] = {}
    out: list[FleetClass] = []
    first_seen = sorted(range(len(fleet.kinds)), key=lambda k: _first(fleet, k))
    for k in first_seen:
        kind = fleet.kinds[k]
        key = (kind.vendor, kind.need)
        c = by_key.get(key)
        if c is None:
            c = by_key[key] = FleetClass(len(out) + 1, [], kind.vendor, kind.need, 0)
            out.append(c)
        c.kinds.append(k)
        c.size += fleet.size[k]
    return out


def _first(fleet: Fleet, k: int) -> tuple[int, int]:
    return fleet.first[k]


def runs_on(cat: Catalogue, guest: Kind, target: Kind) -> Comparison:
    """Whether ``guest``'s host-model guest runs on ``target`` (cpu-compare's verdict)."""
    return compare_sets(target.host_has(cat), Needs(cat, guest.host_model(cat)))


def matrix(fleet: Fleet, cls: list[FleetClass]) -> list[list[Comparison]]:
    """``m[i][j]``: the host-model guest of class i on the hosts of class j."""
    cat = fleet.cat
    reps = [fleet.kinds[c.kinds[0]] for c in cls]
    return [[runs_on(cat, a, b) for b in reps] for a in reps]


# --------------------------------------------------------------------------- baselines

def distinct_cpus(paths: list[str]) -> tuple[list[CpuDesc], list[int]]:
    """The distinct CPUs of some files/directories in order of first appearance, and
    what each offers (for :func:`compiler.cpu.baseline.baseline`)."""
    cat = catalogue()
    seen: dict[CpuDesc, None] = {}
    for path in expand_paths(paths):
        docs = read_file(path)
        docs.require_cpus()
        for d in docs.docs:  # distinct documents, in order of first appearance
            for cpu in d.cpus:
                seen.setdefault(cpu, None)
    cpus = list(seen)
    return cpus, [offered(cat, c) for c in cpus]


def fleet_baseline(cpus: list[CpuDesc], offers: list[int] | None = None, *, expand: bool = False,
                   migratable: bool = False, cat: Catalogue | None = None):
    """cpu-baseline of ``cpus``; for CPUs of two vendors the rendered diagnostic (a
    string: a negative answer, exit 1 as virsh) instead of a CPU."""
    try:
        return baseline(cat or catalogue(), cpus, expand=expand, migratable=migratable, offers=offers)
    except Exception as exc:
        from ..diagnostics import DomcError

        if not isinstance(exc, DomcError) or exc.diagnostics[0].code != "cpu-vendor-mix":
            raise
        return exc.diagnostics[0].render()


def vendor_groups(fleet: Fleet, cls: list[FleetClass]) -> list[tuple[str | None, list[FleetClass]]]:
    groups: dict[str | None, list[FleetClass]] = {}
    for c in cls:
        groups.setdefault(c.vendor, []).append(c)
    return list(groups.items())


def best_cpu(fleet: Fleet, classes_: list[FleetClass], *, expand: bool = False, migratable: bool = False):
    """cpu-baseline of the hosts of some classes (their distinct CPUs, in order of first
    appearance); the rendered ``cpu-vendor-mix`` diagnostic when vendors mix."""
    kinds = sorted((k for c in classes_ for k in c.kinds), key=lambda k: _first(fleet, k))
    return fleet_baseline([fleet.kinds[k].cpu for k in kinds], [fleet.kinds[k].have for k in kinds],
                          expand=expand, migratable=migratable, cat=fleet.cat)


def missing_names(cmp: Comparison) -> tuple[str, ...]:
    return table().names(cmp.missing)


def why_not(cmp: Comparison) -> str:
    """The first reason of an INCOMPATIBLE verdict, and the missing features when that
    reason does not name them."""
    names = missing_names(cmp)
    if names and "required features" not in cmp.reasons[0]:
        return f"{cmp.reasons[0]}; missing features: {', '.join(names)}"
    return cmp.reasons[0]


__all__ = ["Fleet", "FleetClass", "Kind", "Host", "classes", "matrix", "runs_on", "distinct_cpus",
           "fleet_baseline", "best_cpu", "vendor_groups", "missing_names", "why_not"]

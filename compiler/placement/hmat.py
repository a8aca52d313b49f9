"""Guest NUMA HMAT (ACPI Heterogeneous Memory Attribute Table): reading
``<cell><cache>`` and ``<numa><interconnects>``, libvirt 9.0's checks on them, and
the initiator it gives each guest NUMA cell.

What libvirt 9.0 does, as measured against it (virDomainNumaDefParseXML,
virDomainNumaDefValidate, virDomainNumaGetNodeInitiator):

* a cache's ``<size value=>`` is read as KiB and its ``<line value=>`` as bytes,
  whatever ``unit`` they carry (libvirt looks the unit up as an element, never
  finds one, and uses the default).  domc does the same, so the guest sees what it
  would under libvirt, and warns that the unit is not used;
* a bandwidth honours its ``unit`` (default KiB) and is rounded up to KiB;
* a latency's ``cache`` of 0 (or none) means the cell's memory;
* unknown children of ``<interconnects>`` are skipped.

A cell's initiator is the cell itself when it has vCPUs; else the initiator of the
lowest latency to it, else of the highest bandwidth to it (libvirt compares
against 32-bit running values, so larger numbers never win), else the first cell
that has vCPUs.  Distances play no part.
"""

from __future__ import annotations

from ..diagnostics import Collector, Diagnostic, Severity
from ..model import (AccessType, CacheAssociativity, CachePolicy, Cpu, LinkKind, NumaCache,
                     NumaCell, NumaLink)
from ..xmlread import MAX_BYTES, Reader

UINT_MAX = 2**32 - 1
ULLONG_MAX = 2**64 - 1
MAX_CACHE_LEVEL = 3  # QEMU's hierarchies: memory, first-, second-, third-level
HIERARCHY = ("memory", "first-level", "second-level", "third-level")


# --------------------------------------------------------------------------- reading


def _unitless_value(cache: Reader, tag: str, base: str, accepted: tuple[str, ...], hi: int,
                    notes: list[Diagnostic]) -> int:
    el = cache.child(tag)
    if el is None or el.attr("value") is None:
        raise cache.error("missing-value", f"<cache> needs <{tag} value='...'>")
    value = el.attr_int("value", hi=hi)
    unit = el.attr("unit")
    if unit is not None and unit.lower() not in accepted:
        notes.append(Diagnostic(
            "hmat-unit", f"unit={unit!r} of <{tag}> is not used: libvirt 9.0 reads a cache "
            f"{tag} as {base}, so the guest gets {value} {base}", el.span, Severity.WARNING))
    return value


def read_caches(cell: Reader, notes: list[Diagnostic]) -> tuple[NumaCache, ...]:
    """The ``<cache>`` children of one ``<cell>``; warnings go to ``notes``."""
    out = []
    for c in cell.children("cache"):
        c.require("level")
        level = c.attr_int("level", lo=1, hi=UINT_MAX)
        c.require("associativity")
        assoc = c.attr_enum("associativity", CacheAssociativity)
        c.require("policy")
        policy = c.attr_enum("policy", CachePolicy)
        size = _unitless_value(c, "size", "KiB", ("k", "kib"), MAX_BYTES // 1024, notes)
        line = _unitless_value(c, "line", "bytes", ("b", "bytes"), ULLONG_MAX, notes)
        out.append(NumaCache(level, assoc, policy, size, line, span=c.span))
    return tuple(out)


def _link(el: Reader, kind: LinkKind) -> NumaLink:
    el.require("value")
    if kind is LinkKind.LATENCY:
        value = el.attr_int("value", hi=ULLONG_MAX)
    else:
        value = el.attr_memory_kib("value")
    el.require("initiator")
    initiator = el.attr_int("initiator", hi=UINT_MAX)
    el.require("target")
    target = el.attr_int("target", hi=UINT_MAX)
    cache = el.attr_int("cache", 0, hi=UINT_MAX)
    el.require("type")
    access = el.attr_enum("type", AccessType)
    return NumaLink(kind, initiator, target, access, value, cache, span=el.span)


def read_interconnects(numa: Reader, notes: list[Diagnostic]) -> tuple[NumaLink, ...]:
    """The ``<latency>`` and ``<bandwidth>`` entries of ``<interconnects>``, in
    document order; other children are skipped with a warning, as libvirt skips them."""
    ic = numa.child("interconnects")
    if ic is None:
        return ()
    out = []
    for el in ic.children():
        try:
            kind = LinkKind(el.tag)
        except ValueError:
            notes.append(Diagnostic("ignored", f"element <{el.tag}> of <interconnects> is not "
                                    "used by domc (nor by libvirt)", el.span, Severity.WARNING))
            continue
        out.append(_link(el, kind))
    return tuple(out)


# --------------------------------------------------------------------------- queries


def has_hmat(cpu: Cpu | None) -> bool:
    """Whether the guest gets an HMAT (-machine hmat=on): any interconnect or cache."""
    if cpu is None:
        return False
    return bool(cpu.interconnects) or any(c.caches for c in cpu.numa)


def _has_cpus(cell: NumaCell) -> bool:
    return bool(cell.cpus.strip())


def node_initiator(cpu: Cpu, cell_id: int) -> int | None:
    """The initiator libvirt gives guest NUMA cell ``cell_id`` (None: no cell has vCPUs)."""
    cells = sorted(cpu.numa, key=lambda c: c.id)
    by_id = {c.id: c for c in cells}
    if cell_id in by_id and _has_cpus(by_id[cell_id]):
        return cell_id
    min_latency, by_latency = UINT_MAX, None
    max_bandwidth, by_bandwidth = 0, None
    for link in cpu.interconnects:
        if link.target != cell_id:
            continue
        if link.kind is LinkKind.LATENCY and link.value < min_latency:
            min_latency, by_latency = link.value & UINT_MAX, link.initiator
        elif link.kind is LinkKind.BANDWIDTH and link.value > max_bandwidth:
            max_bandwidth, by_bandwidth = link.value & UINT_MAX, link.initiator
    if by_latency is not None:
        return by_latency
    if by_bandwidth is not None:
        return by_bandwidth
    return next((c.id for c in cells if _has_cpus(c)), None)


def hierarchy(link: NumaLink) -> str:
    return HIERARCHY[link.cache]


# --------------------------------------------------------------------------- checks


def _describe(link: NumaLink) -> str:
    return f"<{link.kind.value} initiator='{link.initiator}' target='{link.target}'>"


def check_hmat(cpu: Cpu | None, diag: Collector) -> None:
    """libvirt's checks of caches and interconnects (run after the vCPUs left out of
    every cell went to cell 0, as libvirt's post-parse puts them there)."""
    if cpu is None:
        return
    by_id = {c.id: c for c in cpu.numa}
    for cell in cpu.numa:
        seen: set[int] = set()
        for cache in cell.caches:
            if cache.level > MAX_CACHE_LEVEL:
                diag.error("hmat-cache-level", f"<cache level='{cache.level}'>: the levels are 1 "
                           f"to {MAX_CACHE_LEVEL}", cache.span)
            elif cache.level in seen:
                diag.error("duplicate", f"cache level {cache.level} of NUMA cell {cell.id} is "
                           "given more than once", cache.span)
            seen.add(cache.level)
    earlier: list[NumaLink] = []
    for link in cpu.interconnects:
        _check_link(link, by_id, earlier, diag)
        earlier.append(link)


def _check_link(link: NumaLink, by_id: dict[int, NumaCell], earlier: list[NumaLink],
                diag: Collector) -> None:
    what = _describe(link)
    for role, cell_id in (("initiator", link.initiator), ("target", link.target)):
        if cell_id not in by_id:
            have = ",".join(str(i) for i in sorted(by_id))
            diag.error("hmat-cell", f"{what}: {role} {cell_id} is not a guest NUMA cell "
                       f"(cells: {have})", link.span)
            return
    if not _has_cpus(by_id[link.initiator]):
        diag.error("hmat-initiator", f"{what}: NUMA cell {link.initiator} has no vCPUs, so it "
                   "cannot be an initiator", link.span)
        return
    if link.cache and not any(c.level == link.cache for c in by_id[link.target].caches):
        diag.error("hmat-cache", f"{what}: cache='{link.cache}' but NUMA cell {link.target} has "
                   f"no level {link.cache} <cache>", link.span)
        return
    for other in earlier:
        if (other.kind, other.initiator, other.target, other.cache, other.access) == (
                link.kind, link.initiator, link.target, link.cache, link.access):
            diag.error("duplicate", f"{what}: the {link.access.value} {link.kind.value} of "
                       f"this link (cache {link.cache}) is given more than once", link.span)
            return
        if link.initiator != link.target and (other.initiator, other.target) == (
                link.target, link.initiator):
            diag.error("hmat-link", f"{what}: the link between cells {link.target} and "
                       f"{link.initiator} is already described from {link.target} to "
                       f"{link.initiator} (line {other.span.line}); libvirt takes each link "
                       "in one direction only", link.span)
            return

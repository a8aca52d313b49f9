"""Offline migration check: can a domain, as it runs on its source host, be moved to
each of some recorded target hosts?

The guest CPU a migration carries along, by the domain's ``<cpu>`` mode:

- custom (or no mode): the model and features as written, the ``optional`` ones the
  source host has and, for ``match='minimum'``, every feature of the source; checked
  on a target as ``cpu-compare`` checks it;
- host-model: a live definition (one that names a model: libvirt writes the
  resolved CPU into a running domain's XML) is checked as custom; otherwise the
  source host's host-model guest (:mod:`compiler.cpu.fleet`), exactly what
  ``cpu-matrix`` checks;
- host-passthrough / maximum: the source host's own CPU (without the features that
  block migration unless ``migratable='off'``): a target needs all of it;
- no ``<cpu>``: the machine type's default CPU model as QEMU started it on the
  source: without the features the source lacks.

The machine type is canonicalized on the source's QEMU profile (``pc`` ->
``pc-i440fx-7.2``: the versioned type is what migrates) and must be offered by the
target: the machine types of its capabilities document, or of the profile for a
target file that names none.
"""

from __future__ import annotations

from ..enums import CpuMatch, CpuMode, FeaturePolicy
from .compare import Comparison, Needs, compare_sets
from .errors import fail
from .expand import policy_mask
from .fleet import Kind
from .models import Catalogue
from .xml import CpuDesc, CpuKind, parse_cpu
from ..xmllight import read_light


class DomainFacts:
    """What a migration check needs of a domain: its ``<cpu>`` and machine type."""

    __slots__ = ("path", "cpu", "migratable", "machine", "machine_line")

    def __init__(self, path: str, cpu: CpuDesc | None, migratable: str | None, machine: str | None,
                 machine_line: int):
        self.path, self.cpu, self.migratable = path, cpu, migratable
        self.machine, self.machine_line = machine, machine_line


def read_domain(path: str) -> DomainFacts:
    from ..inputs import read_input_file
    from ..xmllight import MAX_BYTES

    root = read_light(read_input_file(path, MAX_BYTES), path)
    if root.tag != "domain":
        raise fail("not-a-domain", f"expected <domain>, found <{root.tag}>", path, root.sourceline)
    cpus = root.findall("cpu")
    cpu = parse_cpu(cpus[0], path, CpuKind.GUEST) if cpus else None
    t = root.find("os/type")
    machine = t.get("machine") if t is not None else None
    return DomainFacts(path, cpu, cpus[0].get("migratable") if cpus else None, machine,
                       t.sourceline if t is not None else root.sourceline)


class GuestCpu:
    """The CPU a migration of the domain carries, as requirements on a target."""

    __slots__ = ("needs", "cpu", "describe")

    def __init__(self, needs: Needs, cpu: CpuDesc | None, describe: str):
        self.needs, self.cpu, self.describe = needs, cpu, describe


def guest_cpu(cat: Catalogue, dom: DomainFacts, source: Kind | None, default_model: str) -> GuestCpu:
    """``source``: the source host (needed for host-model without a model,
    host-passthrough, maximum, ``optional`` features and ``match='minimum'``)."""
    cpu = dom.cpu
    if cpu is None or (cpu.mode is CpuMode.CUSTOM and cpu.model is None and not cpu.features):
        # QEMU's default model, less what the source lacks (dropped when the guest started,
        # as nothing asks QEMU to enforce it)
        desc = CpuDesc(kind=CpuKind.GUEST, match=CpuMatch.EXACT, model=default_model, file=dom.path,
                       line=cpu.line if cpu else 0)
        needs = Needs(cat, desc)
        src = _need_source(source, desc)
        needs.require &= src.have
        return GuestCpu(needs, desc, f"{default_model} (the machine type's default) on {src.cpu.file}")
    if cpu.mode is CpuMode.HOST_MODEL and cpu.model is not None:
        cpu = cpu.replace(mode=CpuMode.CUSTOM, match=CpuMatch.EXACT)  # a running domain's resolved CPU
    if cpu.mode is CpuMode.HOST_MODEL:
        src = _need_source(source, cpu)
        guest = src.host_model(cat)
        needs = Needs(cat, guest)
        _adjust(needs, cpu, src)  # <feature> children adjust the host-model CPU
        return GuestCpu(needs, guest, f"host-model of {src.cpu.file}: {guest.model}")
    if cpu.mode in (CpuMode.HOST_PASSTHROUGH, CpuMode.MAXIMUM):
        src = _need_source(source, cpu)
        # QEMU's -cpu host/max leaves the features that block migration out unless told
        # migratable=off
        needs = Needs.of(src.vendor, src.have if dom.migratable == "off" else src.need)
        _adjust(needs, cpu, src)
        return GuestCpu(needs, None, f"{cpu.mode.value}: the CPU of {src.cpu.file} ({src.cpu.model})")
    cpu = cpu.replace(mode=CpuMode.CUSTOM, model=cpu.model or default_model)
    needs = Needs(cat, cpu)
    optional = policy_mask(cpu, FeaturePolicy.OPTIONAL)
    if optional or cpu.match is CpuMatch.MINIMUM:
        src = _need_source(source, cpu)
        if optional:  # resolved on the source when the guest started
            needs.require |= optional & src.have
            needs.ignore &= ~(optional & src.have)
        if cpu.match is CpuMatch.MINIMUM:  # the guest got every feature of the source
            needs.require |= src.have & ~needs.ignore & ~needs.forbid
            needs.strict = False
    return GuestCpu(needs, cpu, f"{cpu.model} (custom)")


def _adjust(needs: Needs, cpu: CpuDesc, src: Kind) -> None:
    """The ``<feature>`` children of a host-model / host-passthrough CPU."""
    if not cpu.features:
        return
    enable = policy_mask(cpu, FeaturePolicy.REQUIRE) | policy_mask(cpu, FeaturePolicy.FORCE)
    optional = policy_mask(cpu, FeaturePolicy.OPTIONAL) & src.have
    disable = policy_mask(cpu, FeaturePolicy.DISABLE) | policy_mask(cpu, FeaturePolicy.OPTIONAL) & ~src.have
    forbid = policy_mask(cpu, FeaturePolicy.FORBID)
    needs.require = (needs.require | enable | optional) & ~(disable | forbid)
    needs.forbid |= forbid


def _need_source(source: Kind | None, cpu: CpuDesc) -> Kind:
    if source is None:
        raise fail("host-cpu", f"a {cpu.mode.value} CPU needs its source host (--from)", *cpu.where)
    return source


class MachineCheck:
    __slots__ = ("name", "available", "offered_by")

    def __init__(self, name: str, available: bool, offered_by: str):
        self.name, self.available, self.offered_by = name, available, offered_by


def source_needed(dom: DomainFacts) -> bool:
    """Whether the domain's CPU depends on the host it runs on."""
    cpu = dom.cpu
    if cpu is None or (cpu.mode is CpuMode.CUSTOM and cpu.model is None and not cpu.features):
        return True
    if cpu.mode in (CpuMode.HOST_PASSTHROUGH, CpuMode.MAXIMUM):
        return True
    if cpu.mode is CpuMode.HOST_MODEL:
        return cpu.model is None or any(f.policy is FeaturePolicy.OPTIONAL for f in cpu.features)
    return cpu.match is CpuMatch.MINIMUM or any(f.policy is FeaturePolicy.OPTIONAL for f in cpu.features)


def machines_of(host, profile) -> tuple[frozenset[str], str]:
    """The machine types a target offers, and where that comes from: 'capabilities' (its
    document lists them) or 'profile' (the QEMU profile's, for a document that does not)."""
    if host.machines:
        return host.machines, "capabilities"
    names = set()
    for m in profile.machines:
        names.add(m.name)
        if m.alias:
            names.add(m.alias)
    return frozenset(names), "profile"


def check_machine(canonical: str, offered: frozenset[str], source: str) -> MachineCheck:
    return MachineCheck(canonical, canonical in offered, source)


def check_cpu(cat: Catalogue, guest: GuestCpu, target: Kind) -> Comparison:
    return compare_sets(target.host_has(cat), guest.needs)

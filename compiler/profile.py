"""The emulator capability profile: what one QEMU binary offers.

``load_profile()`` reads the embedded default (``compiler/tables/qemu-7.2.json``,
made by ``domc probe`` from Debian's QEMU 7.2), another embedded version
(``qemu='8.0'``: ``compiler/tables/qemu-8.0.json``, derived from libvirt's
recorded QMP replies by tools/profiles_from_replies.py) or a file the user names.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from .record import evolve, frozen

from .diagnostics import Span, fail
from .inputs import read_json_file

DEFAULT_PROFILE = "qemu-7.2.json"
DEFAULT_VERSION = "7.2"
_EMBEDDED_RE = re.compile(r"^qemu-(\d+)\.(\d+)\.json$")


@frozen
class Machine:
    name: str
    alias: str | None = None
    is_default: bool = False
    default_cpu_type: str | None = None
    max_cpus: int | None = None
    deprecated: bool = False


@frozen
class CpuModelDef:
    """A named CPU model as QEMU reports it.  ``features`` are QEMU property names
    (the static expansion's enabled CPUID features); compiler.cpu maps them to
    libvirt's names."""

    name: str
    alias_of: str | None = None
    vendor: str | None = None
    family: int | None = None
    model: int | None = None
    stepping: int | None = None
    model_id: str | None = None
    features: tuple[str, ...] = ()
    static: bool = False
    migration_safe: bool = False
    deprecated: bool = False
    unavailable_tcg: tuple[str, ...] = ()
    # False: the profile does not know the model's features (a profile derived from a
    # recording that has no static expansion of it): only its name is known
    features_known: bool = True


@frozen
class FirmwareTarget:
    architecture: str
    machines: tuple[str, ...] = ()  # globs, e.g. "pc-q35-*"


@frozen
class FirmwareDescriptor:
    """One QEMU firmware descriptor (docs/interop/firmware.json), as probed.
    ``file`` is the descriptor's file name: libvirt tries them in that order."""

    file: str
    interface_types: tuple[str, ...]
    device: str  # flash, memory, kernel
    targets: tuple[FirmwareTarget, ...] = ()
    features: tuple[str, ...] = ()
    mode: str | None = None  # flash only: split, combined, stateless
    executable: str | None = None
    executable_format: str | None = None
    nvram_template: str | None = None
    nvram_template_format: str | None = None


@frozen
class AccelCpu:
    """What an accelerator can give a guest, as QEMU answers it (the static expansion of
    'host' under KVM, of 'max' under TCG): libvirt's source for host-model.  Features
    are QEMU property names; ``non_migratable`` ones only a guest that may not migrate
    gets."""

    accel: str  # kvm, tcg
    vendor: str | None = None  # the CPUID vendor string
    family: int | None = None
    model: int | None = None
    stepping: int | None = None
    features: tuple[str, ...] = ()
    non_migratable: tuple[str, ...] = ()
    # model name -> the features this accelerator cannot give it (QEMU names)
    blockers: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def blockers_of(self, model: str) -> tuple[str, ...]:
        return next((b for name, b in self.blockers if name == model), ())

    @classmethod
    def from_dict(cls, d: dict) -> "AccelCpu":
        return cls(accel=str(d["accel"]), vendor=d.get("vendor"), family=d.get("family"),
                   model=d.get("model"), stepping=d.get("stepping"),
                   features=tuple(d.get("features", ())),
                   non_migratable=tuple(d.get("non_migratable", ())),
                   blockers=tuple(sorted((str(k), tuple(v))
                                         for k, v in d.get("blockers", {}).items())))


@frozen
class Profile:
    emulator_version: str
    arch: str
    machines: tuple[Machine, ...]
    cpu_models: tuple[CpuModelDef, ...]
    firmware: tuple[FirmwareDescriptor, ...] = ()
    # boolean properties of the CPU type (feature names '-cpu' accepts); None: a
    # profile probed before they were recorded, every feature is assumed settable
    cpu_properties: frozenset[str] | None = None
    # the QEMU release the profile stands for, when the emulator's own version does
    # not say it (libvirt recorded its "8.0.0" capabilities from QEMU 7.2.50, the
    # development tree that became 8.0)
    release: str | None = None
    # host-model's sources by accelerator: 'tcg' depends on the binary only; 'kvm' on the
    # machine that probed it (a profile probed where /dev/kvm works has it)
    accel_cpus: tuple[AccelCpu, ...] = ()

    def accel_cpu(self, accel: str) -> AccelCpu | None:
        return next((a for a in self.accel_cpus if a.accel == accel), None)

    def cpu_property(self, qemu_name: str) -> bool:
        """Whether ``-cpu MODEL,+qemu_name`` names a property this QEMU has."""
        return self.cpu_properties is None or qemu_name in self.cpu_properties

    @property
    def version(self) -> str:
        """``major.minor`` of the QEMU release (the name of an embedded profile)."""
        return self.release or ".".join(self.emulator_version.split(".")[:2])

    def machine_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.machines)

    def machine(self, name: str) -> Machine | None:
        return _machine_index(self.machines)[1].get(self.canonical_machine(name))

    def canonical_machine(self, name: str | None) -> str | None:
        """``pc`` -> ``pc-i440fx-7.2``; a full name stays; unknown -> None.
        ``None`` asks for the emulator's default machine."""
        return _machine_index(self.machines)[0].get(name)

    def default_cpu_type(self, machine: str | None) -> str | None:
        m = self.machine(machine) if machine is not None else self.machine(self.canonical_machine(None))
        return m.default_cpu_type if m else None

    def cpu_model(self, name: str) -> CpuModelDef | None:
        for c in self.cpu_models:
            if c.name == name:
                return c
        return None

    def cpu_model_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.cpu_models)


# id(machines) -> (machines, {name or alias or None: canonical name}, {name: Machine});
# the tuple is kept so its id stays its own.  A compile asks the machine tables four or
# five times; scanning the ~60 machines each time cost 2% of it.
_MACHINE_INDEXES: dict[int, tuple] = {}


def _machine_index(machines: tuple[Machine, ...]) -> tuple[dict, dict]:
    """What canonical_machine and machine answer, for a profile's machines: the first
    machine (in the profile's order) of a name or alias, and the first default one."""
    hit = _MACHINE_INDEXES.get(id(machines))
    if hit is None or hit[0] is not machines:
        canonical: dict[str | None, str] = {}
        by_name: dict[str, Machine] = {}
        for m in machines:
            if m.is_default:
                canonical.setdefault(None, m.name)
            canonical.setdefault(m.name, m.name)
            if m.alias is not None:
                canonical.setdefault(m.alias, m.name)
            by_name.setdefault(m.name, m)
        hit = _MACHINE_INDEXES[id(machines)] = (machines, canonical, by_name)
    return hit[1], hit[2]


def _from_dict(data: dict) -> Profile:
    machines = tuple(
        Machine(
            name=m["name"], alias=m.get("alias"), is_default=bool(m.get("is_default")),
            default_cpu_type=m.get("default_cpu_type"), max_cpus=m.get("max_cpus"),
            deprecated=bool(m.get("deprecated")),
        )
        for m in data["machines"]
    )
    models = tuple(
        CpuModelDef(
            name=c["name"], alias_of=c.get("alias_of"), vendor=c.get("vendor"),
            family=c.get("family"), model=c.get("model"), stepping=c.get("stepping"),
            model_id=c.get("model_id"), features=tuple(c.get("features", ())),
            static=bool(c.get("static")), migration_safe=bool(c.get("migration_safe")),
            deprecated=bool(c.get("deprecated")),
            unavailable_tcg=tuple(c.get("unavailable_tcg", ())),
            features_known="features" in c,
        )
        for c in data.get("cpu_models", ())
    )
    firmware = tuple(
        FirmwareDescriptor(
            file=f["file"], interface_types=tuple(f["interface_types"]), device=f["device"],
            targets=tuple(FirmwareTarget(t["architecture"], tuple(t.get("machines", ())))
                          for t in f.get("targets", ())),
            features=tuple(f.get("features", ())), mode=f.get("mode"),
            executable=f.get("executable"), executable_format=f.get("executable_format"),
            nvram_template=f.get("nvram_template"),
            nvram_template_format=f.get("nvram_template_format"),
        )
        for f in data.get("firmware", ())
    )
    return Profile(
        emulator_version=str(data.get("emulator_version", "")),
        arch=str(data.get("arch", "x86_64")),
        machines=machines,
        cpu_models=models,
        firmware=firmware,
        cpu_properties=(frozenset(data["cpu_properties"]) if "cpu_properties" in data else None),
        release=data.get("release"),
        accel_cpus=tuple(_with_tcg_blockers(AccelCpu.from_dict(a), models)
                         for a in data.get("accel_cpus", ())),
    )


def _with_tcg_blockers(acc: AccelCpu, models: tuple[CpuModelDef, ...]) -> AccelCpu:
    """TCG's blockers are the models' ``unavailable_tcg``: a profile keeps them once."""
    if acc.accel != "tcg" or acc.blockers:
        return acc
    return evolve(acc, blockers=tuple(sorted((m.name, m.unavailable_tcg) for m in models
                                             if m.unavailable_tcg)))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


@cache
def embedded_versions() -> tuple[str, ...]:
    """The QEMU versions with an embedded profile, oldest first."""
    names = (f.name for f in resources.files("compiler.tables").iterdir())
    found = [f"{m[1]}.{m[2]}" for n in names if (m := _EMBEDDED_RE.match(n))]
    return tuple(sorted(found, key=_version_key))


@cache
def _embedded(version: str) -> Profile:
    text = resources.files("compiler.tables").joinpath(f"qemu-{version}.json").read_text("utf-8")
    return _from_dict(json.loads(text))


def load_profile(path: str | None = None, qemu: str | None = None) -> Profile:
    """The profile in ``path``, the embedded one of QEMU version ``qemu`` ("8.0"), or
    the embedded default (each embedded profile is loaded once)."""
    if path is None:
        version = DEFAULT_VERSION if qemu is None else qemu
        if version not in embedded_versions():
            raise fail("unknown-qemu", f"no embedded profile of QEMU {version}; embedded: "
                       f"{', '.join(embedded_versions())} (or give --profile FILE from "
                       "`domc probe`)")
        return _embedded(version)
    data = read_json_file(path)
    try:
        return _from_dict(data)
    except (KeyError, TypeError, AttributeError) as exc:
        raise fail("profile-schema", f"not a domc profile: missing or bad {exc}", Span(path)) from None

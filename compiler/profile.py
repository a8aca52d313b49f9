"""The emulator capability profile: what one QEMU binary offers.

``load_profile()`` reads the embedded default (``compiler/tables/qemu-7.2.json``,
made by ``domc probe`` from Debian's QEMU 7.2) or a file the user names.
"""

from __future__ import annotations

from attrs import frozen

from .diagnostics import Span, fail
from .inputs import read_json_file
from .tables import DEFAULT_PROFILE, read_json


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
class Profile:
    emulator_version: str
    arch: str
    machines: tuple[Machine, ...]
    cpu_models: tuple[CpuModelDef, ...]
    firmware: tuple[FirmwareDescriptor, ...] = ()
    # boolean properties of the CPU type (feature names '-cpu' accepts); None: a
    # profile probed before they were recorded, every feature is assumed settable
    cpu_properties: frozenset[str] | None = None

    def cpu_property(self, qemu_name: str) -> bool:
        """Whether ``-cpu MODEL,+qemu_name`` names a property this QEMU has."""
        return self.cpu_properties is None or qemu_name in self.cpu_properties

    def machine_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.machines)

    def machine(self, name: str) -> Machine | None:
        canonical = self.canonical_machine(name)
        for m in self.machines:
            if m.name == canonical:
                return m
        return None

    def canonical_machine(self, name: str | None) -> str | None:
        """``pc`` -> ``pc-i440fx-7.2``; a full name stays; unknown -> None.
        ``None`` asks for the emulator's default machine."""
        for m in self.machines:
            if name is None and m.is_default:
                return m.name
            if name is not None and (m.name == name or m.alias == name):
                return m.name
        return None

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
    )


_DEFAULT: Profile | None = None


def load_profile(path: str | None = None) -> Profile:
    """The profile in ``path``, or the embedded default (loaded once)."""
    global _DEFAULT
    if path is None:
        if _DEFAULT is None:
            _DEFAULT = _from_dict(read_json(DEFAULT_PROFILE))
        return _DEFAULT
    data = read_json_file(path)
    try:
        return _from_dict(data)
    except (KeyError, TypeError, AttributeError) as exc:
        raise fail("profile-schema", f"not a domc profile: missing or bad {exc}", Span(path)) from None

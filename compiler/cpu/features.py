"""The x86 feature table (``compiler/tables/x86_features.json``) and CPUID data.

Every feature is one bit: of a CPUID output register (leaf, sub-leaf, register) or
of an MSR libvirt models (IA32_ARCH_CAPABILITIES, IA32_CORE_CAPABILITIES).  A
feature has one canonical name (libvirt's spelling) and the other spellings users
meet: the QEMU property, the Linux /proc/cpuinfo flag and older aliases.
"""

from __future__ import annotations

import enum
import json
from functools import cache
from importlib import resources

from ..record import field, frozen


class Register(enum.Enum):
    EAX = "eax"
    EBX = "ebx"
    ECX = "ecx"
    EDX = "edx"


REGISTERS = tuple(Register)


@frozen(order=True)
class CpuidLoc:
    leaf: int
    subleaf: int
    register: Register = field(order=lambda r: REGISTERS.index(r))
    bit: int


@frozen(order=True)
class MsrLoc:
    index: int
    bit: int  # 0-63 (edx:eax)


@frozen
class Feature:
    name: str  # libvirt spelling: the canonical name
    qemu: str
    linux: str
    aliases: tuple[str, ...]
    loc: CpuidLoc | MsrLoc

    @property
    def spellings(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.name, self.qemu, self.linux, *self.aliases)))


def spelling_key(name: str) -> str:
    """Names compare case-insensitively and with '_' and '-' equal."""
    return name.strip().lower().replace("_", "-")


class FeatureTable:
    """All known features, in table order, looked up by any spelling."""

    def __init__(self, features: list[Feature]):
        self.features = tuple(features)
        self._by_key: dict[str, Feature] = {}
        self._by_loc: dict[CpuidLoc | MsrLoc, Feature] = {}
        for f in self.features:
            if f.loc in self._by_loc:
                raise ValueError(f"feature table: {f.name} and {self._by_loc[f.loc].name} share a bit")
            self._by_loc[f.loc] = f
        # canonical names first, so an alias can never shadow another feature's name
        for f in self.features:
            self._by_key[spelling_key(f.name)] = f
        for f in self.features:
            for s in f.spellings:
                self._by_key.setdefault(spelling_key(s), f)
        self.order = {f.name: i for i, f in enumerate(self.features)}

    def get(self, name: str) -> Feature | None:
        return self._by_key.get(spelling_key(name))

    def canonical(self, name: str) -> str | None:
        f = self.get(name)
        return f.name if f else None

    def at(self, loc: CpuidLoc | MsrLoc) -> Feature | None:
        return self._by_loc.get(loc)

    def sort(self, names) -> list[str]:
        """Canonical names in table order (CPUID leaf order, then MSRs)."""
        return sorted(names, key=lambda n: self.order.get(n, len(self.order)))

    def qemu_name(self, name: str) -> str:
        return self._by_key[spelling_key(name)].qemu


def _load() -> FeatureTable:
    text = resources.files("compiler.tables").joinpath("x86_features.json").read_text("utf-8")
    data = json.loads(text)
    feats = []
    for group in data["cpuid"]:
        for bit, e in group["bits"].items():
            loc = CpuidLoc(int(group["leaf"], 16), int(group["subleaf"]), Register(group["register"]), int(bit))
            feats.append(_feature(e, loc))
    for group in data["msr"]:
        shift = 32 if group["register"] == "edx" else 0
        for bit, e in group["bits"].items():
            feats.append(_feature(e, MsrLoc(int(group["index"], 16), shift + int(bit))))
    return FeatureTable(feats)


def _feature(e: dict, loc) -> Feature:
    return Feature(e["name"], e.get("qemu", e["name"]), e.get("linux", e["name"]),
                   tuple(e.get("aliases", ())), loc)


@cache
def table() -> FeatureTable:
    return _load()


@frozen
class CpuidData:
    """Raw CPUID leaves and MSR values of one CPU (a dump or this machine)."""

    leaves: dict = field(factory=dict)  # (leaf, subleaf) -> (eax, ebx, ecx, edx)
    msrs: dict = field(factory=dict)  # index -> 64-bit value

    def reg(self, leaf: int, subleaf: int, register: Register) -> int:
        regs = self.leaves.get((leaf, subleaf))
        return regs[REGISTERS.index(register)] if regs else 0

    def has(self, loc: CpuidLoc | MsrLoc) -> bool:
        if isinstance(loc, MsrLoc):
            return bool(self.msrs.get(loc.index, 0) >> loc.bit & 1)
        return bool(self.reg(loc.leaf, loc.subleaf, loc.register) >> loc.bit & 1)

    def feature_names(self, tab: FeatureTable | None = None) -> frozenset[str]:
        tab = tab or table()
        return frozenset(f.name for f in tab.features if self.has(f.loc))

    def vendor_string(self) -> str:
        _, ebx, ecx, edx = self.leaves.get((0, 0), (0, 0, 0, 0))
        raw = b"".join(r.to_bytes(4, "little") for r in (ebx, edx, ecx))
        return raw.decode("ascii", "replace").rstrip("\0")

    def signature(self) -> tuple[int, int, int]:
        """(family, model, stepping) with the extended fields folded in."""
        eax = self.reg(1, 0, Register.EAX)
        family = eax >> 8 & 0xF
        model = eax >> 4 & 0xF
        if family == 0xF:
            family += eax >> 20 & 0xFF
        if family >= 6:
            model += (eax >> 16 & 0xF) << 4
        return family, model, eax & 0xF

"""The x86 feature table (``compiler/tables/x86_features.json``) and CPUID data.

Every feature is one bit: of a CPUID output register (leaf, sub-leaf, register) or
of an MSR libvirt models (IA32_ARCH_CAPABILITIES, IA32_CORE_CAPABILITIES).  A
feature has one canonical name (libvirt's spelling) and the other spellings users
meet: the QEMU property, the Linux /proc/cpuinfo flag and older aliases.

A set of features is an ``int`` used as a bit set: bit *i* is the *i*-th feature of
the table (CPUID leaf order, then MSRs), so intersecting two CPUs is one ``&`` and a
mask's names come out in table order.  Nothing here needs more than the standard
library: the fleet commands import this module on their fast path.
"""

from __future__ import annotations

import enum
from functools import cache

from ..tables import read_json


class Register(enum.Enum):
    EAX = "eax"
    EBX = "ebx"
    ECX = "ecx"
    EDX = "edx"


REGISTERS = tuple(Register)


class CpuidLoc:
    """A CPUID output bit; ordered by leaf, sub-leaf, register, bit."""

    __slots__ = ("leaf", "subleaf", "register", "bit")

    def __init__(self, leaf: int, subleaf: int, register: Register, bit: int):
        self.leaf, self.subleaf, self.register, self.bit = leaf, subleaf, register, bit

    def _key(self):
        return (self.leaf, self.subleaf, REGISTERS.index(self.register), self.bit)

    def __eq__(self, other):
        return type(other) is CpuidLoc and self._key() == other._key()

    def __lt__(self, other):
        return self._key() < other._key()

    def __hash__(self):
        return hash(("cpuid",) + self._key())

    def __repr__(self):
        return f"CpuidLoc(0x{self.leaf:x}, {self.subleaf}, {self.register}, {self.bit})"


class MsrLoc:
    """A bit (0-63, edx:eax) of a model-specific register."""

    __slots__ = ("index", "bit")

    def __init__(self, index: int, bit: int):
        self.index, self.bit = index, bit

    def __eq__(self, other):
        return type(other) is MsrLoc and (self.index, self.bit) == (other.index, other.bit)

    def __lt__(self, other):
        return (self.index, self.bit) < (other.index, other.bit)

    def __hash__(self):
        return hash(("msr", self.index, self.bit))

    def __repr__(self):
        return f"MsrLoc(0x{self.index:x}, {self.bit})"


class Feature:
    __slots__ = ("name", "qemu", "linux", "aliases", "loc", "index")

    def __init__(self, name: str, qemu: str, linux: str, aliases: tuple[str, ...], loc, index: int = 0):
        self.name = name  # libvirt spelling: the canonical name
        self.qemu, self.linux, self.aliases, self.loc, self.index = qemu, linux, aliases, loc, index

    @property
    def mask(self) -> int:
        return 1 << self.index

    @property
    def spellings(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.name, self.qemu, self.linux, *self.aliases)))

    def __repr__(self):
        return f"Feature({self.name!r})"


def spelling_key(name: str) -> str:
    """Names compare case-insensitively and with '_' and '-' equal."""
    return name.strip().lower().replace("_", "-")


class FeatureTable:
    """All known features, in table order, looked up by any spelling."""

    def __init__(self, features: list[Feature]):
        self.features = tuple(features)
        for i, f in enumerate(self.features):
            f.index = i
        self._by_key: dict[str, Feature] = {}
        self._by_loc: dict = {}
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
        self._names = tuple(f.name for f in self.features)
        self._bits: dict[str, int] = {}  # any spelling met so far -> its bit (0: unknown)

    def get(self, name: str) -> Feature | None:
        f = self._by_key.get(name)  # most names come in canonical spelling already
        if f is None or f.name != name:
            f = self._by_key.get(spelling_key(name))
        return f

    def canonical(self, name: str) -> str | None:
        f = self.get(name)
        return f.name if f else None

    def at(self, loc) -> Feature | None:
        return self._by_loc.get(loc)

    def sort(self, names) -> list[str]:
        """Canonical names in table order (CPUID leaf order, then MSRs)."""
        return sorted(names, key=lambda n: self.order.get(n, len(self.order)))

    def qemu_name(self, name: str) -> str:
        return self._by_key[spelling_key(name)].qemu

    # ----------------------------------------------------------------- bit sets

    def bit(self, name: str) -> int:
        """The bit of a feature by any spelling; 0 for an unknown name."""
        b = self._bits.get(name)
        if b is None:
            f = self.get(name)
            b = self._bits[name] = (1 << f.index) if f is not None else 0
        return b

    def mask(self, names) -> int:
        """The bit set of canonical ``names`` (every one must be in the table)."""
        m = 0
        order = self.order
        for n in names:
            m |= 1 << order[n]
        return m

    def names(self, mask: int) -> tuple[str, ...]:
        """The canonical names of ``mask``, in table order."""
        out = []
        names = self._names
        while mask:
            low = mask & -mask
            out.append(names[low.bit_length() - 1])
            mask ^= low
        return tuple(out)


def _load() -> FeatureTable:
    data = read_json("x86_features.json")
    feats = []
    for group in data["cpuid"]:
        leaf, sub, reg = int(group["leaf"], 16), int(group["subleaf"]), Register(group["register"])
        for bit, e in group["bits"].items():
            feats.append(_feature(e, CpuidLoc(leaf, sub, reg, int(bit))))
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


def popcount(mask: int) -> int:
    return mask.bit_count()


class CpuidData:
    """Raw CPUID leaves and MSR values of one CPU (a dump or this machine)."""

    __slots__ = ("leaves", "msrs")

    def __init__(self, leaves: dict | None = None, msrs: dict | None = None):
        self.leaves = leaves if leaves is not None else {}  # (leaf, subleaf) -> (eax, ebx, ecx, edx)
        self.msrs = msrs if msrs is not None else {}  # index -> 64-bit value

    def __eq__(self, other):
        return isinstance(other, CpuidData) and (self.leaves, self.msrs) == (other.leaves, other.msrs)

    def reg(self, leaf: int, subleaf: int, register: Register) -> int:
        regs = self.leaves.get((leaf, subleaf))
        return regs[REGISTERS.index(register)] if regs else 0

    def has(self, loc) -> bool:
        if isinstance(loc, MsrLoc):
            return bool(self.msrs.get(loc.index, 0) >> loc.bit & 1)
        return bool(self.reg(loc.leaf, loc.subleaf, loc.register) >> loc.bit & 1)

    def feature_mask(self, tab: FeatureTable | None = None) -> int:
        tab = tab or table()
        m = 0
        for f in tab.features:
            if self.has(f.loc):
                m |= 1 << f.index
        return m

    def feature_names(self, tab: FeatureTable | None = None) -> frozenset[str]:
        tab = tab or table()
        return frozenset(tab.names(self.feature_mask(tab)))

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

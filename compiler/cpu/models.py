"""Named x86 CPU models: QEMU's definitions (from the profile) seen through
libvirt 9.0.0's catalogue (``compiler/tables/x86_models.json``).

A model's features are the QEMU static expansion's CPUID features, renamed to
libvirt spellings, minus what the accelerator adds (``hypervisor``), adjusted by
the documented ``libvirt_delta`` so that decoding, compare and baseline agree
with libvirt's own model definitions (docs/CPU.md explains the choice).

Each model holds its features as a bit set over the feature table (``mask``,
``removed_mask``) and, for readers that want names, as frozen sets of names.
``catalogue()`` without a profile reads the embedded QEMU 7.2 profile's JSON
directly (standard library only: the fleet commands' fast path).
"""

from __future__ import annotations

from functools import cache

from ..tables import DEFAULT_PROFILE, read_json
from .features import table


class X86Model:
    __slots__ = ("name", "vendor", "mask", "removed_mask", "signatures", "guest_decodable",
                 "in_catalogue", "_names")

    def __init__(self, name: str, vendor: str | None, mask: int, signatures=(), removed_mask: int = 0,
                 guest_decodable: bool = True, in_catalogue: bool = True):
        self.name = name
        self.vendor = vendor  # libvirt vendor name ("Intel", "AMD", "Hygon"); None = any vendor
        self.mask = mask
        self.signatures = tuple(signatures)
        # features dropped from libvirt's model (not in ``features``) that a decoded guest
        # CPU always mentions: require when it has them, disable when it does not
        self.removed_mask = removed_mask
        self._names = None
        # False: libvirt describes only host CPUs with this model, never a guest CPU
        # (cpu-baseline, host-model); it picks another model (the TSX sibling) instead
        self.guest_decodable = guest_decodable
        self.in_catalogue = in_catalogue  # False: a QEMU-only name (versioned model etc.)

    @property
    def features(self) -> frozenset[str]:
        """The model's features by libvirt name."""
        if self._names is None:
            tab = table()
            self._names = (frozenset(tab.names(self.mask)), frozenset(tab.names(self.removed_mask)))
        return self._names[0]

    @property
    def removed(self) -> frozenset[str]:
        self.features  # noqa: B018  (fills the cache)
        return self._names[1]

    def __repr__(self):
        return f"X86Model({self.name!r})"


class TsxErrata:
    __slots__ = ("vendor", "family", "models", "models_below_stepping", "features")

    def __init__(self, vendor: str, family: int, models, models_below_stepping, features):
        self.vendor, self.family = vendor, family
        self.models = tuple(models)
        self.models_below_stepping = tuple(models_below_stepping)
        self.features = tuple(features)

    def applies(self, vendor: str | None, sig: tuple[int, int, int]) -> bool:
        family, model, stepping = sig
        if vendor != self.vendor or family != self.family:
            return False
        return model in self.models or any(m == model and stepping < s for m, s in self.models_below_stepping)


class Catalogue:
    """libvirt's named models in decode order, plus every other QEMU model name.

    ``qemu_models`` is what one emulator offers: ``(name, CPUID vendor string or None,
    QEMU feature names)`` per model, from a profile; features None: the profile knows
    the model's name only, and the catalogue leaves it out."""

    def __init__(self, qemu_models, data: dict):
        tab = table()
        self.vendors: dict[str, str] = dict(data["vendors"])  # CPUID string -> libvirt name
        accel = set(data.get("accelerator_features", ()))
        self.non_migratable = frozenset(data.get("non_migratable", ()))
        self.non_migratable_mask = tab.mask(self.non_migratable)
        e = data["tsx_errata"]
        self.tsx_errata = TsxErrata(e["vendor"], e["family"], e["models"],
                                    tuple((int(k), v) for k, v in e["models_below_stepping"].items()),
                                    e["features"])
        self.tsx_mask = tab.mask(self.tsx_errata.features)
        offered = {name: (vendor, feats) for name, vendor, feats in qemu_models if feats is not None}

        accel_mask = tab.mask(accel)

        def qemu_mask(feats) -> int:
            m = 0
            bit = tab.bit
            for q in feats:
                m |= bit(q)
            return m & ~accel_mask

        self.models: list[X86Model] = []
        self._by_name: dict[str, X86Model] = {}
        for m in data["models"]:
            if m["name"] not in offered:
                continue  # not offered by this emulator
            vendor_string, feats = offered[m["name"]]
            mask = qemu_mask(feats)
            delta = m.get("libvirt_delta", {})
            mask |= tab.mask(delta.get("add", ()))
            mask &= ~tab.mask(delta.get("remove", ()))
            vendor = None if m.get("vendor_neutral") else self.vendors.get(vendor_string or "")
            model = X86Model(m["name"], vendor, mask, (tuple(s) for s in m.get("signatures", ())),
                             tab.mask(delta.get("removed", ())), m.get("guest_decodable", True))
            self.models.append(model)
            self._by_name[model.name] = model
        # every other QEMU model name, made into a model when first asked for
        self._qemu_mask = qemu_mask
        self._qemu_only = {name: vf for name, vf in offered.items()
                           if name not in self._by_name and name not in ("host", "max", "base")}

    def get(self, name: str) -> X86Model | None:
        m = self._by_name.get(name)
        if m is None and name in self._qemu_only:
            vendor_string, feats = self._qemu_only[name]
            m = self._by_name[name] = X86Model(name, self.vendors.get(vendor_string or ""),
                                               self._qemu_mask(feats), in_catalogue=False)
        return m

    def vendor_name(self, name: str | None) -> str | None:
        """A vendor as written by users (libvirt name or CPUID string) -> libvirt name."""
        if name is None:
            return None
        if name in self.vendors.values():
            return name
        return self.vendors.get(name)


@cache
def _data() -> dict:
    return read_json("x86_models.json")


@cache
def _default_catalogue() -> Catalogue:
    models = read_json(DEFAULT_PROFILE)["cpu_models"]
    return Catalogue([(c["name"], c.get("vendor"), c.get("features")) for c in models], _data())


_BY_PROFILE: dict[int, tuple[object, Catalogue]] = {}


def catalogue(profile=None) -> Catalogue:
    """The catalogue of ``profile`` (a :class:`compiler.profile.Profile`), or of the
    embedded QEMU 7.2 profile."""
    if profile is None:
        return _default_catalogue()
    hit = _BY_PROFILE.get(id(profile))
    if hit is None or hit[0] is not profile:
        cat = Catalogue([(c.name, c.vendor, c.features if getattr(c, "features_known", True) else None)
                         for c in profile.cpu_models], _data())
        hit = _BY_PROFILE[id(profile)] = (profile, cat)
    return hit[1]

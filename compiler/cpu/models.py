"""Named x86 CPU models: QEMU's definitions (from the profile) seen through
libvirt 9.0.0's catalogue (``compiler/tables/x86_models.json``).

A model's features are the QEMU static expansion's CPUID features, renamed to
libvirt spellings, minus what the accelerator adds (``hypervisor``), adjusted by
the documented ``libvirt_delta`` so that decoding, compare and baseline agree
with libvirt's own model definitions (docs/CPU.md explains the choice).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from attrs import frozen

from ..profile import Profile, load_profile
from .features import table


@frozen
class X86Model:
    name: str
    vendor: str | None  # libvirt vendor name ("Intel", "AMD", "Hygon"); None = any vendor
    features: frozenset[str]  # libvirt names
    signatures: tuple[tuple[int, int], ...] = ()
    # features dropped from libvirt's model (not in ``features``) that a decoded guest
    # CPU always mentions: require when it has them, disable when it does not
    removed: frozenset[str] = frozenset()
    # False: libvirt describes only host CPUs with this model, never a guest CPU
    # (cpu-baseline, host-model); it picks another model (the TSX sibling) instead
    guest_decodable: bool = True
    in_catalogue: bool = True  # False: a QEMU-only name (versioned model etc.)


@frozen
class TsxErrata:
    vendor: str
    family: int
    models: tuple[int, ...]
    models_below_stepping: tuple[tuple[int, int], ...]
    features: tuple[str, ...]

    def applies(self, vendor: str | None, sig: tuple[int, int, int]) -> bool:
        family, model, stepping = sig
        if vendor != self.vendor or family != self.family:
            return False
        return model in self.models or any(m == model and stepping < s for m, s in self.models_below_stepping)


class Catalogue:
    """libvirt's named models in decode order, plus every other QEMU model name."""

    def __init__(self, profile: Profile, data: dict):
        tab = table()
        self.vendors: dict[str, str] = dict(data["vendors"])  # CPUID string -> libvirt name
        accel = set(data.get("accelerator_features", ()))
        self.non_migratable = frozenset(data.get("non_migratable", ()))
        e = data["tsx_errata"]
        self.tsx_errata = TsxErrata(e["vendor"], e["family"], tuple(e["models"]),
                                    tuple((int(k), v) for k, v in e["models_below_stepping"].items()),
                                    tuple(e["features"]))

        def qemu_features(defn) -> frozenset[str]:
            names = (tab.canonical(q) for q in defn.features)
            return frozenset(n for n in names if n is not None and n not in accel)

        self.models: list[X86Model] = []
        self._by_name: dict[str, X86Model] = {}
        for m in data["models"]:
            defn = profile.cpu_model(m["name"])
            if defn is None or not defn.features_known:
                continue  # not offered by this emulator, or only its name is known
            feats = set(qemu_features(defn))
            delta = m.get("libvirt_delta", {})
            feats |= set(delta.get("add", ()))
            feats -= set(delta.get("remove", ()))
            vendor = None if m.get("vendor_neutral") else self.vendors.get(defn.vendor or "")
            model = X86Model(m["name"], vendor, frozenset(feats),
                             tuple(tuple(s) for s in m.get("signatures", ())),
                             frozenset(delta.get("removed", ())), m.get("guest_decodable", True))
            self.models.append(model)
            self._by_name[model.name] = model
        for defn in profile.cpu_models:
            if defn.name in self._by_name or defn.name in ("host", "max", "base"):
                continue
            self._by_name[defn.name] = X86Model(
                defn.name, self.vendors.get(defn.vendor or ""), qemu_features(defn), (), in_catalogue=False)

    def get(self, name: str) -> X86Model | None:
        return self._by_name.get(name)

    def vendor_name(self, name: str | None) -> str | None:
        """A vendor as written by users (libvirt name or CPUID string) -> libvirt name."""
        if name is None:
            return None
        if name in self.vendors.values():
            return name
        return self.vendors.get(name)


def _data() -> dict:
    return json.loads(resources.files("compiler.tables").joinpath("x86_models.json").read_text("utf-8"))


@cache
def _catalogue_for(profile_id: int, profile: Profile) -> Catalogue:
    return Catalogue(profile, _data())


def catalogue(profile: Profile | None = None) -> Catalogue:
    profile = profile or load_profile()
    return _catalogue_for(id(profile), profile)

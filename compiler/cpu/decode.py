"""Pick the named model that describes a set of features, as libvirt's x86Decode.

Candidates are tried newest first.  For a host CPU a candidate may not lack any
feature the model has (no ``disable`` lines); for a guest/baseline result it may.
Among the usable candidates the one leaving the shortest feature list wins; a
model whose CPUID family/model signature matches the CPU is preferred, and once
one matches, only matching candidates are considered.

A model's ``removed`` features are not part of it, so a CPU that has one lists it
like any other extra feature; a guest CPU that lacks one gets a ``disable`` line
for it once the model is chosen (libvirt's answer for a CPU naming only EPYC is
EPYC with ``disable monitor``).  Host CPUs list only what they have.
"""

from __future__ import annotations

from attrs import frozen

from ..diagnostics import Span, fail
from ..model import CpuFeature, FeaturePolicy
from .features import table
from .models import Catalogue, X86Model


@frozen
class Decoded:
    model: X86Model
    require: tuple[str, ...]  # features beyond the model, table order
    disable: tuple[str, ...]  # model features the CPU lacks, table order

    @property
    def count(self) -> int:
        return len(self.require) + len(self.disable)

    def features(self) -> tuple[CpuFeature, ...]:
        return tuple(CpuFeature(n, FeaturePolicy.REQUIRE) for n in self.require) + tuple(
            CpuFeature(n, FeaturePolicy.DISABLE) for n in self.disable)


def _matches(model: X86Model, sig) -> bool:
    return sig is not None and (sig[0], sig[1]) in model.signatures


def _better(cur: Decoded | None, cand: Decoded, sig) -> bool:
    if cur is None:
        return True
    if sig is not None and _matches(cur.model, sig) and not _matches(cand.model, sig):
        return False
    if cur.count > cand.count:
        return True
    return sig is not None and _matches(cand.model, sig) and not _matches(cur.model, sig)


def decode(cat: Catalogue, features: frozenset[str], vendor: str | None,
           signature: tuple[int, int, int] | None = None, *, host: bool,
           preferred: str | None = None, span: Span = Span()) -> Decoded:
    """``preferred`` (a model every input CPU named) wins as soon as it is usable."""
    tab = table()
    best: Decoded | None = None
    for model in reversed(cat.models):
        if vendor and model.vendor and model.vendor != vendor:
            continue
        cand = Decoded(model, tuple(tab.sort(features - model.features)),
                       tuple(tab.sort(model.features - features)))
        if host and cand.disable:
            continue
        if preferred is not None and model.name == preferred:
            best = cand
            break
        if _better(best, cand, signature):
            best = cand
    if best is None:
        raise fail("cpu-decode", "no CPU model describes these features", span)
    if not host and best.model.removed - features:
        best = Decoded(best.model, best.require, tuple(tab.sort(set(best.disable) | (best.model.removed - features))))
    return best

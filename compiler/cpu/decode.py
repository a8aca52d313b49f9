"""Pick the named model that describes a set of features, as libvirt's x86Decode.

Candidates are tried newest first.  For a host CPU a candidate may not lack any
feature the model has (no ``disable`` lines); for a guest/baseline result it may,
but the models libvirt keeps for hosts (``guest_decodable`` false: the noTSX
variants of Skylake, Cascadelake and Icelake) are no candidates.
Among the usable candidates the one leaving the shortest feature list wins; a
model whose CPUID family/model signature matches the CPU is preferred, and once
one matches, only matching candidates are considered.

A model's ``removed`` features are not part of it, so a CPU that has one lists it
like any other extra feature; a guest CPU that lacks one gets a ``disable`` line
for it once the model is chosen (libvirt's answer for a CPU naming only EPYC is
EPYC with ``disable monitor``).  Host CPUs list only what they have.

Features are bit sets over the feature table (:mod:`compiler.cpu.features`): a
candidate costs two ``&`` and two popcounts.
"""

from __future__ import annotations

from ..enums import FeaturePolicy
from .errors import fail
from .features import table
from .models import Catalogue, X86Model
from .xml import Feat


class Decoded:
    __slots__ = ("model", "require_mask", "disable_mask", "n_require", "n_disable")

    def __init__(self, model: X86Model, require_mask: int, disable_mask: int):
        self.model = model
        self.require_mask = require_mask  # features beyond the model
        self.disable_mask = disable_mask  # model features the CPU lacks
        self.n_require = require_mask.bit_count()
        self.n_disable = disable_mask.bit_count()

    @property
    def require(self) -> tuple[str, ...]:
        return table().names(self.require_mask)

    @property
    def disable(self) -> tuple[str, ...]:
        return table().names(self.disable_mask)

    @property
    def count(self) -> int:
        return self.n_require + self.n_disable

    def features(self) -> tuple[Feat, ...]:
        return tuple(Feat(n, FeaturePolicy.REQUIRE) for n in self.require) + tuple(
            Feat(n, FeaturePolicy.DISABLE) for n in self.disable)


def _matches(model: X86Model, sig) -> bool:
    return sig is not None and (sig[0], sig[1]) in model.signatures


BASE_PENALTY = 2


def _score(d: Decoded, host: bool) -> tuple[int, int]:
    """(weight, disabled weight) of a candidate, as libvirt 9.0 weighs them.

    A host result is weighed by its feature count.  For a guest result each
    ``disable`` line weighs BASE_PENALTY, BASE_PENALTY + 1, ... instead of 1, but
    libvirt walks the feature list (require lines first, then disable lines) only up
    to the count of enabled features, which shrinks with each disable line it meets:
    the last disable lines of a long list are weighed 1 each and add no penalty.
    Observed: laptop+server fixtures give pentium3 (core2duo 13 + 2 disables weighs
    16, so the named pentium3, with fewer disables, is taken) where weighing every
    disable line would give kvm32."""
    n = d.n_require + d.n_disable
    if host:
        return n, 0
    enabled, disabled, penalty, i = n, 0, BASE_PENALTY, 0
    while i < enabled:
        if i >= d.n_require:
            enabled -= 1
            disabled += penalty
            penalty += 1
        i += 1
    return enabled + disabled, disabled


def _better(cur: Decoded | None, cand: Decoded, sig, host: bool = True, is_preferred: bool = False) -> bool:
    if cur is None:
        return True
    if sig is not None:
        if _matches(cur.model, sig) and not _matches(cand.model, sig):
            return False
        if _matches(cand.model, sig) and not _matches(cur.model, sig):
            return True
    (cw, cd), (nw, nd) = _score(cur, host), _score(cand, host)
    if nw < cw or (nw == cw and nd < cd):
        return True
    return is_preferred and nd < cd


def decode(cat: Catalogue, features: int, vendor: str | None,
           signature: tuple[int, int, int] | None = None, *, host: bool,
           preferred: str | tuple[str, ...] | None = None, where: tuple[str, int] = ("<input>", 0),
           blockers: dict[str, int] | None = None) -> Decoded:
    """``features`` is a bit set.  ``preferred``: the models the input CPUs named.  A
    single one wins as soon as it is usable; of several, one is also taken when it
    needs fewer ``disable`` lines.  ``blockers``: per model name, what the accelerator
    cannot give that model (QEMU's unavailable-features); libvirt counts them as part
    of the model, so a guest result lacking them gets ``disable`` lines for them."""
    if isinstance(preferred, str):
        preferred = (preferred,)
    preferred = tuple(dict.fromkeys(preferred or ()))
    best: Decoded | None = None
    for model in reversed(cat.models):
        if vendor and model.vendor and model.vendor != vendor:
            continue
        if not host and not model.guest_decodable:
            continue
        mm = model.mask
        if blockers:
            mm |= blockers.get(model.name, 0)
        disable = mm & ~features
        if host and disable:
            continue
        cand = Decoded(model, features & ~mm, disable)
        if len(preferred) == 1 and model.name == preferred[0]:
            best = cand
            break
        if _better(best, cand, signature, host, model.name in preferred):
            best = cand
    if best is None:
        raise fail("cpu-decode", "no CPU model describes these features", *where)
    missing_removed = best.model.removed_mask & ~features
    if not host and missing_removed:
        best = Decoded(best.model, best.require_mask, best.disable_mask | missing_removed)
    return best

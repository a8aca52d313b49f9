"""host-model as libvirt 9.0 builds it: not from the host's raw CPUID but from what
QEMU says the accelerator can give a guest, decoded into a named model.

libvirt asks QEMU for the static expansion of 'host' under KVM (of 'max' under TCG),
with and without ``migratable``, and decodes each like a guest CPU: a model plus
``require`` lines for what the model lacks and ``disable`` lines for what the
accelerator cannot give of it.  A model's *blockers* (QEMU's ``unavailable-features``
of it under that accelerator) count as part of the model, so a blocked feature is a
``disable`` line: QEMU's definition of a model may have features libvirt's lacks, and
the guest must not get them.

- The *migratable* decode is the host-model CPU a guest gets (and what ``match=
  'minimum'`` becomes); its offered features settle ``optional`` features.
- The *full* host CPU, which libvirt compares a guest CPU with before it starts one,
  is under KVM the host's raw CPU plus the ``require`` lines of the non-migratable
  decode (what KVM adds: the MSR-based ``*-no`` bits, say), and under TCG the
  non-migratable decode itself.

The answers come from the profile (``domc probe`` records TCG's always and KVM's on a
machine where /dev/kvm works), from QEMU itself when the compile targets this machine,
or from a ``--host`` domain capabilities document (``virsh domcapabilities``), whose
``<mode name='host-model'>`` is the non-migratable decode already.
"""

from __future__ import annotations

from ..enums import FeaturePolicy
from ..profile import AccelCpu
from .decode import decode
from .expand import offered
from .features import table
from .models import Catalogue
from .xml import CpuDesc, CpuKind

# QEMU 7.2's unmigratable CPUID flags: a domain capabilities document reports the
# host-model CPU with them, a guest that may migrate gets none (observed: the static
# expansion of 'host' under KVM with migratable=false adds exactly invtsc)
QEMU_UNMIGRATABLE = frozenset({"invtsc"})


def accel_mask(acc: AccelCpu, *, migratable: bool = True) -> int:
    """The accelerator's features as a bit set (QEMU's own ones, kvm-*, have no bit)."""
    names = acc.features if migratable else acc.features + acc.non_migratable
    bit = table().bit
    m = 0
    for q in names:
        m |= bit(q)
    return m


def from_accel(cat: Catalogue, acc: AccelCpu, *, migratable: bool = True,
               where: tuple[str, int] = ("<profile>", 0)) -> CpuDesc:
    """The host-model CPU of an accelerator's answer, decoded as a guest CPU."""
    bit = table().bit
    blockers = {}
    for name, feats in acc.blockers:
        m = 0
        for q in feats:
            m |= bit(q)
        blockers[name] = m
    vendor = cat.vendors.get(acc.vendor or "")
    sig = None if acc.family is None else (acc.family, acc.model or 0, acc.stepping or 0)
    d = decode(cat, accel_mask(acc, migratable=migratable), vendor, sig, host=False,
               where=where, blockers=blockers)
    return CpuDesc(kind=CpuKind.GUEST, model=d.model.name, vendor=vendor,
                   features=d.features(), signature=sig, file=where[0], line=where[1])


def migratable(cpu: CpuDesc, unmigratable: frozenset[str] = QEMU_UNMIGRATABLE) -> CpuDesc:
    """A domain capabilities host-model CPU for a guest that may migrate (libvirt's
    default): without the features that would block migration."""
    tab = table()
    feats = tuple(f for f in cpu.features if not (
        f.policy is FeaturePolicy.REQUIRE and tab.canonical(f.name) in unmigratable))
    return cpu.replace(features=feats)


def required_mask(cpu: CpuDesc) -> int:
    """The ``require`` lines of a decoded CPU, as a bit set."""
    bit = table().bit
    m = 0
    for f in cpu.features:
        if f.policy is FeaturePolicy.REQUIRE:
            m |= bit(f.name)
    return m


def full_host(cat: Catalogue, host: CpuDesc, kvm: CpuDesc | None) -> int:
    """libvirt's full host CPU under KVM: the host CPU plus the ``require`` lines of
    KVM's non-migratable host-model CPU (``kvm``; None: not known)."""
    return offered(cat, host) | (required_mask(kvm) if kvm is not None else 0)


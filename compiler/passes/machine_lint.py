"""lint_machine_type: the machine type's lifecycle, as warnings on the name the XML
wrote (before canonicalize_machine replaces it).

- ``machine-alias``: a persistent definition (one with a ``<uuid>``) names a floating
  alias (``pc``, ``q35``) or no machine type.  The alias means the newest versioned
  type of whichever QEMU runs the guest, so an upgrade changes the hardware the guest
  sees; libvirt writes the versioned type back into a persistent definition.  Not
  reported with a lockfile: it pins the type (passes/lock.py), and a compile that
  cannot keep it says so.
- ``machine-deprecated``: the target QEMU deprecated the versioned type (QEMU's
  policy: versioned types are deprecated after about six years and removed a few
  releases later; the profile's ``deprecated`` flags are QEMU's own list).

A type the target QEMU does not have at all is canonicalize_machine's error
(``unknown-machine``); ``machine_advice`` gives its message the same help: whether
an embedded profile knew the type (removed after QEMU X.Y, or added in a later one),
or that it is a distribution's own name (``pc-i440fx-rhel7.6.0``, ``pc-q35-jammy``)
that upstream QEMU never had.  Every message names the nearest type the target QEMU
has and what changes for the guest with it (``machine_diff``).
"""

from __future__ import annotations

import re

from ..model import Domain, MachineFamily
from ..profile import embedded_versions, load_profile

VERSIONED_RE = re.compile(r"^pc-(i440fx|q35)-(\d+)\.(\d+)$")
LEGACY_RE = re.compile(r"^pc-(\d+)\.(\d+)$")  # pc-1.0 .. pc-1.3, pc-0.1x: i440fx
# The QEMU release a distribution's machine types are based on.  Ubuntu names them by
# release code name (pc-i440fx-jammy, pc-q35-focal-hpb), Red Hat by RHEL release
# (pc-i440fx-rhel7.6.0, pc-q35-rhel8.6.0).
UBUNTU_BASES = {
    "xenial": "2.5", "yakkety": "2.6", "zesty": "2.8", "artful": "2.10", "bionic": "2.11",
    "cosmic": "2.12", "disco": "3.1", "eoan": "4.0", "focal": "4.2", "groovy": "5.0",
    "hirsute": "5.2", "impish": "6.0", "jammy": "6.2", "kinetic": "7.0", "lunar": "7.2",
    "mantic": "8.0", "noble": "8.2",
}
RHEL_BASES = {
    "7.0": "1.5", "7.1": "2.1", "7.2": "2.3", "7.3": "2.6", "7.4": "2.9", "7.5": "2.10",
    "7.6": "2.12", "8.0": "2.12", "8.1": "4.1", "8.2": "4.2", "8.3": "5.1", "8.4": "5.2",
    "8.5": "6.0", "8.6": "6.2", "9.0": "6.2", "9.2": "7.2", "9.4": "8.2",
}
DISTRO_RE = re.compile(r"^pc-(i440fx|q35)-(?:rhel(?P<rhel>\d+\.\d+)(?:\.\d+)?|"
                       r"(?P<ubuntu>[a-z]+)(?:-hpb)?)$")


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")[:2]
    return int(major), int(minor)


def _versioned(name: str) -> tuple[MachineFamily, tuple[int, int]] | None:
    m = VERSIONED_RE.match(name)
    if m:
        fam = MachineFamily.Q35 if m[1] == "q35" else MachineFamily.I440FX
        return fam, (int(m[2]), int(m[3]))
    m = LEGACY_RE.match(name)
    if m:
        return MachineFamily.I440FX, (int(m[1]), int(m[2]))
    return None


def distro_base(name: str) -> tuple[str, str, str] | None:
    """(distribution, its release, the QEMU release its machine type is based on)."""
    m = DISTRO_RE.match(name)
    if not m:
        return None
    if m["rhel"]:
        base = RHEL_BASES.get(m["rhel"])
        return ("Red Hat Enterprise Linux", m["rhel"], base) if base else None
    base = UBUNTU_BASES.get(m["ubuntu"])
    return ("Ubuntu", m["ubuntu"], base) if base else None


def nearest_machine(profile, family: MachineFamily, version: tuple[int, int]) -> str | None:
    """The versioned type of ``family`` this QEMU has and does not deprecate closest to
    ``version``: the oldest one at or after it, else the newest before it."""
    have = []
    for m in profile.machines:
        v = _versioned(m.name)
        if v and v[0] is family and not m.deprecated and VERSIONED_RE.match(m.name):
            have.append((v[1], m.name))
    later = sorted(x for x in have if x[0] >= version)
    if later:
        return later[0][1]
    earlier = sorted(x for x in have if x[0] < version)
    return earlier[-1][1] if earlier else None


def machine_diff(profile, old: str, new: str, vcpus: int) -> str:
    """What changes for the guest when ``new`` replaces ``old``, as far as domc decides
    it: the chipset version always; the chipset itself, the default CPU model and the
    CPU limit when they differ.  QEMU's per-version compatibility settings (the
    guest-visible defaults a versioned type keeps) are not in the profiles."""
    parts = [f"machine {old} -> {new}"]
    fam_old, fam_new = MachineFamily.of(old), MachineFamily.of(new)
    if fam_old is not fam_new:
        parts.append(f"chipset {fam_old.value} -> {fam_new.value}: every device address changes")
    a, b = profile.machine(old), profile.machine(new)
    if a is not None and b is not None:
        if a.default_cpu_type != b.default_cpu_type:
            parts.append(f"default CPU {a.default_cpu_type} -> {b.default_cpu_type}")
        if b.max_cpus is not None and b.max_cpus < vcpus:
            parts.append(f"{new} takes at most {b.max_cpus} vCPUs, the guest has {vcpus}")
    if len(parts) == 1:
        parts.append("no device address or CPU feature domc decides changes; QEMU's "
                     f"compatibility settings of {old} are lost")
    return "; ".join(parts)


def _known_in(name: str) -> list[str]:
    return [v for v in embedded_versions() if load_profile(qemu=v).machine(name) is not None
            and load_profile(qemu=v).canonical_machine(name) == name]


def machine_advice(name: str, profile, vcpus: int) -> str:
    """Why this QEMU lacks the machine type ``name`` and what to use instead ('' when
    there is nothing to say)."""
    distro = distro_base(name)
    family = version = None
    if distro is not None:
        who, release, base = distro
        family = MachineFamily.Q35 if name.startswith("pc-q35") else MachineFamily.I440FX
        version = _version(base)
        why = (f"'{name}' is a machine type of {who} {release} (based on QEMU {base}); "
               "upstream QEMU never had it")
    else:
        v = _versioned(name)
        if v is None:
            return ""
        family, version = v
        known = _known_in(name)
        if known and _version(known[-1]) < _version(profile.version):
            why = f"QEMU removed '{name}' after {known[-1]}"
        elif known:
            why = f"'{name}' is first in QEMU {known[0]}"
        else:
            why = f"no embedded QEMU profile ({embedded_versions()[0]} ... " \
                  f"{embedded_versions()[-1]}) has '{name}'"
    near = nearest_machine(profile, family, version)
    if near is None:
        return why
    return f"{why}; nearest in QEMU {profile.version}: {near} " \
           f"({machine_diff(profile, name, near, vcpus)})"


def lint_machine_type(dom: Domain, env) -> Domain:
    profile = env.profile
    name = dom.os.machine
    canon = profile.canonical_machine(name)
    if canon is None:
        return dom  # canonicalize_machine reports it, with machine_advice
    vcpus = dom.vcpu.count
    if name != canon and dom.uuid is not None and env.lock is None:
        written = f"machine type '{name}'" if name else "no machine type"
        env.diag.warning("machine-alias", f"{written} in a persistent definition floats: QEMU "
                         f"{profile.version} makes it {canon} and a newer QEMU a newer type, "
                         f"which changes the hardware the guest sees; write machine='{canon}' "
                         "(libvirt writes the versioned type back; `domc normalize` does too) "
                         "or pin it with a lockfile (`domc lock`)", dom.os.span)
    m = profile.machine(canon)
    if m is not None and m.deprecated:
        v = _versioned(canon)
        near = nearest_machine(profile, v[0], v[1]) if v else None
        hint = f"; nearest supported: {near} ({machine_diff(profile, canon, near, vcpus)})" \
            if near else ""
        env.diag.warning("machine-deprecated", f"machine type '{canon}' is deprecated in QEMU "
                         f"{profile.version}: a later QEMU removes it and the guest no longer "
                         f"starts{hint}", dom.os.span)
    return dom


__all__ = ["distro_base", "lint_machine_type", "machine_advice", "machine_diff",
           "nearest_machine"]

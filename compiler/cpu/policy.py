"""Guest CPU policies: a domain's ``<cpu>`` resolved against a host CPU into the
model and +flag/-flag list QEMU runs (libvirt 9.0.0 semantics).

Host checks happen only where the definition asks for one: host-model, match
'strict', policies 'optional' and 'forbid', and - when a host CPU file was given -
'require'.  Everything else compiles without knowing the host, deterministically.
"""

from __future__ import annotations

from ..record import evolve

from ..diagnostics import Collector
from ..model import Cpu, CpuFeature, CpuMatch, CpuMode, FeaturePolicy
from ..profile import Profile
from .decode import decode
from .features import table
from .models import Catalogue
from .xml import CpuDesc

ENABLE = (FeaturePolicy.FORCE, FeaturePolicy.REQUIRE)
DISABLE = (FeaturePolicy.DISABLE, FeaturePolicy.FORBID)
HOST_CHECKED = (FeaturePolicy.OPTIONAL, FeaturePolicy.FORBID)


def needs_host(cpu: Cpu, host_given: bool) -> bool:
    if cpu.mode is CpuMode.HOST_MODEL or cpu.match is CpuMatch.STRICT:
        return True
    if cpu.match is CpuMatch.MINIMUM and host_given:
        return True
    policies = {f.policy for f in cpu.features}
    return bool(policies & set(HOST_CHECKED)) or (host_given and FeaturePolicy.REQUIRE in policies)


def check_names(cpu: Cpu, profile: Profile, diag: Collector) -> dict[str, FeaturePolicy] | None:
    """Canonical feature name -> policy; unknown or repeated names are reported."""
    tab = table()
    ok = True
    if cpu.mode is CpuMode.CUSTOM and cpu.model is not None and profile.cpu_model(cpu.model) is None:
        diag.error("cpu-model", f"unknown CPU model {cpu.model!r} (not offered by QEMU {profile.emulator_version})",
                   cpu.span)
        ok = False
    out: dict[str, FeaturePolicy] = {}
    for f in cpu.features:
        name = tab.canonical(f.name)
        if name is None:
            diag.error("cpu-feature", f"unknown CPU feature {f.name!r}", f.span)
            ok = False
        elif name in out:
            diag.error("cpu-feature-dup", f"CPU feature {f.name!r} is listed more than once", f.span)
            ok = False
        else:
            out[name] = f.policy
    return out if ok else None


def host_has(cat: Catalogue, host: CpuDesc) -> frozenset[str]:
    from .expand import host_features

    return host_features(cat, host)


def _feature_span(cpu: Cpu, name: str):
    tab = table()
    for f in cpu.features:
        if tab.canonical(f.name) == name:
            return f.span
    return cpu.span


def resolve(cpu: Cpu, policies: dict[str, FeaturePolicy], cat: Catalogue, profile: Profile,
            host: CpuDesc | None, diag: Collector, *, host_given: bool, migratable: bool = False) -> Cpu:
    """The final Cpu: model set, features only REQUIRE (+) / DISABLE (-), QEMU spellings."""
    tab = table()
    have = host_has(cat, host) if host is not None else None
    enable: set[str] = set()
    disable: set[str] = set()
    model = cpu.model
    if cpu.mode is CpuMode.HOST_MODEL and host is not None:
        model = host.model
        extra = {f.name for f in host.features if f.policy is FeaturePolicy.REQUIRE}
        hm = cat.get(model) if model else None
        if hm is not None and not hm.guest_decodable and have is not None:
            # libvirt describes a host with a noTSX Skylake/Cascadelake/Icelake model but never
            # a guest CPU: host-model gets the guest description of the host's features (the
            # TSX sibling; QEMU's hle/rtm are switched off below as features the host lacks)
            d = decode(cat, tab.mask(have), host.vendor, host.signature, host=False, where=host.where)
            model, extra = d.model.name, set(d.require)
        enable |= extra
        # QEMU's definition of the model is what runs: switch off what the host lacks
        defn = profile.cpu_model(model)
        qemu_feats = {tab.canonical(q) for q in (defn.features if defn else ())} - {None, "hypervisor"}
        disable |= qemu_feats - have
    elif cpu.mode is CpuMode.CUSTOM and cpu.match is CpuMatch.MINIMUM and have is not None and host is not None:
        enable |= {f.name for f in host.features if f.policy is FeaturePolicy.REQUIRE}
    if cpu.mode in (CpuMode.CUSTOM, CpuMode.HOST_MODEL) and model:
        # libvirt's "removed" features: not in its model, but QEMU's may have them, so a
        # guest CPU that does not ask for one runs without it (libvirt 9.0 emits
        # 'Icelake-Server,intel-pt=off', 'EPYC,monitor=off'; its host-model CPU is a guest
        # description of the host, which has 'disable monitor' on an EPYC without it)
        m = cat.get(model)
        disable |= set(m.removed if m else ()) - set(policies) - enable
    for name, policy in policies.items():
        span = _feature_span(cpu, name)
        if not profile.cpu_property(tab.qemu_name(name)):
            # QEMU cannot expose it at all: asking for it is an error, refusing it a no-op
            if policy in ENABLE:
                diag.error("cpu-feature-qemu", f"QEMU {profile.emulator_version} cannot provide CPU "
                           f"feature {name!r} (it has no such property)", span)
            continue
        if policy in ENABLE:
            if policy is FeaturePolicy.REQUIRE and have is not None and host_given and name not in have:
                diag.error("cpu-require", f"the host CPU lacks required feature {name!r}", span)
            enable.add(name)
            disable.discard(name)
        elif policy is FeaturePolicy.OPTIONAL:
            if have is not None and name in have:
                enable.add(name)
                disable.discard(name)
            else:
                disable.add(name)
                enable.discard(name)
        else:
            if policy is FeaturePolicy.FORBID and have is not None and name in have:
                diag.error("cpu-forbid", f"the host CPU has forbidden feature {name!r}", span)
            disable.add(name)
            enable.discard(name)
    if cpu.match is CpuMatch.STRICT and have is not None and cpu.mode is CpuMode.CUSTOM and model:
        m = cat.get(model)
        wanted = (m.features if m else frozenset()) | enable
        extra = sorted(have - wanted - disable - {"hypervisor"})
        if extra:
            diag.error("cpu-strict", "match='strict' but the host CPU has features the guest CPU does not name: "
                       + ", ".join(tab.sort(extra)), cpu.span)
    if migratable:
        # a migratable CPU has no feature that blocks migration (invtsc, ...), unless
        # the definition itself asks for it
        enable -= cat.non_migratable - {n for n, p in policies.items() if p in ENABLE}
    # what came from the host (host-model, match='minimum') but QEMU cannot set is left
    # out, as libvirt does when it turns a CPU definition into QEMU properties
    enable = {n for n in enable if profile.cpu_property(tab.qemu_name(n))}
    disable = {n for n in disable if profile.cpu_property(tab.qemu_name(n))}
    feats = tuple(CpuFeature(tab.qemu_name(n), FeaturePolicy.REQUIRE, span=_feature_span(cpu, n))
                  for n in sorted(enable, key=tab.qemu_name)) + tuple(
        CpuFeature(tab.qemu_name(n), FeaturePolicy.DISABLE, span=_feature_span(cpu, n))
        for n in sorted(disable, key=tab.qemu_name))
    mode, match = cpu.mode, cpu.match
    if migratable and mode in (CpuMode.CUSTOM, CpuMode.HOST_MODEL) and model:
        # what a migration destination needs: a named model and explicit features
        mode, match = CpuMode.CUSTOM, CpuMatch.EXACT
    return evolve(cpu, mode=mode, model=model, features=feats, match=match)


def argv_value(cpu: Cpu) -> str:
    """``MODEL,+flag,-flag`` (``host``/``max`` for host-passthrough/maximum).

    host-passthrough is migratable unless the XML says ``migratable='off'`` (libvirt
    9.0 writes ``host,migratable=on``: QEMU then hides the features a migration could
    not carry, invtsc say); maximum says so only when the XML does."""
    if cpu.mode is CpuMode.HOST_PASSTHROUGH:
        head = "host,migratable=" + ("off" if cpu.migratable is False else "on")
    elif cpu.mode is CpuMode.MAXIMUM:
        head = "max" if cpu.migratable is None else \
            "max,migratable=" + ("on" if cpu.migratable else "off")
    else:
        head = cpu.model or "qemu64"
    flags = [("+" if f.policy in ENABLE else "-") + f.name for f in cpu.features
             if f.policy in ENABLE or f.policy in DISABLE]
    return ",".join([head, *flags])



"""Guest CPU policies: a domain's ``<cpu>`` resolved against a host CPU into the
model and +flag/-flag list QEMU runs (libvirt 9.0.0 semantics).

``compare`` is libvirt's check of a guest CPU against the full host CPU before it
starts a guest; ``resolve`` gives the CPU QEMU runs.  Which host and which checks a
compile uses is compiler.passes.resolve_cpu's choice (its docstring).
"""

from __future__ import annotations

from ..record import evolve

from ..diagnostics import Collector
from ..model import Cpu, CpuFeature, CpuMatch, CpuMode, FeaturePolicy
from ..profile import Profile
from .decode import decode
from .expand import offered
from .features import table
from .models import Catalogue
from .xml import CpuDesc

ENABLE = (FeaturePolicy.FORCE, FeaturePolicy.REQUIRE)
DISABLE = (FeaturePolicy.DISABLE, FeaturePolicy.FORBID)


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


def compare(cpu: Cpu, policies: dict[str, FeaturePolicy], model: str | None, cat: Catalogue, have: int,
            host_vendor: str | None, diag: Collector, *, whole: bool = True) -> None:
    """libvirt 9.0's check of a guest CPU against the full host CPU (``have``, a bit set)
    before it starts a guest: the vendor the XML names, every feature of the model and
    every ``require``d one present (``force``, ``disable`` and ``optional`` ones need
    nothing), no ``forbid``den one present, and under ``match='strict'`` nothing beyond
    what the guest CPU names.  Each failure is an error naming the features.  Not
    ``whole``: only what the definition asks the host about itself (``forbid``,
    ``match='strict'``)."""
    tab = table()
    vendor = cat.vendor_name(cpu.vendor) if cpu.vendor else None
    if whole and vendor is not None and host_vendor is not None and vendor != host_vendor:
        diag.error("cpu-host-vendor", f"the host CPU is {host_vendor}, the guest CPU asks for "
                   f"vendor {vendor}", cpu.span)
    m = cat.get(model) if model else None
    named = tab.mask(policies)
    missing = (m.mask if m is not None and whole else 0) & ~have & ~named
    if missing:
        diag.error("cpu-host-lacks", f"the host CPU cannot run CPU model {model!r}: it lacks "
                   f"{', '.join(tab.names(missing))} (disable them with <feature "
                   "policy='disable'/>, choose another model, or check='none' to leave the "
                   "check to QEMU)", cpu.span)
    for name, policy in policies.items():
        bit = tab.bit(name)
        if policy is FeaturePolicy.REQUIRE and whole and not have & bit:
            diag.error("cpu-require", f"the host CPU lacks required feature {name!r}",
                       _feature_span(cpu, name))
        elif policy is FeaturePolicy.FORBID and have & bit:
            diag.error("cpu-forbid", f"the host CPU has forbidden feature {name!r}",
                       _feature_span(cpu, name))
    if cpu.match is CpuMatch.STRICT and m is not None:
        wanted = m.mask | tab.mask(n for n, p in policies.items() if p in ENABLE)
        extra = have & ~wanted & ~named & ~tab.bit("hypervisor")
        if extra:
            diag.error("cpu-strict", "match='strict' but the host CPU has features the guest "
                       "CPU does not name: " + ", ".join(tab.names(extra)), cpu.span)


def resolve(cpu: Cpu, policies: dict[str, FeaturePolicy], cat: Catalogue, profile: Profile,
            host: CpuDesc | None, diag: Collector, *, host_given: bool, migratable: bool = False,
            host_model: CpuDesc | None = None) -> Cpu:
    """The final Cpu: model set, features only REQUIRE (+) / DISABLE (-), QEMU spellings.

    ``host_model``: libvirt's host-model CPU for the guest's accelerator
    (compiler.cpu.hostmodel), when known.  host-model and ``match='minimum'`` become it,
    with the features the XML names applied on top, and ``optional`` features are
    settled by what it offers.  Without it the host CPU (``host``) stands in: its model
    and features for host-model, its features for ``optional`` ones.  The host checks
    are :func:`compare`'s."""
    tab = table()
    enable: set[str] = set()
    disable: set[str] = set()
    # the host-model CPU's own features (libvirt's definition before the XML's are
    # applied): they keep their places in the argv (see _in_libvirts_order)
    base_enable: set[str] = set()
    base_disable: set[str] = set()
    from_host = False  # the CPU is a host-model one (libvirt's own definition of it)
    model = cpu.model
    if host_model is not None:
        have = frozenset(tab.names(offered(cat, host_model)))
    else:
        have = host_has(cat, host) if host is not None else None
    becomes_host_model = cpu.mode is CpuMode.HOST_MODEL or (
        cpu.mode is CpuMode.CUSTOM and cpu.match is CpuMatch.MINIMUM)
    if becomes_host_model and host_model is not None:
        # the accelerator's CPU as libvirt decodes it: its model, require and disable lines
        model = host_model.model
        for f in host_model.features:
            (enable if f.policy in ENABLE else disable).add(tab.canonical(f.name))
        for name, policy in policies.items():
            if policy is FeaturePolicy.FORBID and name in have:
                diag.error("cpu-forbid", f"the host-model CPU has forbidden feature {name!r}",
                           _feature_span(cpu, name))
        base_enable, base_disable, from_host = set(enable), set(disable), True
    elif cpu.mode is CpuMode.HOST_MODEL and host is not None:
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
        base_enable, base_disable, from_host = set(enable), set(disable), True
    elif cpu.mode is CpuMode.CUSTOM and cpu.match is CpuMatch.MINIMUM and have is not None and host is not None:
        enable |= {f.name for f in host.features if f.policy is FeaturePolicy.REQUIRE}
        base_enable = set(enable)
    if cpu.mode in (CpuMode.CUSTOM, CpuMode.HOST_MODEL) and model:
        # libvirt's "removed" features: not in its model, but QEMU's may have them, so a
        # guest CPU that does not ask for one runs without it (libvirt 9.0 emits
        # 'Icelake-Server,intel-pt=off', 'EPYC,monitor=off'; its host-model CPU is a guest
        # description of the host, which has 'disable monitor' on an EPYC without it)
        m = cat.get(model)
        removed = set(m.removed if m else ()) - set(policies) - enable
        disable |= removed
        if from_host:  # libvirt's host-model CPU lists them among its own
            base_disable |= removed
    for name, policy in policies.items():
        span = _feature_span(cpu, name)
        if not profile.cpu_property(tab.qemu_name(name)):
            # QEMU cannot expose it at all: asking for it is an error, refusing it a no-op
            if policy in ENABLE:
                diag.error("cpu-feature-qemu", f"QEMU {profile.emulator_version} cannot provide CPU "
                           f"feature {name!r} (it has no such property)", span)
            continue
        if policy in ENABLE:
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
            disable.add(name)
            enable.discard(name)
    if migratable:
        # a migratable CPU has no feature that blocks migration (invtsc, ...), unless
        # the definition itself asks for it
        enable -= cat.non_migratable - {n for n, p in policies.items() if p in ENABLE}
    # what came from the host (host-model, match='minimum') but QEMU cannot set is left
    # out, as libvirt does when it turns a CPU definition into QEMU properties
    enable = {n for n in enable if profile.cpu_property(tab.qemu_name(n))}
    disable = {n for n in disable if profile.cpu_property(tab.qemu_name(n))}
    feats = tuple(CpuFeature(tab.qemu_name(n),
                             FeaturePolicy.REQUIRE if n in enable else FeaturePolicy.DISABLE,
                             span=_feature_span(cpu, n))
                  for n in _in_libvirts_order(enable | disable, base_enable, base_disable,
                                              policies))
    mode, match = cpu.mode, cpu.match
    if becomes_host_model and host_model is not None and mode is CpuMode.CUSTOM:
        match = CpuMatch.EXACT  # libvirt: match='minimum' is the host-model CPU, exactly
    if migratable and mode in (CpuMode.CUSTOM, CpuMode.HOST_MODEL) and model:
        # what a migration destination needs: a named model and explicit features
        mode, match = CpuMode.CUSTOM, CpuMatch.EXACT
    return evolve(cpu, mode=mode, model=model, features=feats, match=match)


def _in_libvirts_order(names: set[str], base_enable: set[str], base_disable: set[str],
                       policies: dict) -> list[str]:
    """The resolved features in the order libvirt 9.0 writes them (it writes its CPU
    definition's features in turn): a host-model CPU's own, as domain capabilities
    list them (required ones, then disabled ones, each in table order), where a
    feature the XML names keeps its place; then the XML's other features in document
    order; then what remains (a model's removed features), in table order."""
    tab = table()
    rank: dict[str, tuple] = {}
    for n in (*tab.sort(base_enable), *tab.sort(base_disable - base_enable)):
        rank.setdefault(n, (0, len(rank)))
    for i, n in enumerate(policies):
        rank.setdefault(n, (1, i))
    last = len(tab.order)
    return sorted(names, key=lambda n: rank.get(n) or (2, tab.order.get(n, last), n))


def argv_head(cpu: Cpu) -> str:
    """The model part of ``-cpu``: the model, or ``host``/``max`` for
    host-passthrough/maximum.

    host-passthrough is migratable unless the XML says ``migratable='off'`` (libvirt
    9.0 writes ``host,migratable=on``: QEMU then hides the features a migration could
    not carry, invtsc say); maximum says so only when the XML does."""
    if cpu.mode is CpuMode.HOST_PASSTHROUGH:
        return "host,migratable=" + ("off" if cpu.migratable is False else "on")
    if cpu.mode is CpuMode.MAXIMUM:
        return "max" if cpu.migratable is None else \
            "max,migratable=" + ("on" if cpu.migratable else "off")
    return cpu.model or "qemu64"


def argv_flags(cpu: Cpu) -> list[str]:
    """``feature=on`` / ``feature=off`` for the resolved features, in their order: the
    form libvirt 9.0 writes (not QEMU's older ``+feature``/``-feature``, which QEMU
    applies after every ``feature=...`` whatever the order)."""
    return [f"{f.name}={'on' if f.policy in ENABLE else 'off'}" for f in cpu.features
            if f.policy in ENABLE or f.policy in DISABLE]


def argv_value(cpu: Cpu) -> str:
    """``MODEL,feature=on,feature=off``: :func:`argv_head` and :func:`argv_flags`."""
    return ",".join([argv_head(cpu), *argv_flags(cpu)])



"""resolve_cpu: the guest ``<cpu>`` becomes the model and +/- flags QEMU runs, for the
host the compile targets (``--host FILE``; without it, this machine), as libvirt 9.0
resolves it when it starts the guest there:

1. libvirt compares the guest CPU with the *full* host CPU (compiler.cpu.hostmodel)
   and refuses what the host cannot run (``compiler.cpu.policy.compare``): a kvm
   guest's custom CPU, and any guest's host-model CPU; not a TCG guest's custom CPU
   and not with ``check='none'`` or ``check='full'`` (which leaves it to QEMU).  domc
   compares a custom CPU when ``--host`` names the target, or when the CPU asks for
   a host check itself (``match='strict'``, ``forbid``);
2. host-model and ``match='minimum'`` become the accelerator's host-model CPU, and
   ``optional`` features are settled by what it offers.

The host-model CPU of an accelerator comes, in this order, from a ``--host`` domain
capabilities document of that virtualization type, from the profile (TCG's is in
every profile; KVM's in one ``domc probe`` made where /dev/kvm works), and for a kvm
guest without ``--host`` from this machine's QEMU, asked once.  When none knows it
(a kvm guest, ``--host`` a host CPU and a profile without KVM's answer), the host
CPU stands in for it, as before domc knew better.
"""

from __future__ import annotations

import os

from ..record import evolve

from ..cpu.expand import offered
from ..cpu.hostmodel import QEMU_UNMIGRATABLE, from_accel, full_host, migratable
from ..cpu.models import catalogue
from ..cpu.policy import check_names, compare, resolve
from ..enums import FeaturePolicy
from ..model import Cpu, CpuMatch, CpuMode, Domain, VirtType
from ..env import Env
from ..profile import AccelCpu

HOST_CACHE_KEY = "compiler.cpu.host"
TARGET_CACHE_KEY = "compiler.cpu.target"  # the HostTarget of --host FILE
ACCEL_CACHE_KEY = "compiler.cpu.accel"  # (key, accel) -> AccelCpu | None, this machine's QEMU
HOST_MODEL_CACHE_KEY = "compiler.cpu.host-model"


def _target(env: Env):
    """The HostTarget of --host FILE (None without one)."""
    if env.host_cpu_file is None:
        return None
    if TARGET_CACHE_KEY not in env.cache:
        from ..cpu.host import load_target

        env.cache[TARGET_CACHE_KEY] = load_target(env.host_cpu_file)
    return env.cache[TARGET_CACHE_KEY]


def _host(env: Env):
    if HOST_CACHE_KEY not in env.cache:
        target = _target(env)
        if target is not None:
            env.cache[HOST_CACHE_KEY] = target.cpu
        else:
            from ..cpu.host import load_host

            env.cache[HOST_CACHE_KEY] = load_host(None)
    return env.cache[HOST_CACHE_KEY]


def _accel(dom: Domain) -> str | None:
    return {VirtType.KVM: "kvm", VirtType.QEMU: "tcg"}.get(dom.type)


def _emulator(dom: Domain, env: Env) -> str | None:
    """The QEMU binary libvirt would ask: the domain's <emulator>, else the profile's
    architecture's on PATH."""
    path = dom.emulator
    if path and os.access(path, os.X_OK):
        return path
    import shutil  # only for a kvm guest's host-model without --host (start-up cost)

    return shutil.which(f"qemu-system-{env.profile.arch}")


def _answer(dom: Domain, env: Env, accel: str) -> tuple[AccelCpu | None, str]:
    """What the accelerator gives a guest on the target, and where that was learnt."""
    acc = env.profile.accel_cpu(accel)
    if acc is not None:
        return acc, f"QEMU {env.profile.emulator_version}'s {accel.upper()} (the profile)"
    if accel == "kvm" and env.host_cpu_file is None:
        emulator = _emulator(dom, env)
        key = (ACCEL_CACHE_KEY, emulator)
        if key not in env.cache:
            answer = _ask_kvm(emulator) if emulator else None
            env.cache[key] = AccelCpu.from_dict(answer) if answer else None
        if env.cache[key] is not None:
            return env.cache[key], f"this machine's KVM (asked of {emulator})"
    return None, ""


def _ask_kvm(emulator: str) -> dict | None:
    """KVM's host CPU as this machine's QEMU gives it, from the on-disk cache when
    neither the binary nor the machine changed since it was asked (compiler.hostcache,
    as libvirt keeps its capabilities cache)."""
    from ..hostcache import cached, file_identity
    from ..qmpclient import ask_kvm_host_cpu, kvm_usable

    if not kvm_usable():
        return None
    try:
        binary = file_identity(emulator)
    except OSError:
        return None  # no such emulator: nothing to ask
    return cached("kvm-host-cpu", binary, lambda: ask_kvm_host_cpu(emulator), _kvm_answer)


def _kvm_answer(d: dict) -> bool:
    """A stored answer has the shape ask_kvm_host_cpu gives (AccelCpu.from_dict reads it)."""
    return (d.get("accel") == "kvm" and isinstance(d.get("features"), list)
            and all(isinstance(f, str) for f in d["features"])
            and isinstance(d.get("non_migratable", []), list)
            and isinstance(d.get("blockers", {}), dict))


class _HostModel:
    """One accelerator's host-model CPU on the target: ``cpu`` (migratable, what a
    guest gets), ``full_cpu`` (non-migratable: the base of the full host CPU; None when
    only a domain capabilities document describes the target) and ``source``."""

    __slots__ = ("cpu", "full_cpu", "source")

    def __init__(self, cpu, full_cpu, source: str):
        self.cpu, self.full_cpu, self.source = cpu, full_cpu, source


def _host_model(dom: Domain, env: Env) -> _HostModel | None:
    accel = _accel(dom)
    if accel is None:
        return None
    key = (HOST_MODEL_CACHE_KEY, accel, dom.emulator)
    if key in env.cache:
        return env.cache[key]
    cat = catalogue(env.profile)
    hm = None
    target = _target(env)
    virttype = "kvm" if accel == "kvm" else "qemu"
    if target is not None and target.domcaps_virttype == virttype:
        kvm = env.profile.accel_cpu("kvm")
        unmigratable = frozenset(kvm.non_migratable) if kvm is not None else QEMU_UNMIGRATABLE
        hm = _HostModel(migratable(target.cpu, unmigratable), None, f"--host {env.host_cpu_file}")
    else:
        acc, source = _answer(dom, env, accel)
        if acc is not None:
            hm = _HostModel(from_accel(cat, acc), from_accel(cat, acc, migratable=False), source)
    env.cache[key] = hm
    return hm


def _full(dom: Domain, env: Env, hm: _HostModel | None):
    """libvirt's full host CPU for the guest's accelerator as a bit set, with its
    vendor; None when the target does not say (a domain capabilities document
    describes what KVM offers, not the host's CPU)."""
    cat = catalogue(env.profile)
    if dom.type is VirtType.KVM:
        target = _target(env)
        if target is not None and target.is_domcaps:
            return None
        host = _host(env)
        return full_host(cat, host, hm.full_cpu if hm is not None else None), \
            cat.vendor_name(host.vendor)
    if hm is None or hm.full_cpu is None:
        return None
    return offered(cat, hm.full_cpu), hm.full_cpu.vendor


def _compared(cpu: Cpu, dom: Domain, env: Env, policies: dict) -> bool:
    """Whether libvirt's check against the full host CPU applies, and domc can make it."""
    if cpu.check in ("none", "full"):
        return False
    if cpu.mode is CpuMode.HOST_MODEL:
        # only the features the XML names can fail
        return any(p in (FeaturePolicy.REQUIRE, FeaturePolicy.FORBID) for p in policies.values())
    if cpu.mode is not CpuMode.CUSTOM or cpu.model is None or dom.type is not VirtType.KVM:
        return False  # libvirt: "custom CPUs in TCG mode don't need to be compared"
    return (env.host_cpu_file is not None or cpu.match is CpuMatch.STRICT
            or FeaturePolicy.FORBID in policies.values())


def _needs_host(cpu: Cpu, policies: dict, host_given: bool) -> bool:
    """Whether the host CPU must stand in for an unknown host-model CPU."""
    return cpu.mode is CpuMode.HOST_MODEL or FeaturePolicy.OPTIONAL in policies.values() or (
        cpu.match is CpuMatch.MINIMUM and host_given)


def resolve_cpu(dom: Domain, env: Env) -> Domain:
    cpu = dom.cpu
    if cpu is None:
        model = env.profile.default_cpu_type(dom.os.machine) or "qemu64"
        return evolve(dom, cpu=Cpu(mode=CpuMode.CUSTOM, model=model))
    if cpu.mode is CpuMode.CUSTOM and cpu.model is None and not cpu.features:
        return dom  # topology/NUMA only: QEMU's default CPU type
    if cpu.mode is CpuMode.HOST_PASSTHROUGH and dom.type is VirtType.QEMU:
        # QEMU 7.2 refuses it ("CPU model 'host' requires KVM or HVF"), libvirt too
        env.diag.error("cpu-mode", "host-passthrough needs KVM: QEMU has no 'host' CPU for a "
                       "domain of type 'qemu' (TCG); use <domain type='kvm'> or mode='maximum'",
                       cpu.span)
        return dom
    if cpu.mode is CpuMode.CUSTOM and cpu.model is None:
        # libvirt 9.0 refuses the XML: "Non-empty feature list specified without CPU model"
        env.diag.error("cpu-model", "<cpu> lists features but names no <model>: a custom CPU's "
                       "features change a model (name one, e.g. the machine's default "
                       f"{env.profile.default_cpu_type(dom.os.machine) or 'qemu64'})", cpu.span)
        return dom
    policies = check_names(cpu, env.profile, env.diag)
    if policies is None:
        return dom
    host_given = env.host_cpu_file is not None
    wants_hm = cpu.mode is CpuMode.HOST_MODEL or (
        cpu.mode is CpuMode.CUSTOM and (cpu.match is CpuMatch.MINIMUM
                                        or FeaturePolicy.OPTIONAL in policies.values()))
    hm = _host_model(dom, env) if wants_hm or _compared(cpu, dom, env, policies) else None
    if _compared(cpu, dom, env, policies):
        full = _full(dom, env, hm)
        if full is not None:
            if cpu.mode is CpuMode.HOST_MODEL and hm is not None:
                # what the host-model CPU has counts as the host's too
                full = (full[0] | offered(catalogue(env.profile), hm.cpu), full[1])
            # without --host only what the CPU asks this machine about itself is checked
            compare(cpu, policies, cpu.model if cpu.mode is CpuMode.CUSTOM else None,
                    catalogue(env.profile), full[0], full[1], env.diag,
                    whole=host_given or cpu.mode is CpuMode.HOST_MODEL)
            env.host_facts["cpu"] = f"--host {env.host_cpu_file}" if host_given \
                else "this machine's CPU"
    host = None
    if wants_hm and hm is not None:
        env.host_facts["cpu"] = hm.source
    elif _needs_host(cpu, policies, host_given):
        host = _host(env)
        env.host_facts["cpu"] = f"--host {env.host_cpu_file}" if host_given else "this machine's CPU"
    resolved = resolve(cpu, policies, catalogue(env.profile), env.profile, host, env.diag,
                       host_given=host_given, migratable=bool(env.cache.get("migratable")),
                       host_model=hm.cpu if wants_hm and hm is not None else None)
    return evolve(dom, cpu=resolved)

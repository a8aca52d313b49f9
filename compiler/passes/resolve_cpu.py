"""resolve_cpu: the guest ``<cpu>`` becomes the model and +/- flags QEMU runs."""

from __future__ import annotations

from ..record import evolve

from ..cpu.models import catalogue
from ..cpu.policy import check_names, needs_host, resolve
from ..model import Cpu, CpuMode, Domain, VirtType
from ..env import Env

HOST_CACHE_KEY = "compiler.cpu.host"


def _host(env: Env):
    if HOST_CACHE_KEY not in env.cache:
        from ..cpu.host import load_host

        env.cache[HOST_CACHE_KEY] = load_host(env.host_cpu_file)
    return env.cache[HOST_CACHE_KEY]


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
    policies = check_names(cpu, env.profile, env.diag)
    if policies is None:
        return dom
    host_given = env.host_cpu_file is not None
    host = _host(env) if needs_host(cpu, host_given) else None
    if host is not None:
        env.host_facts["cpu"] = f"--host {env.host_cpu_file}" if host_given else "this machine's CPU"
    if cpu.mode is CpuMode.CUSTOM and cpu.model is None:
        cpu = evolve(cpu, model=env.profile.default_cpu_type(dom.os.machine) or "qemu64")
    resolved = resolve(cpu, policies, catalogue(env.profile), env.profile, host, env.diag,
                       host_given=host_given, migratable=bool(env.cache.get("migratable")))
    return evolve(dom, cpu=resolved)

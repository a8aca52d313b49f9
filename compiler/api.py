"""The library face of domc: compile and normalize a domain file."""

from __future__ import annotations

from attrs import frozen

from .emit.argv import emit_argv
from .emit.taskset import AffinityPlan, plan
from .model import Domain
from .cpu.host import load_host
from .env import Env
from .parse import parse_file
from .passes.resolve_cpu import HOST_CACHE_KEY
from .placement.host import host_topology
from .pipeline import normalize
from .profile import load_profile
from .runtime import HostDirs


@frozen
class Compiled:
    domain: Domain
    root: object  # the parsed lxml document, for write_normalized
    argv: tuple[str, ...]
    plan: AffinityPlan
    warnings: tuple[str, ...]


def make_env(profile: str | None = None, host: str | None = None,
             host_root: str | None = None, dirs: HostDirs | None = None) -> Env:
    """An Env for compiles.  The files named here (profile, ``--host``, ``--host-root``)
    are read now, once, so a file that cannot be used is reported whether or not the
    domain needs it, and the compile itself reads nothing but its domain file.  This
    machine's host facts (no ``--host`` / ``--host-root``) stay lazy: they are read
    only for a domain that needs them."""
    env = Env(profile=load_profile(profile), host_cpu_file=host, host_root=host_root,
              dirs=dirs or HostDirs())
    if host is not None:
        env.cache[HOST_CACHE_KEY] = load_host(host)
    if host_root is not None:
        host_topology(env)
    return env


def normalize_file(path: str, env: Env) -> tuple[Domain, object]:
    dom, root = parse_file(path)
    return normalize(dom, env), root


def compile_file(path: str, env: Env) -> Compiled:
    dom, root = normalize_file(path, env)
    argv = tuple(emit_argv(dom, env))
    warnings = tuple(d.render() for d in env.diag.warnings)
    return Compiled(dom, root, argv, plan(dom, env), warnings)

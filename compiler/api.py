"""The library face of domc: compile and normalize a domain file."""

from __future__ import annotations

import contextlib

from .record import evolve, frozen

from .devices.graphics import AutoPort, autoports
from .devices.vsock import AutoCid, autocids
from .emit.argv import emit_argv, emit_env
from .emit.taskset import AffinityPlan, plan
from .model import Domain
from .diagnostics import Collector
from .env import Env
from .parse import parse_bytes, parse_file
from .passes.resolve_cpu import TARGET_CACHE_KEY
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
    # QEMU's environment (libvirt's SDL_AUDIODRIVER, <qemu:env>), before the argv
    env: tuple[tuple[str, str], ...] = ()
    # ports the launcher chooses when the guest starts (SPICE, VNC websocket)
    autoports: tuple[AutoPort, ...] = ()
    # vsock guest CIDs the launcher chooses when the guest starts (<cid auto='yes'>)
    autocids: tuple[AutoCid, ...] = ()


def make_env(profile: str | None = None, host: str | None = None,
             host_root: str | None = None, qemu: str | None = None, lock: str | None = None,
             hotplug: int = 0, dirs: HostDirs | None = None) -> Env:
    """An Env for compiles.  The files named here (profile, ``--host``, ``--host-root``,
    ``--lock``) are read now, once, so a file that cannot be used is reported whether
    or not the domain needs it, and the compile itself reads nothing but its domain
    file.  This machine's host facts (no ``--host`` / ``--host-root``) stay lazy: they
    are read only for a domain that needs them.  ``qemu`` names an embedded profile
    ("8.0") instead of a profile file; ``dirs`` where helper sockets, user data and
    secrets live."""
    # what only these options need is imported here, not by every compile's start-up
    loaded = load_profile(profile, qemu)
    locked = None
    if lock is not None:
        from .lockfile import load_lock

        locked = load_lock(lock)
    env = Env(profile=loaded, host_cpu_file=host, host_root=host_root, lock=locked,
              hotplug=hotplug, dirs=dirs or HostDirs())
    if host is not None:
        from .cpu.host import load_target

        env.cache[TARGET_CACHE_KEY] = load_target(host)
    if host_root is not None:
        from .placement.host import host_topology

        host_topology(env)
    return env


def next_env(env: Env) -> Env:
    """An Env for the next domain of a batch: the same profile, host files and host
    facts (read once, for every domain), the diagnostics of no domain yet."""
    return evolve(env, diag=Collector(), host_facts={})


def normalize_file(path: str, env: Env) -> tuple[Domain, object]:
    dom, root = parse_file(path)
    return normalize(dom, env), root


def facts_of(dom: Domain, env: Env) -> dict:
    """The guest-visible facts of a normalized domain (what ``domc lock`` writes)."""
    from .emit.facts import guest_facts

    if dom.devices and all(d.lock_key is None for d in dom.devices):
        raise ValueError("facts_of: the domain was compiled without its devices' lock keys "
                         "(compile_file, compile_source); normalize it (normalize_file) instead")
    return guest_facts(dom, env)


def compile_file(path: str, env: Env) -> Compiled:
    """Compile the domain in ``path`` (``-``: standard input).  Its devices get no lock
    keys (``Env.lock_keys``) unless a lock is given: the command line has no use for
    them; ``facts_of`` wants a domain from ``normalize_file``."""
    with _without_lock_keys(env):
        return _compiled(*normalize_file(path, env), env)


def compile_source(data: bytes, name: str, env: Env) -> Compiled:
    """Compile a domain document already read; ``name`` names it in diagnostics.  No
    lock keys, as for :func:`compile_file`."""
    with _without_lock_keys(env):
        dom, root = parse_bytes(data, name)
        return _compiled(normalize(dom, env), root, env)


@contextlib.contextmanager
def _without_lock_keys(env: Env):
    """``env.lock_keys`` off for one compile, and as it was afterwards: the caller's Env
    keys the domains it normalizes later as it did before."""
    keys, env.lock_keys = env.lock_keys, False
    try:
        yield
    finally:
        env.lock_keys = keys


def _compiled(dom: Domain, root, env: Env) -> Compiled:
    argv = tuple(emit_argv(dom, env))
    warnings = tuple(d.render() for d in env.diag.warnings)
    return Compiled(dom, root, argv, plan(dom, env), warnings, emit_env(dom), autoports(dom),
                    autocids(dom))

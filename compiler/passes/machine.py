"""canonicalize_machine: `pc` -> `pc-i440fx-7.2`, from the QEMU capability profile, and
the machine family (``Os.family``) every later stage reads.  A floating name (an alias
or none) becomes the versioned type a lockfile pinned, when there is one."""

from __future__ import annotations

from ..record import evolve

from ..model import Domain, MachineFamily
from .machine_lint import machine_advice


def canonicalize_machine(dom: Domain, env) -> Domain:
    profile = env.profile
    name = dom.os.machine
    if name is None:
        canon = profile.canonical_machine(None)
    else:
        canon = profile.canonical_machine(name)
    pinned = locked_machine(name, canon, env)
    if pinned is not None:
        canon = pinned
    if canon is None:
        advice = machine_advice(name, profile, dom.vcpu.count)
        if advice:
            env.diag.error("unknown-machine", f"machine type {name!r} is not offered by QEMU "
                           f"{profile.version}: {advice}", dom.os.span)
        else:
            known = ", ".join(profile.machine_names())
            env.diag.error("unknown-machine", f"machine type {name!r} is not offered by this "
                           f"QEMU profile; known: {known}", dom.os.span)
        return dom
    return evolve(dom, os=evolve(dom.os, machine=canon, family=MachineFamily.of(canon),
                                 machine_written=name))


def locked_machine(name: str | None, canon: str | None, env) -> str | None:
    """The versioned machine type a lockfile pinned, when the XML names a floating one
    (an alias, or none) of the same chipset and this QEMU still has the locked type."""
    lock = env.lock
    locked = lock.machine if lock is not None else None
    if locked is None or canon is None or (name is not None and name == canon):
        return None
    if MachineFamily.of(locked) is not MachineFamily.of(canon):
        return None
    return locked if env.profile.machine(locked) is not None else None

"""canonicalize_machine: `pc` -> `pc-i440fx-7.2`, from the QEMU capability profile, and
the machine family (``Os.family``) every later stage reads."""

from __future__ import annotations

from ..record import evolve

from ..model import Domain, MachineFamily


def canonicalize_machine(dom: Domain, env) -> Domain:
    profile = env.profile
    name = dom.os.machine
    if name is None:
        canon = profile.canonical_machine(None)
    else:
        canon = profile.canonical_machine(name)
    if canon is None:
        known = ", ".join(profile.machine_names())
        env.diag.error("unknown-machine", f"machine type {name!r} is not offered by this QEMU "
                       f"profile; known: {known}", dom.os.span)
        return dom
    return evolve(dom, os=evolve(dom.os, machine=canon, family=MachineFamily.of(canon)))

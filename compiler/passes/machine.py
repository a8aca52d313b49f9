"""canonicalize_machine: `pc` -> `pc-i440fx-7.2`, from the QEMU capability profile."""

from __future__ import annotations

from attrs import evolve

from ..model import Domain, machine_family


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
    if machine_family(canon) not in ("i440fx", "q35"):
        env.diag.error("unsupported-machine", f"machine type {canon!r} is not supported by domc; "
                       "only the pc (i440fx) and q35 families are", dom.os.span)
        return dom
    return evolve(dom, os=evolve(dom.os, machine=canon))

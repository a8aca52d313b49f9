"""parse -> normalize -> emit.  PASSES is the ordered tuple of normalize passes.

A pass is ``def verb_object(dom: Domain, env: Env) -> Domain``: it returns a new
Domain and reports only through ``env.diag``.  Errors are raised once, after the
pass that found them (a later pass could only trip over the same problem).
"""

from __future__ import annotations

from attrs import define, field

from .diagnostics import Collector
from .model import Domain


@define
class Env:
    """What a compile may consult besides the XML.  Nothing here touches the files the
    XML names; the host facts come from explicit fixtures or, when the user asks for
    it, from this machine."""

    profile: object  # compiler.profile.Profile
    # --host FILE (capabilities XML or bare <cpu>); None = this machine's CPU, read lazily
    host_cpu_file: str | None = None
    # --host-root DIR (a captured /proc + /sys tree); None = this machine
    host_root: str | None = None
    diag: Collector = field(factory=Collector)
    # memo for the lazily loaded host facts, keyed by the loader that made them
    cache: dict = field(factory=dict)


def passes():
    from .passes import PASSES

    return PASSES


def normalize(dom: Domain, env: Env) -> Domain:
    env.diag.items.extend(dom.ignored)
    for p in passes():
        dom = p(dom, env)
        env.diag.raise_if_errors()
    return dom

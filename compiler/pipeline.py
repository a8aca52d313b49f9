"""parse -> normalize -> emit.  PASSES is the ordered tuple of normalize passes.

A pass is ``def verb_object(dom: Domain, env: Env) -> Domain``: it returns a new
Domain and reports only through ``env.diag``.  Errors are raised once, after the
pass that found them (a later pass could only trip over the same problem).
"""

from __future__ import annotations

from .env import Env
from .model import Domain
from .passes import PASSES


def normalize(dom: Domain, env: Env) -> Domain:
    env.diag.items.extend(dom.ignored)
    for p in PASSES:
        dom = p(dom, env)
        env.diag.raise_if_errors()
    return dom

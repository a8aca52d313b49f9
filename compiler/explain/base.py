"""What the option rules share: splitting option values into properties, and
looking up the XML (explain/options.py, explain/resources.py)."""

from __future__ import annotations

import json

from .model import Origin, Prop, Source
from ..emit.qemuopts import split_opts  # noqa: F401  (explain modules import it from here)

FIXED = "emit_argv"


def json_props(value: str, each) -> tuple[Prop, ...]:
    """One Prop per key of a JSON option value; ``each(key, value)`` -> Source."""
    return tuple(Prop(k, f'"{k}":' + json.dumps(v, separators=(",", ":"), ensure_ascii=False),
                      each(k, v)) for k, v in json.loads(value).items())


def fixed(reason: str) -> Source:
    return Source(Origin.FIXED, reason, rule=FIXED)


class RulesBase:
    """Helpers of the option rules over one explain context (``c``: explain.core.Context)."""

    def __init__(self, c):
        self.c = c
        self.loc = c.loc

    # ------------------------------------------------------------ helpers
    def el(self, *xpaths):
        for x in xpaths:
            e = self.loc.find(x)
            if e is not None:
                return e
        return None

    def xml(self, xpath: str, reason: str, attr: str | None = None, fallback=None) -> Source:
        """Read from the element ``xpath`` selects; when the XML has none, ``fallback``
        (a Source) or a rule of the domain as a whole."""
        e = self.el(xpath)
        if e is None:
            return fallback if fallback is not None else self.loc.rule(FIXED, reason)
        if attr is not None and e.get(attr) is None:
            rule = "select_firmware" if self.c.dom.os.firmware_file and \
                xpath.startswith("os/") else FIXED
            return self.loc.rule(rule, f"{reason}: not written, so the default"
                                 + (" of the chosen firmware" if rule != FIXED else ""), e)
        return self.loc.xml(e, reason, attr)

    def qemuopts(self, value: str, each) -> tuple[Prop, ...]:
        """One Prop per part of a QemuOpts value; ``each(key, val, part)`` -> Source."""
        out = []
        for part in split_opts(value):
            key, eq, val = part.partition("=")
            if not eq:
                key, val = "", part
            out.append(Prop(key, part, each(key, val, part)))
        return tuple(out)

    def jsonprops(self, value: str, each) -> tuple[Prop, ...]:
        return json_props(value, each)


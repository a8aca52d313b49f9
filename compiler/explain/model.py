"""What ``domc explain`` says about a command line: every option, every property
inside it, and where each came from."""

from __future__ import annotations

import enum

from ..record import frozen


class Origin(enum.Enum):
    XML = "xml"  # read from an element (or attribute) of the domain XML
    RULE = "rule"  # filled in by a pass or an emitter's rule, for a part of the XML
    FIXED = "fixed"  # written for every guest (libvirt's constant options)
    UNKNOWN = "unknown"  # no rule of the explainer covers it: a bug in domc explain


@frozen
class Source:
    """Where one argv item came from.  ``path`` is the element the item was read
    from or filled in for (``/domain/devices/disk[2]/source``), ``line`` its line;
    ``attr`` the attribute it was read from; ``rule`` the pass or emitter that decided."""

    origin: Origin
    reason: str
    line: int = 0
    path: str | None = None
    attr: str | None = None
    rule: str | None = None

    def json(self) -> dict:
        out = {"from": self.origin.value, "reason": self.reason}
        for k in ("line", "path", "attr", "rule"):
            v = getattr(self, k)
            if v:
                out["element" if k == "path" else k] = v
        return out


@frozen
class Prop:
    """One property of an option value: a key of a JSON value, one ``key=value`` of a
    QemuOpts list (``name`` "" for a positional part such as the machine type)."""

    name: str
    text: str
    source: Source


@frozen
class Option:
    """One option of the argv (the emulator, a flag, or an option and its value)."""

    index: int  # position of the option word in the argv
    words: tuple[str, ...]
    source: Source
    props: tuple[Prop, ...] = ()
    device: str | None = None  # the device whose words these are

    @property
    def sources(self) -> tuple[Source, ...]:
        return (self.source, *(p.source for p in self.props))

    def json(self) -> dict:
        out = {"index": self.index, "option": self.words[0], "source": self.source.json()}
        if len(self.words) > 1:
            out["value"] = self.words[1]
        if self.device:
            out["device"] = self.device
        if self.props:
            out["props"] = [{"name": p.name, "text": p.text, "source": p.source.json()}
                            for p in self.props]
        return out

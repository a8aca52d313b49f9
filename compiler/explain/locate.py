"""Places in the domain document: elements by path, by line, by device, and the
attribute (or text) of a device's element that holds a given value."""

from __future__ import annotations

import re

from .model import Origin, Source


# attributes whose values are never shown (graphics passwords, keys)
SECRET = re.compile(r"passw|secret|key", re.I)


def _is_int(s: str) -> int | None:
    try:
        return int(s, 0) if s.strip().lower().startswith("0x") else int(s)
    except (ValueError, AttributeError):
        return None


class Locator:
    """Answers "where in the XML" for the explainer.  ``root`` is the parsed document
    (lxml), the same one ``domc normalize`` patches."""

    def __init__(self, root, file: str):
        self.root = root
        self.file = file
        self.tree = root.getroottree()
        devices = root.find("devices")
        self.device_elements = [c for c in devices if isinstance(c.tag, str)] \
            if devices is not None else []
        self.by_line: dict[int, object] = {}
        for el in root.iter():
            if isinstance(el.tag, str) and el.sourceline:
                self.by_line.setdefault(el.sourceline, el)

    # ------------------------------------------------------------ elements
    def path(self, el) -> str:
        return self.tree.getpath(el)

    def find(self, xpath: str):
        """The first element ``xpath`` (relative to <domain>) selects, or None."""
        found = self.root.xpath(xpath)
        return next((e for e in found if isinstance(getattr(e, "tag", None), str)), None)

    def device(self, d):
        """The element a device was read from (None for a device the passes added)."""
        if d is None or d.origin is None or d.origin >= len(self.device_elements):
            return None
        return self.device_elements[d.origin]

    def at_line(self, line: int):
        """The first element that starts on ``line`` (None if none does)."""
        return self.by_line.get(line)

    def select(self, xpath: str) -> list:
        """Elements an XPath selects (for ``--element``); attributes select their element."""
        out = []
        for e in self.root.xpath(xpath):
            el = e.getparent() if hasattr(e, "getparent") and not isinstance(
                getattr(e, "tag", None), str) else e
            if isinstance(getattr(el, "tag", None), str) and el not in out:
                out.append(el)
        return out

    # ------------------------------------------------------------ sources
    def xml(self, el, reason: str, attr: str | None = None, rule: str | None = None) -> Source:
        """Read from ``el`` (its attribute ``attr``)."""
        if el is None:  # a rule of the explainer looked for an element that is not there
            return Source(Origin.UNKNOWN, f"{reason} (the element is missing)")
        return Source(Origin.XML, reason, el.sourceline or 0, self.path(el), attr, rule)

    def rule(self, rule: str, reason: str, el=None) -> Source:
        """Filled in by ``rule``, for element ``el`` (None: for the domain as a whole)."""
        el = self.root if el is None else el
        return Source(Origin.RULE, reason, el.sourceline or 0, self.path(el), None, rule)

    def rule_for(self, rule: str, reason: str, span) -> Source:
        """Filled in by ``rule`` for the element a model node's span names."""
        el = self.at_line(span.line) if span is not None and span.line else None
        return self.rule(rule, reason, el)

    def describe(self, el, attr: str | None = None) -> str:
        """``<type machine='pc'>`` -- how the item appears in the XML."""
        if attr is not None:
            return f"<{el.tag} {attr}='{el.get(attr)}'>"
        text = (el.text or "").strip()
        if text and len(el) == 0:
            return f"<{el.tag}>{text if len(text) <= 40 else text[:37] + '...'}</{el.tag}>"
        shown = " ".join(f"{k}='{v}'" for k, v in list(el.attrib.items())[:3]
                         if not SECRET.search(k))
        return f"<{el.tag}{' ' + shown if shown else ''}>"

    def value_in(self, el, value, prefer: str = ""):
        """(element, attribute or None for text) under ``el`` whose value is ``value``:
        the same string, or the same number; an attribute named like ``prefer`` wins."""
        if el is None or isinstance(value, (bool, dict, list)) or value is None:
            return None
        want = str(value)
        want_int = value if isinstance(value, int) else None
        hits = []
        for e in el.iter():
            if not isinstance(e.tag, str):
                continue
            cands = [(k, v) for k, v in e.attrib.items() if not SECRET.search(k)]
            if e.text and e.text.strip() and len(e) == 0:
                cands.append((None, e.text.strip()))
            for k, v in cands:
                if v == want or (want_int is not None and _is_int(v) == want_int):
                    score = 0 if k is not None and prefer and (
                        k == prefer or prefer.replace("-", "").replace("_", "") in k.lower()) else 1
                    hits.append((score, e, k))
        if not hits:
            return None
        hits.sort(key=lambda h: h[0])
        return hits[0][1], hits[0][2]

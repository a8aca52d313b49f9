"""Typed, located reads from an element tree (lxml's element API, duck-typed).

parse.py and the device modules read XML only through :class:`Reader`, so every
value comes with the line it was read from and every bad value becomes a
:class:`~compiler.diagnostics.Diagnostic` naming that line.
"""

from __future__ import annotations

import re
from typing import Iterator

from .diagnostics import DomcError, Span, element_path, fail

_INT_RE = re.compile(r"^\s*[+]?(0[xX][0-9a-fA-F]+|[0-9]+)\s*$")

# libvirt's memory units (virScaleInteger): bytes per unit
MEMORY_UNITS = {
    "b": 1, "bytes": 1,
    "k": 1024, "kib": 1024, "kb": 1000,
    "m": 1024**2, "mib": 1024**2, "mb": 1000**2,
    "g": 1024**3, "gib": 1024**3, "gb": 1000**3,
    "t": 1024**4, "tib": 1024**4, "tb": 1000**4,
    "p": 1024**5, "pib": 1024**5, "pb": 1000**5,
    "e": 1024**6, "eib": 1024**6, "eb": 1000**6,
}
# libvirt refuses sizes that do not fit an unsigned long long of bytes
MAX_BYTES = 2**64 - 1

_TRUE = {"yes", "on", "true"}
_FALSE = {"no", "off", "false"}


def parse_int_text(text: str) -> int | None:
    if text.isascii() and text.isdigit():  # the usual plain decimal, without the regex
        return int(text, 10)
    m = _INT_RE.match(text)
    if not m:
        return None
    v = m.group(1)
    return int(v, 16) if v[:2].lower() == "0x" else int(v, 10)


class Usage:
    """Which elements and attributes a reader looked at, so that what nobody read can
    be reported instead of silently dropped.

    Elements are recorded as themselves: holding an lxml element keeps its Python
    proxy alive, and lxml hands out that same proxy for the node while it lives, so
    the element is its own key (no path to compute per read)."""

    def __init__(self) -> None:
        self.elements: dict = {}  # element -> names of its attributes read
        self.kids: dict = {}  # element -> {tag: its first child element of that tag}

    def element(self, el) -> set[str]:
        """Record ``el`` as read; the set its read attributes go into."""
        seen = self.elements.get(el)
        if seen is None:
            seen = self.elements[el] = set()
        return seen

    def index(self, el) -> dict:
        """{tag: first child element of that tag} of ``el``: the children are looked
        through once per element, not once per question."""
        kids = self.kids[el] = {}
        for c in el.iterchildren("*"):
            kids.setdefault(c.tag, c)
        return kids

    def unread(self, root, file: str, skip_children=()) -> list[tuple[Span, str]]:
        """(place, description) of every element and attribute under root not read;
        the children of root whose tag is in ``skip_children`` are passed over with what
        they hold."""
        if not isinstance(root.tag, str):
            return []
        elements = self.elements
        seen = elements.get(root)
        if seen is not None and seen.issuperset(root.keys()):
            # the usual answer is none: asked first in lxml's own walks of the subtrees
            for top in root.iterchildren("*"):
                if top.tag in skip_children:
                    continue
                for el in top.iter("*"):
                    seen = elements.get(el)
                    if seen is None or not seen.issuperset(el.keys()):
                        break
                else:
                    continue
                break
            else:
                return []
        out = []
        stack = [root]
        while stack:
            el = stack.pop()
            if el.tag in skip_children and el.getparent() is root:
                continue
            seen = elements.get(el)
            if seen is None:
                out.append((Span(file, el.sourceline or 0, path=element_path(el)),
                            f"element <{el.tag}>"))
                continue
            for name in el.keys():
                if name not in seen:
                    where = "" if el is root else f" of <{el.tag}>"
                    out.append((Span(file, el.sourceline or 0, path=element_path(el)),
                                f"attribute '{name}'{where}"))
            stack.extend(el.iterchildren("*", reversed=True))  # elements, last first
        return sorted(out, key=lambda x: x[0].line)


_PLAIN: dict[str, bool] = {}


def _plain(tag: str) -> bool:
    """A bare element name (no path, predicate or wildcard): matched child by child."""
    plain = _PLAIN.get(tag)
    if plain is None:
        plain = _PLAIN[tag] = tag.replace("-", "").replace("_", "").isalnum()
    return plain


_new = object.__new__


class Reader:
    """Wraps one element; ``file`` names the document for diagnostics.  With a
    :class:`Usage`, every element and attribute it reads is recorded there.
    ``lines`` (the document's text, see :func:`compiler.xmldoc.source_lines`) rides
    along in every :attr:`span`, so values can be located within their line."""

    __slots__ = ("el", "file", "usage", "lines", "_seen")

    def __init__(self, el, file: str, usage: Usage | None = None, lines: tuple[str, ...] = ()):
        self.el = el
        self.file = file
        self.usage = usage
        self.lines = lines
        self._seen = usage.element(el) if usage is not None else None

    def _get(self, name: str) -> str | None:
        seen = self._seen
        if seen is not None:
            seen.add(name)
        return self.el.get(name)

    def _find(self, tag: str):
        """The first child ``tag`` (or what the path ``tag`` finds), recorded as read."""
        usage = self.usage
        if usage is None:
            return self.el.find(tag)
        el = self.el
        kids = usage.kids.get(el)
        if kids is None:
            kids = usage.index(el)
        c = kids.get(tag)
        if c is None:
            if _PLAIN.get(tag) or _plain(tag):  # most questions are of absent children
                return None
            c = el.find(tag)
            if c is None:
                return None
        if c not in usage.elements:
            usage.elements[c] = set()
        return c

    def mark_all(self) -> None:
        """Count every attribute of this element as read (generic readers)."""
        if self._seen is not None:
            self._seen.update(self.el.attrib)

    # ------------------------------------------------------------ structure
    @property
    def tag(self) -> str:
        t = self.el.tag
        return t if isinstance(t, str) else ""

    @property
    def span(self) -> Span:
        # the element rides along; its path is worked out only if a diagnostic is made
        # of this span (see compiler.diagnostics.Diagnostic)
        return Span(self.file, self.el.sourceline or 0, lines=self.lines, node=self.el)

    def child(self, tag: str) -> "Reader | None":
        c = self._find(tag)
        if c is None:
            return None
        r = _new(Reader)  # what __init__ does, but _find recorded the element already
        usage = self.usage
        r.el, r.file, r.usage, r.lines = c, self.file, usage, self.lines
        r._seen = None if usage is None else usage.elements[c]
        return r

    def children(self, tag: str | None = None) -> Iterator["Reader"]:
        file, usage, lines = self.file, self.usage, self.lines
        # "*": elements only, not comments or processing instructions
        for c in self.el.iterchildren("*" if tag is None else tag):
            yield Reader(c, file, usage, lines)

    def text(self, tag: str | None = None) -> str | None:
        el = self.el if tag is None else self._find(tag)
        if el is None or el.text is None:
            return None
        t = el.text.strip()
        return t or None

    def content(self) -> str:
        """All the text inside the element, as written (blanks kept, comments left out):
        XPath's string(), which libvirt reads some values with."""
        return "".join(self.el.itertext())

    def has(self, tag: str) -> bool:
        return self._find(tag) is not None

    # ------------------------------------------------------------ attributes
    def attr(self, name: str, default: str | None = None) -> str | None:
        v = self._get(name)
        return default if v is None else v

    def require(self, name: str) -> str:
        v = self._get(name)
        if v is None or v == "":
            raise fail("missing-attribute", f"<{self.tag}> needs the attribute '{name}'", self.span)
        return v

    def error(self, code: str, message: str) -> DomcError:
        return fail(code, message, self.span)

    def attr_int(self, name: str, default: int | None = None, *, lo: int = 0,
                 hi: int | None = None) -> int | None:
        v = self._get(name)
        if v is None:
            return default
        n = parse_int_text(v)
        if n is not None and n >= lo and (hi is None or n <= hi):
            return n  # in range: no message to word
        return self._int(v, f"'{name}' of <{self.tag}>", lo, hi)

    def text_int(self, tag: str | None = None, default: int | None = None, *, lo: int = 0,
                 hi: int | None = None) -> int | None:
        r = self if tag is None else self.child(tag)
        if r is None:
            return default
        t = r.text()
        if t is None:
            return default
        n = parse_int_text(t)
        if n is not None and n >= lo and (hi is None or n <= hi):
            return n  # in range: no message to word
        return r._int(t, f"<{r.tag}>", lo, hi)

    def _int(self, value: str, what: str, lo: int, hi: int | None) -> int:
        n = parse_int_text(value)
        if n is None:
            raise fail("bad-number", f"{what} must be a non-negative integer, not {value!r}",
                       self.span)
        if n < lo:
            raise fail("number-range", f"{what} is {n}; the minimum is {lo}", self.span)
        if hi is not None and n > hi:
            raise fail("number-range", f"{what} is {n}; the maximum is {hi}", self.span)
        return n

    def attr_bool(self, name: str, default: bool | None = None) -> bool | None:
        v = self._get(name)
        if v is None:
            return default
        low = v.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise fail("bad-value", f"'{name}' of <{self.tag}> must be yes/no or on/off, not {v!r}",
                   self.span)

    def attr_choice(self, name: str, choices, default: str | None = None) -> str | None:
        v = self._get(name)
        if v is None:
            return default
        if v not in choices:
            opts = ", ".join(sorted(choices))
            raise fail("bad-value", f"'{name}' of <{self.tag}> is {v!r}; expected one of: {opts}",
                       self.span)
        return v

    def attr_enum(self, name: str, enum_cls, default=None):
        v = self._get(name)
        if v is None:
            return default
        try:
            return enum_cls(v)
        except ValueError:
            opts = ", ".join(e.value for e in enum_cls)
            raise fail("bad-value", f"'{name}' of <{self.tag}> is {v!r}; expected one of: {opts}",
                       self.span) from None

    def memory_kib(self, unit_attr: str = "unit", default_unit: str = "KiB") -> int:
        """Element text scaled by its unit attribute, as KiB rounded up (libvirt's rule)."""
        t = self.text()
        if t is None:
            raise fail("missing-value", f"<{self.tag}> needs a size", self.span)
        return self._kib(t, f"<{self.tag}>", unit_attr, default_unit)

    def attr_memory_kib(self, name: str, unit_attr: str = "unit",
                        default_unit: str = "KiB") -> int | None:
        """Attribute ``name`` as a size scaled by ``unit_attr``, in KiB rounded up."""
        v = self._get(name)
        if v is None:
            return None
        return self._kib(v, f"'{name}' of <{self.tag}>", unit_attr, default_unit)

    def _kib(self, value: str, what: str, unit_attr: str, default_unit: str) -> int:
        n = parse_int_text(value)
        if n is None:
            raise fail("bad-number", f"{what} must be a non-negative integer size, not {value!r}",
                       self.span)
        unit = (self.attr(unit_attr) or default_unit)
        mult = MEMORY_UNITS.get(unit.lower())
        if mult is None:
            raise fail("bad-unit", f"unknown unit {unit!r} in <{self.tag}>; expected one of: "
                       "b, KiB, MiB, GiB, TiB, PiB, EiB, KB, MB, GB, TB, PB, EB", self.span)
        nbytes = n * mult
        if nbytes > MAX_BYTES:
            raise fail("number-range", f"{what} of {n} {unit} is larger than the "
                       f"{MAX_BYTES} bytes libvirt can represent", self.span)
        return -(-nbytes // 1024)

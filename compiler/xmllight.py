"""The light side of domc's XML reader: files of many small documents.

A recorded fleet is one file of thousands of ``<cpu>`` or capabilities documents
(what ``virsh cpu-baseline`` reads: documents one after the other) or a directory of
small files.  Building one lxml tree for such a file costs hundreds of megabytes;
this module reads it in blocks instead:

- :class:`DocumentSplitter` cuts a file into its top-level documents (and the
  children of a wrapper element such as libvirt's ``<cpuTest>``) without parsing
  them: whitespace, comments and an XML declaration may stand between documents,
  anything else is an error at its line.  A document's end is the first end tag of
  its name, which is exact when nothing inside it could hide one (no comment,
  CDATA section, processing instruction or nested element of the same name); when
  something could, expat finds the end.
- :func:`read_light` parses one document with the standard library's expat into a
  small :class:`Node` tree; callers parse each *distinct* document once (identical
  hosts are identical bytes).

The refusals are :mod:`compiler.xmldoc`'s, with the same codes and lines: no DOCTYPE
(so no entities and no DTD is ever loaded), no XInclude, at most ``MAX_DEPTH``
levels, at most ``MAX_BYTES`` per document (a file of many documents may be larger).
Only the standard library is imported here; diagnostics are imported when one is
raised, so the fleet commands start without attrs or lxml.
"""

from __future__ import annotations

import re
from xml.parsers import expat

MAX_BYTES = 8 * 1024 * 1024  # a domain definition is kilobytes; refuse anything absurd
MAX_DEPTH = 64
BLOCK = 1 << 20
VERIFIED_MAX = 1 << 16  # distinct documents remembered as safely cut
XINCLUDE_NS = "http://www.w3.org/2001/XInclude"
_NS = "\x1f"  # expat's namespace separator (a character no name may hold)


def _fail(code: str, message: str, file: str, line: int, column: int = 0):
    from .diagnostics import Span, fail

    return fail(code, message, Span(file, line, column))


class Node:
    """An element: ``tag``, ``attrib``, ``text`` (before its first child),
    ``children`` and ``sourceline``, with the lookups of lxml the readers use."""

    __slots__ = ("tag", "attrib", "text", "children", "sourceline")

    def __init__(self, tag: str, attrib: dict, sourceline: int):
        self.tag, self.attrib, self.sourceline = tag, attrib, sourceline
        self.text = None
        self.children: list[Node] = []

    def get(self, name: str, default=None):
        return self.attrib.get(name, default)

    def _walk(self, path: str) -> list[Node]:
        nodes = [self]
        for step in path.split("/"):
            nodes = [c for n in nodes for c in n.children if c.tag == step]
        return nodes

    def find(self, path: str) -> Node | None:
        found = self._walk(path)
        return found[0] if found else None

    def findall(self, path: str) -> list[Node]:
        return self._walk(path)

    def iter(self, tag: str | None = None):
        stack = [self]
        while stack:
            n = stack.pop()
            if tag is None or n.tag == tag:
                yield n
            stack.extend(reversed(n.children))

    def __iter__(self):
        return iter(self.children)

    def __len__(self):
        return len(self.children)

    def __repr__(self):
        return f"<Node {self.tag} line {self.sourceline}>"


def _name(raw: str) -> str:
    """expat's 'URI<sep>local' as lxml's '{URI}local'."""
    if _NS in raw:
        uri, _, local = raw.partition(_NS)
        return "{" + uri + "}" + local
    return raw


def read_light(data: bytes, file: str, first_line: int = 1) -> Node:
    """One document -> its root :class:`Node`, or a located error.  ``first_line``:
    the line of ``data`` in ``file`` (a document cut out of a larger file)."""
    if len(data) > MAX_BYTES:
        raise _fail("xml-too-large", f"document is {len(data)} bytes; the limit is {MAX_BYTES}",
                    file, first_line)
    shift = first_line - 1
    p = expat.ParserCreate(namespace_separator=_NS)
    p.buffer_text = True
    stack: list[Node] = []
    root: list[Node] = []

    def start(tag, attrs):
        line = p.CurrentLineNumber + shift
        if len(stack) >= MAX_DEPTH:
            raise _fail("xml-too-deep", f"elements nest deeper than {MAX_DEPTH} levels", file, line)
        if _NS in tag or any(_NS in a for a in attrs):
            if tag.startswith(XINCLUDE_NS + _NS):
                raise _fail("xml-xinclude", "XInclude is not accepted", file, line)
            tag = _name(tag)
            attrs = {_name(k): v for k, v in attrs.items()}
        n = Node(tag, attrs, line)
        if stack:
            stack[-1].children.append(n)
        else:
            root.append(n)
        stack.append(n)

    def end(tag):
        stack.pop()

    def text(data):
        n = stack[-1] if stack else None
        if n is not None and not n.children:
            n.text = data if n.text is None else n.text + data

    def doctype(*_):
        raise _fail("xml-doctype", "DOCTYPE declarations are not accepted (no DTDs, no entities)",
                    file, p.CurrentLineNumber + shift)

    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = text
    p.StartDoctypeDeclHandler = doctype
    p.EntityDeclHandler = doctype
    try:
        p.Parse(data, True)
    except LookupError:  # an encoding Python has no codec for: lxml (iconv) decides
        return _via_lxml(data, file, shift)
    except expat.ExpatError:
        # an encoding expat does not know, or a fault: lxml decides and words it, so a
        # broken CPU document reads as a broken domain does
        return _via_lxml(data, file, shift)
    return root[0]


def _via_lxml(data: bytes, file: str, shift: int) -> Node:
    """``data`` read by :func:`compiler.xmldoc.read_document` (lxml, iconv), with every
    refusal of it, at lines shifted by ``shift``."""
    from .diagnostics import DomcError
    from .xmldoc import read_document

    try:
        el = read_document(data, file, remove_comments=True)
    except DomcError as exc:
        d = exc.diagnostics[0]
        raise _fail(d.code, d.message, file, d.span.line + shift if d.span.line else 0,
                    d.span.column if d.span.line > 1 or not shift else 0) from None

    def convert(e) -> Node:
        n = Node(e.tag, dict(e.attrib), (e.sourceline or 0) + shift)
        n.text = e.text
        n.children = [convert(c) for c in e if isinstance(c.tag, str)]
        return n

    return convert(el)


def _offset_of(data: bytes, line: int, column: int) -> int:
    """The byte offset of (1-based line, 0-based column) in ``data``."""
    at = 0
    for _ in range(line - 1):
        at = data.find(b"\n", at) + 1
        if at == 0:
            return len(data)
    return at + column


# --------------------------------------------------------------------------- splitting

_WS = re.compile(rb"[ \t\r\n]*")
_NAME = re.compile(rb"<([A-Za-z_][-A-Za-z0-9_.:]*)")


class _Lazy:
    """A regular expression compiled when first used (most files never need it)."""

    def __init__(self, pattern: bytes):
        self.pattern, self.compiled = pattern, None

    def __getattr__(self, name):
        if self.compiled is None:
            self.compiled = re.compile(self.pattern)
        return getattr(self.compiled, name)


_START = _Lazy(rb"<([A-Za-z_][-A-Za-z0-9_.:]*)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*)\s*(/?)>")
_DECL = _Lazy(rb"<\?xml[ \t\r\n][^>]*?\?>")
_ENCODING = _Lazy(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8 = (b"utf-8", b"utf8")
_NO_MATCH = _WS.match(b"")  # .end() == 0
_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")


class DocumentSplitter:
    """Iterate over the documents of one file: ``(bytes, line)`` per document.

    ``roots`` are the tags that are documents; a top-level element of another tag
    is a wrapper whose child elements are the documents (one level).  Documents may
    follow one another at the top level (``virsh cpu-baseline`` reads them so).
    After iterating, ``first_tag`` is the first top-level element's tag (None: the
    file holds no element)."""

    def __init__(self, path: str, roots: frozenset[str]):
        self.path = path
        self.roots = roots
        self.first_tag: str | None = None
        self.first_line = 1
        self._ends: dict[bytes, re.Pattern] = {}
        self.fh = None

    # the buffer: self.buf[self.pos:] is unread text, self.line the line at self.pos
    def _more(self) -> bool:
        if self.eof:
            return False
        block = self.fh.read(BLOCK)
        if not block:
            self.eof = True
            return False
        self.buf = self.buf[self.pos:] + block
        self.pos = 0
        return True

    def _advance(self, to: int) -> None:
        self.line += self.buf.count(b"\n", self.pos, to)
        self.pos = to

    def _error(self, code: str, message: str, at: int | None = None):
        line = self.line if at is None else self.line + self.buf.count(b"\n", self.pos, at)
        return _fail(code, message, self.path, line)

    def start(self) -> bytes:
        """Open the file and read its first block; return it (a look at what the file
        is: a caller may take it as something else and :meth:`read_all` instead)."""
        if self.fh is None:
            try:
                self.fh = open(self.path, "rb")
            except OSError:
                from .inputs import read_input_file

                read_input_file(self.path)  # raises the io diagnostic every command gives
                raise
            self.buf, self.pos, self.line, self.eof = b"", 0, 1, False
            self._more()
        return self.buf

    def read_all(self) -> bytes:
        """The whole file (at most ``MAX_BYTES``), not split; closes it."""
        with self.fh:
            return self._whole()

    def __iter__(self):
        self.start()
        with self.fh:
            single = self._prolog()
            if single is not None:
                yield single, 1
                return
            yield from self._documents()

    def _prolog(self) -> bytes | None:
        """Skip a UTF-8 byte order mark and the XML declaration.  A document in
        another encoding is returned whole, to be read as one document."""
        buf = self.buf
        if buf.startswith(b"\xef\xbb\xbf"):
            self.pos = 3
        elif buf[:2] in (b"\xff\xfe", b"\xfe\xff") or buf[:2] in (b"<\0", b"\0<"):
            return self._whole()
        m = _DECL.match(buf, self.pos) if buf.startswith(b"<?xml", self.pos) else None
        if m:
            enc = _ENCODING.search(m.group(0))
            if enc and enc.group(1).lower() not in _UTF8:
                return self._whole()
            self._advance(m.end())
        return None

    def _whole(self) -> bytes:
        while len(self.buf) - self.pos <= MAX_BYTES and self._more():
            pass
        data = self.buf[self.pos:]
        if len(data) > MAX_BYTES:
            raise _fail("xml-too-large", f"document is over {MAX_BYTES} bytes", self.path, 1)
        return data

    def _documents(self):
        wrapper: bytes | None = None
        found = False
        ws = _WS.match
        name_at = _NAME.match
        closings: dict[bytes, bytes] = {}  # tag -> its end tag (b"": not a document)
        verified: dict[bytes, int] = {}  # documents already cut this way -> their newlines
        last_open = last_close = b""  # the start tag of the last document (no attributes) and its end
        while True:
            buf, pos = self.buf, self.pos
            # the fastest path: a document cut before, behind the same start tag as the last
            if last_open:
                at = pos + 1 if buf[pos:pos + 1] == b"\n" else ws(buf, pos).end()
                if buf.startswith(last_open, at):
                    end = buf.find(last_close, at)
                    if end > 0:
                        stop = end + len(last_close)
                        data = buf[at:stop]
                        nl = verified.get(data)
                        if nl is not None:
                            line = self.line + (1 if at == pos + 1 else buf.count(b"\n", pos, at))
                            self.line = line + nl
                            self.pos = stop
                            yield data, line
                            continue
            # the fast path: the next document is an element whose end tag no comment,
            # CDATA section, processing instruction or same-named child could hide
            at = ws(buf, pos).end()
            if at + 2 < len(buf) and buf[at] == 0x3C and buf[at + 1] in _LETTERS and self.first_tag is not None:
                name = name_at(buf, at)
                tag = name.group(1)
                closing = closings.get(tag)
                if closing is None:
                    root = tag.decode("utf-8", "replace") in self.roots
                    closing = closings[tag] = (b"</" + tag + b">") if root else b""
                gt = buf.find(b">", name.end())
                stop = -1
                if (closing or wrapper is not None) and gt > 0 and buf[gt - 1] != 0x2F:
                    closing = closing or (b"</" + tag + b">")
                    if (buf.find(b"'", at, gt) < 0 and buf.find(b'"', at, gt) < 0) or (
                            _START.match(buf, at) or _NO_MATCH).end() == gt + 1:
                        end = buf.find(closing, gt)
                        if end > 0:
                            stop = end + len(closing)
                if 0 < stop and stop - at <= MAX_BYTES:
                    data = buf[at:stop]
                    nl = verified.get(data)
                    if nl is None and buf.find(b"<!", gt, end) < 0 and buf.find(b"<?", gt, end) < 0 \
                            and not self._nested(buf, b"<" + tag, gt, end):
                        nl = data.count(b"\n")
                        if len(verified) < VERIFIED_MAX:
                            verified[data] = nl
                    if nl is not None:
                        line = self.line + buf.count(b"\n", pos, at)
                        self.line = line + nl
                        self.pos = stop
                        found = True
                        if name.end() == gt and closings[tag]:
                            last_open, last_close = buf[at:gt + 1], closing
                        yield data, line
                        continue
            # everything else
            m = _WS.match(self.buf, self.pos)
            if m.end() == len(self.buf):
                self._advance(m.end())
                if self._more():
                    continue
                break
            self._advance(m.end())
            buf, pos = self.buf, self.pos
            if len(buf) - pos < 16 and self._more():
                continue
            if buf[pos] != 0x3C:  # '<'
                what = "Extra content at the end of the document" if found else \
                    "Start tag expected, '<' not found"
                raise self._error("xml-syntax", what)
            if buf.startswith(b"<!--", pos):
                self._skip_comment()
                continue
            if buf.startswith(b"<?", pos):
                self._skip_pi()
                continue
            if buf.startswith(b"<!DOCTYPE", pos):
                raise self._error("xml-doctype", "DOCTYPE declarations are not accepted (no DTDs, no entities)")
            if buf.startswith(b"</", pos):
                end = re.compile(rb"</" + re.escape(wrapper or b"\0") + rb"\s*>").match(buf, pos) if wrapper else None
                if end is None:
                    raise self._error("xml-syntax", "end tag without a start tag")
                self._advance(end.end())
                wrapper = None
                continue
            if buf.startswith(b"<!", pos):
                raise self._error("xml-syntax", "markup not allowed outside an element")
            name = _NAME.match(buf, pos)
            if name is None:
                raise self._error("xml-syntax", "StartTag: invalid element name")
            tag = name.group(1)
            if self.first_tag is None:
                self.first_tag, self.first_line = tag.decode("utf-8", "replace"), self.line
            found = True
            if wrapper is None and tag.decode("utf-8", "replace") not in self.roots:
                wrapper = self._open_wrapper(tag)
                continue
            yield self._document(tag)
        if wrapper is not None:
            raise self._error("xml-syntax", f"Premature end of data in tag {wrapper.decode('utf-8', 'replace')}")
        if not found:
            raise self._error("xml-syntax", "Document is empty")

    def _skip_comment(self) -> None:
        while True:
            end = self.buf.find(b"-->", self.pos + 4)
            if end >= 0:
                break
            if len(self.buf) - self.pos > MAX_BYTES or not self._more():
                if self.eof:
                    raise self._error("xml-syntax", "Comment not terminated")
                raise self._error("xml-too-large", f"comment is over {MAX_BYTES} bytes")
        if self.buf.find(b"--", self.pos + 4, end) >= 0:
            raise self._error("xml-syntax", "Double hyphen within comment")
        self._advance(end + 3)

    def _skip_pi(self) -> None:
        while True:
            end = self.buf.find(b"?>", self.pos + 2)
            if end >= 0:
                break
            if len(self.buf) - self.pos > MAX_BYTES or not self._more():
                raise self._error("xml-syntax", "processing instruction not terminated")
        if _DECL.match(self.buf, self.pos):
            raise self._error("xml-syntax", "XML declaration allowed only at the start of the document")
        self._advance(end + 2)

    def _open_wrapper(self, tag: bytes) -> bytes | None:
        """A wrapper's start tag (checked by expat as an empty element); None when it
        is empty (``<wrapper/>``)."""
        while True:
            m = _START.match(self.buf, self.pos)
            if m or self.eof or len(self.buf) - self.pos > MAX_BYTES:
                break
            self._more()
        if m is None:
            self._exact_end()  # reports the error in the tag
            raise self._error("xml-syntax", "malformed start tag")
        text = m.group(0)
        read_light(text if m.group(3) else text[:-1] + b"/>", self.path, self.line)
        self._advance(m.end())
        return None if m.group(3) else tag

    def _document(self, tag: bytes) -> tuple[bytes, int]:
        start = self.pos
        end_re = self._ends.get(tag)
        if end_re is None:
            end_re = self._ends[tag] = re.compile(rb"</" + re.escape(tag) + rb"\s*>")
        while True:
            m = _START.match(self.buf, start)
            if m and m.group(3):  # <cpu .../>
                stop = m.end()
                break
            e = end_re.search(self.buf, start)
            if e is not None:
                stop = e.end()
                buf, inner = self.buf, start + 1
                if buf.find(b"<!", inner, e.start()) >= 0 or buf.find(b"<?", inner, e.start()) >= 0 \
                        or self._nested(buf, b"<" + tag, inner + len(tag), e.start()):
                    stop = self._exact_end()
                break
            if len(self.buf) - start > MAX_BYTES:
                raise self._error("xml-too-large", f"document is over {MAX_BYTES} bytes")
            if not self._more():
                stop = self._exact_end()  # unterminated: expat reports where
                break
            start = self.pos
        if stop - self.pos > MAX_BYTES:
            raise self._error("xml-too-large", f"document is {stop - self.pos} bytes; the limit is {MAX_BYTES}")
        line = self.line
        data = self.buf[self.pos:stop]
        self._advance(stop)
        return data, line

    @staticmethod
    def _nested(buf: bytes, probe: bytes, start: int, end: int) -> bool:
        """Whether ``buf[start:end]`` holds a start tag ``probe`` (``<name``)."""
        at = buf.find(probe, start, end)
        while at >= 0:
            nxt = buf[at + len(probe):at + len(probe) + 1]
            if nxt in (b"", b" ", b"\t", b"\r", b"\n", b"/", b">"):
                return True
            at = buf.find(probe, at + 1, end)
        return False

    def _exact_end(self) -> int:
        """The end of the element at ``pos``, found by expat (a comment, CDATA or a
        nested element of the same name could hide the end tag from a search)."""
        while len(self.buf) - self.pos <= MAX_BYTES and self._more():
            pass
        if len(self.buf) - self.pos > MAX_BYTES:
            limit = self.buf[self.pos:self.pos + MAX_BYTES + 1]
        else:
            limit = self.buf[self.pos:]
        p = expat.ParserCreate()
        depth = [0]
        done: list[int] = []

        class _Done(Exception):
            pass

        def start(*_):
            depth[0] += 1

        def end(*_):
            depth[0] -= 1
            if depth[0] == 0:
                done.append(p.CurrentByteIndex)
                raise _Done

        def doctype(*_):
            raise _fail("xml-doctype", "DOCTYPE declarations are not accepted (no DTDs, no entities)",
                        self.path, self.line + p.CurrentLineNumber - 1)

        p.StartElementHandler, p.EndElementHandler = start, end
        p.StartDoctypeDeclHandler = doctype
        try:
            p.Parse(limit, True)
        except _Done:
            close = limit.find(b">", done[0])
            return self.pos + close + 1
        except expat.ExpatError as exc:
            if len(limit) > MAX_BYTES:
                raise self._error("xml-too-large", f"document is over {MAX_BYTES} bytes") from None
            # the fault is in this element: lxml words it (as for a domain); what lxml
            # finds first is at or before where expat stopped
            stop = limit.find(b"\n", _offset_of(limit, exc.lineno or 1, exc.offset or 0))
            _via_lxml(limit[:stop if stop > 0 else len(limit)], self.path, self.line - 1)
            raise _fail("xml-syntax", expat.ErrorString(exc.code), self.path,
                        self.line + (exc.lineno or 1) - 1, (exc.offset or 0) + 1) from None
        if len(limit) > MAX_BYTES:
            raise self._error("xml-too-large", f"document is over {MAX_BYTES} bytes")
        raise self._error("xml-syntax", "Premature end of data")

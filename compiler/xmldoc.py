"""The one XML document reader of domc, locked down.

Domain definitions, CPU documents, capabilities XML and ``<cpudata>`` dumps are all
read here, so a hostile document is refused the same way whichever command gets
it: no DTD loading, no entity expansion, no network, no XInclude, bounded size and
depth.  Every failure is a located Diagnostic (``xml-syntax``, ``xml-doctype``,
``xml-entity``, ``xml-xinclude``, ``xml-too-deep``, ``xml-too-large``).

Two entry points share those rules:

- :func:`read_document`: one document -> an lxml tree (domains: the compile keeps
  the tree for ``normalize``);
- :func:`read_light` and :class:`DocumentSplitter` (module :mod:`compiler.xmllight`):
  files of many small documents (recorded hosts, ``virsh cpu-baseline`` input) read
  with the standard library's expat into small :class:`~compiler.xmllight.Node`
  trees, one per distinct document, without building a tree for the whole file.
"""

from __future__ import annotations

from .diagnostics import Span, fail
from .inputs import read_input_file

from .xmllight import MAX_BYTES, MAX_DEPTH  # one limit for both readers

XINCLUDE = "{http://www.w3.org/2001/XInclude}*"
_PARSERS: dict = {}  # remove_comments -> the parser


def _parser(remove_comments: bool):
    """The locked-down parser (one per setting, made once: domc reads in one thread)."""
    p = _PARSERS.get(remove_comments)
    if p is None:
        p = _PARSERS[remove_comments] = _new_parser(remove_comments)
    return p


def _new_parser(remove_comments: bool):
    from lxml import etree  # imported on first use: the light reader never needs it

    class _RefuseExternal(etree.Resolver):
        """libxml2 still opens external DTDs and parameter entities (file: URLs, relative
        paths) with load_dtd=False and resolve_entities=False; answer every such request
        with an empty document so nothing named by the input is ever read.  The DOCTYPE
        check in read_document then refuses the document."""

        def resolve(self, url, pubid, context):
            return self.resolve_string("", context)

    p = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                        dtd_validation=False, huge_tree=False, remove_blank_text=False,
                        remove_comments=remove_comments, collect_ids=False)
    p.resolvers.add(_RefuseExternal())
    return p


def read_xml_file(path: str, *, remove_comments: bool = False):
    """Read ``path`` (an ``io`` error when it cannot be) and return its root element."""
    return read_document(read_input_file(path, MAX_BYTES), path, remove_comments=remove_comments)


def read_document(data: bytes, file: str, *, remove_comments: bool = False):
    """Bytes -> lxml root element, or a located error."""
    from lxml import etree

    if len(data) > MAX_BYTES:
        raise fail("xml-too-large", f"document is {len(data)} bytes; the limit is {MAX_BYTES}",
                   Span(file, 1))
    try:
        root = etree.fromstring(data, _parser(remove_comments))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        msg = exc.msg or str(exc)
        # lxml appends "(line N, column M)"; the location is already in front
        msg = msg.split(", line ")[0].split(" (line ")[0]
        if "amplification" in msg:
            raise fail("xml-entity", "entity expansion is not accepted (DOCTYPE declarations are "
                       "refused)", Span(file, _doctype_line(data))) from None
        if msg.startswith("Excessive depth in document"):
            raise fail("xml-too-deep", f"elements nest deeper than {MAX_DEPTH} levels",
                       Span(file, line, exc.offset or 0)) from None
        raise fail("xml-syntax", msg, Span(file, line, exc.offset or 0)) from None
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise fail("xml-doctype", "DOCTYPE declarations are not accepted (no DTDs, no entities)",
                   Span(file, _doctype_line(data)))
    for el in root.iter(etree.Entity, XINCLUDE):  # the first of either, in document order
        if isinstance(el, etree._Entity):
            raise fail("xml-entity", f"entity reference &{el.name}; is not accepted",
                       Span(file, el.sourceline or 0))
        raise fail("xml-xinclude", "XInclude is not accepted", Span(file, el.sourceline or 0))
    _check_depth(root, file)
    return root


def source_lines(data: bytes, root) -> tuple[str, ...]:
    """The document's lines as text (in its declared encoding), numbered as lxml
    numbers ``sourceline``: for locating a value inside its line without reading the
    file again.  Empty when the bytes do not decode."""
    encoding = root.getroottree().docinfo.encoding or "utf-8"
    try:
        text = data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return ()
    return tuple(text.splitlines())


def _doctype_line(data: bytes) -> int:
    at = data.find(b"<!DOCTYPE")
    return data.count(b"\n", 0, at) + 1 if at >= 0 else 1


# the nodes one level below MAX_DEPTH (elements, comments, processing instructions;
# not text, which is no node of its own in lxml's tree)
_TOO_DEEP: list = []  # the compiled XPath, made on first use (lxml is imported late)


def _check_depth(root, file: str) -> None:
    if not _TOO_DEEP:
        from lxml import etree

        _TOO_DEEP.append(etree.XPath("/*" * MAX_DEPTH + "/node()[not(self::text())]"))
    too_deep = _TOO_DEEP[0](root)
    if too_deep:
        el = too_deep[-1]  # the one a walk from the last child down meets first
        raise fail("xml-too-deep", f"elements nest deeper than {MAX_DEPTH} levels",
                   Span(file, el.sourceline or 0))

"""libvirt's RelaxNG domain schema (``--schema``): what ``virsh define --validate``
checks, with the line and element of every complaint.

The schema ships with libvirt (``/usr/share/libvirt/schemas/domain.rng``, Debian
package ``libvirt0``); ``--schema=DIR`` names another copy.  The schema's own files
are read with the same locked-down settings as any input (no network).  Complaints
are ``schema`` errors: a document libvirt's schema refuses is one ``virsh define``
refuses, whatever domc makes of it.
"""

from __future__ import annotations

import os

from .diagnostics import Diagnostic, Span, fail
from .inputs import require_directory

DEFAULT_DIR = "/usr/share/libvirt/schemas"
DOMAIN_SCHEMA = "domain.rng"
CODE = "schema"


def load_schema(directory: str | None = None) -> etree.RelaxNG:
    """The domain schema in ``directory`` (default: libvirt's installed schemas)."""
    directory = directory or DEFAULT_DIR
    path = os.path.join(directory, DOMAIN_SCHEMA)
    if directory == DEFAULT_DIR and not os.path.isfile(path):
        raise fail("schema-missing", "libvirt's RelaxNG schemas are not installed (Debian "
                   "package libvirt0); give their directory with --schema=DIR", Span(path))
    require_directory(directory)
    if not os.path.isfile(path):
        raise fail("io", f"cannot read: no {DOMAIN_SCHEMA} in this directory (a libvirt "
                   "schema directory has one; to check the files in it, name them before "
                   "--schema or write --schema=DIR)", Span(directory))
    from lxml import etree  # here: the compile path never loads lxml for the constants

    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    try:
        return etree.RelaxNG(etree.parse(path, parser))
    except etree.XMLSyntaxError as exc:
        raise fail("schema-load", f"not a RelaxNG schema: {exc.msg}",
                   Span(path, exc.lineno or 0)) from None
    except etree.RelaxNGParseError as exc:
        raise fail("schema-load", f"not a usable RelaxNG schema: {exc}", Span(path)) from None


def check_schema(schema: etree.RelaxNG, root, file: str) -> list[Diagnostic]:
    """Every complaint of ``schema`` about the document of ``root``, in document order.
    libxml2 reports some complaints without a place, next to the located one they
    explain: those take the place of the next located complaint."""
    if schema.validate(root.getroottree()):
        return []
    entries = [(e.line or 0, e.path or "", " ".join(e.message.split())) for e in schema.error_log]
    out: list[Diagnostic] = []
    pending: list[str] = []
    for line, path, message in entries:
        if not line and not path:
            pending.append(message)
            continue
        for m in pending + [message]:
            out.append(Diagnostic(CODE, f"libvirt's schema: {m}", Span(file, line, path=path)))
        pending = []
    out += [Diagnostic(CODE, f"libvirt's schema: {m}", Span(file)) for m in pending]
    return out

"""Normalized domain -> XML, by patching the user's own document.

Everything domc does not model (unknown elements, attributes, comments) stays where
it was; domc only writes what the compile used: the canonical machine type, device
addresses and aliases, and the devices the normalize passes added.  Writing the
result back through this function again changes nothing.
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from ..cpu.features import table as feature_table
from ..devices import kind_of
from ..devices.base import XNode, address_xnode
from ..model import CpuMode, Domain, FeaturePolicy

INDENT = "  "


def _build(node: XNode) -> etree._Element:
    el = etree.Element(node.tag, dict(node.attrs))
    if node.text is not None:
        el.text = node.text
    for c in node.children:
        el.append(_build(c))
    return el


def _indent_of(el) -> str:
    """The whitespace that precedes ``el`` on its line (from the previous node's tail)."""
    prev = el.getprevious()
    ws = prev.tail if prev is not None else el.getparent().text
    if ws and "\n" in ws:
        return ws.rsplit("\n", 1)[1]
    return ""


def _inline(el) -> bool:
    """Whether ``el`` shares its line with what comes before it."""
    prev = el.getprevious()
    ws = prev.tail if prev is not None else el.getparent().text
    return not ws or "\n" not in ws


def _pretty(el, depth_indent: str) -> None:
    """Indent a freshly built subtree to sit at ``depth_indent``."""
    children = list(el)
    if not children:
        return
    inner = depth_indent + INDENT
    el.text = "\n" + inner
    for i, c in enumerate(children):
        _pretty(c, inner)
        c.tail = "\n" + (inner if i < len(children) - 1 else depth_indent)


def _set_child(parent, new, before_tags=()) -> None:
    """Replace parent's child of new.tag with new, or insert it (before the first child
    whose tag is in before_tags, else at the end), keeping the indentation."""
    old = parent.find(new.tag)
    if old is not None:
        new.tail = old.tail
        _pretty(new, _indent_of(old))
        parent.replace(old, new)
        return
    kids = [c for c in parent if isinstance(c.tag, str)]
    anchor = next((c for c in kids if c.tag in before_tags), None)
    if kids:
        ref = kids[-1] if anchor is None else anchor
        indent = _indent_of(ref)
        if _inline(ref):
            # the user wrote these children on one line: keep it that way
            (anchor.addprevious if anchor is not None else kids[-1].addnext)(new)
            if anchor is None:
                new.tail, kids[-1].tail = kids[-1].tail, None
            return
    else:
        base = _indent_of(parent) if parent.getparent() is not None else ""
        indent = base + INDENT
        parent.text = "\n" + indent
        _pretty(new, indent)
        new.tail = "\n" + base
        parent.append(new)
        return
    _pretty(new, indent)
    if anchor is not None:
        anchor.addprevious(new)
        new.tail = "\n" + indent
    else:
        last = kids[-1]
        new.tail = last.tail
        last.tail = "\n" + indent
        last.addnext(new)


def _machine(root, dom: Domain) -> None:
    os_el = root.find("os")
    if os_el is None:
        os_el = etree.Element("os")
        _set_child(root, os_el, before_tags=("features", "cpu", "clock", "devices"))
    t = os_el.find("type")
    if t is None:
        t = etree.Element("type")
        t.text = "hvm"
        _set_child(os_el, t, before_tags=("loader", "boot", "kernel"))
    t.set("arch", dom.os.arch)
    t.set("machine", dom.os.machine)


def _firmware(root, dom: Domain) -> None:
    """The firmware select_firmware chose: <loader> and <nvram>, as libvirt's live XML
    shows them (libvirt 9.0's persistent XML keeps only firmware=)."""
    o = dom.os
    if o.firmware_file is None or o.loader is None:
        return
    os_el = root.find("os")
    loader = etree.Element("loader")
    if o.loader.readonly:
        loader.set("readonly", "yes")
    if o.loader.secure:
        loader.set("secure", "yes")
    loader.set("type", o.loader.type)
    if o.loader.stateless:
        loader.set("stateless", "yes")
    loader.text = o.loader.path
    _set_child(os_el, loader, before_tags=("nvram", "boot", "bootmenu", "smbios", "bios"))
    if o.nvram:
        nvram = etree.Element("nvram")
        if o.nvram_template:
            nvram.set("template", o.nvram_template)
        nvram.text = o.nvram
        _set_child(os_el, nvram, before_tags=("boot", "bootmenu", "smbios", "bios"))


def _uuid(root, dom: Domain) -> None:
    """A uuid the domain took from <sysinfo> (no <uuid> of its own) is written as
    <uuid>, and the system uuid entries in canonical form, as libvirt shows them."""
    if dom.uuid is None:
        return
    if root.find("uuid") is None:
        el = etree.Element("uuid")
        el.text = dom.uuid
        _set_child(root, el, before_tags=("genid", "title", "description", "metadata",
                                          "maxMemory", "memory"))
    for system in root.findall("sysinfo[@type='smbios']/system[1]"):
        entry = next((e for e in system.findall("entry") if e.get("name") == "uuid"), None)
        if entry is not None and "".join(entry.itertext()) and len(entry) == 0:
            entry.text = dom.uuid


def _smm(root, dom: Domain) -> None:
    """<smm state='on'/> when the compile turned SMM on (firmware that requires it)
    and the user did not write <smm>: the -machine smm= the argv carries."""
    if dom.features.smm is not True:
        return
    features = root.find("features")
    if features is None:
        features = etree.Element("features")
        _set_child(root, features, before_tags=("cpu", "clock", "on_poweroff", "on_reboot",
                                                "on_crash", "pm", "perf", "devices"))
    if features.find("smm") is None:
        _set_child(features, etree.Element("smm", state="on"))


def _numa_cells(root, dom: Domain) -> None:
    """The ``cpus`` a pass changed (fill_numa_cpus gives cell 0 the leftover vCPUs);
    a value the compile did not change keeps the user's spelling."""
    if dom.cpu is None or not dom.cpu.numa:
        return
    numa = root.find("cpu/numa")
    cells = [] if numa is None else numa.findall("cell")
    for el, cell in zip(cells, dom.cpu.numa):
        if (el.get("cpus") or "") != cell.cpus:
            el.set("cpus", cell.cpus)


# where a filled-in child goes when the user has none, in libvirt's element order
FILLED_BEFORE = {"mac": ("source", "target", "model", "alias", "address"),
                 "source": ("target", "model", "alias", "address")}


def _cpu(root, dom: Domain, migratable: bool) -> None:
    """A host-model CPU is written as what it resolved to (``mode='custom'
    match='exact'``, the model and every feature required or disabled), as libvirt's
    live and ``--migratable`` XML shows it: the file then compiles to the same -cpu on
    any host.  With ``migratable`` a custom CPU is written resolved too (its optional
    features settled by this host, the features its model lacks spelled out)."""
    el = root.find("cpu")
    cpu = dom.cpu
    if el is None or cpu is None or not cpu.model:
        return
    if el.get("mode") != "host-model" and not (migratable and el.get("mode", "custom") == "custom"):
        return
    if cpu.mode not in (CpuMode.HOST_MODEL, CpuMode.CUSTOM):
        return
    tab = feature_table()
    el.set("mode", "custom")
    el.set("match", "exact")
    kept = [c for c in el if c.tag not in ("model", "vendor", "feature")]
    for c in list(el):
        el.remove(c)
    model = etree.Element("model", fallback="forbid")
    model.text = cpu.model
    # in the resolved order, libvirt's (compiler.cpu.policy): the written CPU then
    # compiles to the very same -cpu
    policies = {FeaturePolicy.REQUIRE: "require", FeaturePolicy.DISABLE: "disable"}
    features = [etree.Element("feature", policy=policies[f.policy],
                              name=tab.canonical(f.name) or f.name)
                for f in cpu.features if f.policy in policies]
    numa_at = next((i for i, c in enumerate(kept) if c.tag == "numa"), len(kept))
    children = [model, *kept[:numa_at], *features, *kept[numa_at:]]
    indent = _indent_of(el)
    inner = indent + INDENT
    el.text = "\n" + inner
    for i, c in enumerate(children):
        c.tail = "\n" + (inner if i < len(children) - 1 else indent)
        el.append(c)


_DECLARATION = re.compile(r"\ufeff?\s*(<\?xml\s[^>]*\?>)")


def _prolog(root, dom: Domain) -> tuple[str | None, list, list]:
    """(the XML declaration as written, or None; the comments and processing
    instructions before <domain>; those after it)."""
    declaration = None
    if root.getroottree().docinfo.standalone is not None or dom.span.lines:
        m = _DECLARATION.match("\n".join(dom.span.lines[:3]))
        declaration = m.group(1) if m else None
        if declaration is None and not dom.span.lines:
            info = root.getroottree().docinfo
            declaration = f'<?xml version="{info.xml_version}" encoding="{info.encoding}"?>'
    before = list(reversed(list(root.itersiblings(preceding=True))))
    after = list(root.itersiblings())
    return declaration, before, after


def write_normalized(root, dom: Domain, *, migratable: bool = False) -> bytes:
    """The normalized document: declaration, comments and processing instructions
    around <domain> kept; in the encoding the declaration names (UTF-8 without one)."""
    declaration, before, after = _prolog(root, dom)
    encoding = root.getroottree().docinfo.encoding if declaration else "UTF-8"
    root = copy.deepcopy(root)
    _cpu(root, dom, migratable)
    _uuid(root, dom)
    _machine(root, dom)
    _firmware(root, dom)
    _smm(root, dom)
    _numa_cells(root, dom)
    devices_el = root.find("devices")
    if devices_el is None:
        devices_el = etree.Element("devices")
        _set_child(root, devices_el)
    elements = [c for c in devices_el if isinstance(c.tag, str)]
    for d in dom.devices:
        if d.origin is None:
            continue
        el = elements[d.origin]
        for name, value in kind_of(d).filled_attrs(d):
            el.set(name, value)
        for node in kind_of(d).filled(d):
            _set_child(el, _build(node), before_tags=FILLED_BEFORE.get(node.tag, ("alias", "address")))
        if d.alias is not None:
            _set_child(el, etree.Element("alias", name=d.alias), before_tags=("address",))
        addr = address_xnode(d.address)
        if addr is not None:
            _set_child(el, _build(addr))
    for d in dom.devices:
        if d.origin is not None:
            continue
        kind = kind_of(d)
        if kind.to_xml is None:
            continue
        node = _build(kind.to_xml(d))
        if d.alias is not None:
            alias = etree.Element("alias", name=d.alias)
            addr = node.find("address")
            if addr is not None:
                addr.addprevious(alias)
            else:
                node.append(alias)
        _insert_device(devices_el, node)
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "UTF-8"

    def text(node) -> bytes:
        return etree.tostring(node, encoding=encoding, xml_declaration=False, with_tail=False)

    parts = ([declaration.encode(encoding)] if declaration else []) + [text(n) for n in before]
    parts += [text(root)] + [text(n) for n in after]
    return b"\n".join(parts) + b"\n"


def _insert_device(devices_el, node) -> None:
    """Added devices go after the last element of their tag, else at the end."""
    same = [c for c in devices_el if c.tag == node.tag]
    if same:
        last = same[-1]
        _pretty(node, _indent_of(last))
        node.tail = last.tail
        last.tail = "\n" + _indent_of(last)
        last.addnext(node)
    else:
        _set_child(devices_el, node)

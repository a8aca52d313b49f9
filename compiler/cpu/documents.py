"""Recorded hosts and CPU documents, read fast.

A file may hold one document or many, one after the other (what ``virsh
cpu-baseline`` reads), or a wrapper element holding several (libvirt's
``<cpuTest>``).  A document is one of:

- ``<capabilities>`` (libvirt's or ``domc capabilities``): its ``host/cpu`` and the
  machine types of its ``guest`` section;
- a bare ``<cpu>`` (``domc host-cpu``, a host CPU; or a guest CPU);
- ``<domain>``: its ``<cpu>``;
- ``<domainCapabilities>``: its supported ``host-model`` CPU and its machine type;
- ``<cpudata>``: a CPUID dump (libvirt's test data format), decoded as ``domc
  host-cpu --cpuid`` does.  A file of ``cpuid -r`` output is read as such.

Each *distinct* document is parsed once (:mod:`compiler.xmllight`): a fleet of
identical hosts costs one parse, and a position in the file is kept per document.
A document's CPUs carry the FILE:LINE of its first occurrence.
"""

from __future__ import annotations

import os
from array import array

from .hostdecode import from_cpuid
from .cpuid import from_cpudata, from_cpuid_r, looks_like_cpuid_r
from .errors import fail
from .xml import CpuDesc, CpuKind, cpu_elements, host_model_mode, parse_cpu
from ..xmllight import DocumentSplitter, read_light

ROOTS = frozenset({"cpu", "capabilities", "domain", "domainCapabilities", "cpudata"})


class Document:
    """One distinct document: its CPUs and, for capabilities, the machine types its
    emulator offers (canonical names and aliases; None: the document does not say);
    for domain capabilities the virtualization type they describe (``kvm``, ``qemu``)."""

    __slots__ = ("tag", "cpus", "machines", "virttype")

    def __init__(self, tag: str, cpus: tuple[CpuDesc, ...], machines: frozenset[str] | None = None,
                 virttype: str | None = None):
        self.tag, self.cpus, self.machines, self.virttype = tag, cpus, machines, virttype


class FileDocs:
    """The documents of one file: ``docs`` distinct, in order of first appearance;
    ``order[i]`` / ``lines[i]``: the i-th document's entry in ``docs`` and its line."""

    __slots__ = ("path", "docs", "order", "lines", "first_tag", "first_line")

    def __init__(self, path: str):
        self.path = path
        self.docs: list[Document] = []
        self.order = array("l")
        self.lines = array("l")
        self.first_tag: str | None = None
        self.first_line = 1

    def __len__(self):
        return len(self.order)

    def cpus(self) -> list[CpuDesc]:
        """Every CPU, document by document (identical documents share their objects)."""
        docs = self.docs
        return [c for i in self.order for c in docs[i].cpus]

    def require_cpus(self) -> None:
        if not any(d.cpus for d in self.docs):
            raise fail("cpu-missing", f"no <cpu> element in <{self.first_tag or 'document'}>", self.path,
                       self.first_line)


def _machines(root) -> frozenset[str]:
    names = set()
    for arch in root.findall("guest/arch"):
        for m in arch.findall("machine"):
            if m.text and m.text.strip():
                names.add(m.text.strip())
            if m.get("canonical"):
                names.add(m.get("canonical"))
    return frozenset(names)


def parse_document(root, path: str) -> Document:
    """The CPUs (and machine types) of one document's root element."""
    tag = root.tag
    if tag == "cpudata":
        cpu = from_cpuid(from_cpudata(root, path), where=(path, root.sourceline or 0))
        return Document(tag, (cpu,))
    if tag == "domainCapabilities":
        cpu = host_model_mode(root, path)
        machine = root.find("machine")
        machines = frozenset({machine.text.strip()}) if machine is not None and machine.text else None
        domain = root.find("domain")
        virttype = domain.text.strip() if domain is not None and domain.text else None
        return Document(tag, (cpu,) if cpu is not None else (), machines, virttype)
    if tag in ROOTS or not any(c.tag in ROOTS for c in root):
        kind = CpuKind.HOST if tag == "capabilities" else None
        cpus = tuple(parse_cpu(el, path, kind) for el in cpu_elements(root))
        return Document(tag, cpus, _machines(root) if tag == "capabilities" else None)
    # a wrapper read whole (a document in an encoding the splitter leaves to expat)
    inner = [parse_document(c, path) for c in root]
    return Document(tag, tuple(c for d in inner for c in d.cpus))


def read_file(path: str) -> FileDocs:
    """All documents of ``path`` (see the module docstring)."""
    out = FileDocs(path)
    splitter = DocumentSplitter(path, ROOTS)
    if looks_like_cpuid_r(splitter.start()[:4096]):
        data = splitter.read_all()
        cpu = from_cpuid(from_cpuid_r(data.decode("utf-8", errors="replace"), path), where=(path, 0))
        out.docs.append(Document("cpuid", (cpu,)))
        out.order.append(0)
        out.lines.append(1)
        out.first_tag = "cpuid"
        return out
    seen: dict[bytes, int] = {}
    docs, order, lines = out.docs, out.order, out.lines
    for data, line in splitter:
        i = seen.get(data)
        if i is None:
            root = read_light(data, path, line)
            if out.first_tag is None:
                out.first_tag, out.first_line = root.tag, root.sourceline
            i = seen[data] = len(docs)
            docs.append(parse_document(root, path))
        order.append(i)
        lines.append(line)
    if splitter.first_tag is not None:
        out.first_tag, out.first_line = splitter.first_tag, splitter.first_line
    return out


def expand_paths(paths: list[str]) -> list[str]:
    """Files as named, a directory as its files (sorted by name; hidden ones left out)."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            names = sorted(n for n in os.listdir(p) if not n.startswith("."))
            files = [os.path.join(p, n) for n in names if os.path.isfile(os.path.join(p, n))]
            if not files:
                raise fail("cpu-missing", "no recorded hosts: the directory holds no files", p, 0)
            out.extend(files)
        else:
            out.append(p)
    return out


def load_cpus(path: str) -> list[CpuDesc]:
    """Every CPU of the documents in ``path`` (at least one)."""
    docs = read_file(path)
    docs.require_cpus()
    return docs.cpus()


def load_one_cpu(path: str) -> CpuDesc:
    return load_one(path)[0]


def load_one(path: str) -> tuple[CpuDesc, Document]:
    """The one CPU of ``path`` and the document it is in."""
    docs = read_file(path)
    docs.require_cpus()
    cpus = docs.cpus()
    if len(cpus) > 1:
        first = docs.docs[docs.order[0]].cpus
        # the second <cpu>: in the first document, or the first of a later one
        line = first[1].line if len(first) > 1 else next(
            docs.lines[i] for i in range(1, len(docs)) if docs.docs[docs.order[i]].cpus)
        raise fail("cpu-many", f"expected one <cpu>, found {len(cpus)}", path, line)
    return cpus[0], next(docs.docs[i] for i in docs.order if docs.docs[i].cpus)

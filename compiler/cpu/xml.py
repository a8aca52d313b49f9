"""Standalone CPU documents: a bare ``<cpu>``, capabilities XML (``host/cpu``), a
domain (``cpu``), any wrapper holding several ``<cpu>`` elements, and libvirt's
``<cpudata>`` CPUID dumps, all read by :mod:`compiler.xmldoc`.  Errors carry
FILE:LINE and the codes the domain reader gives the same faults (``bad-value``,
``bad-number``, ``number-range``, ``missing-attribute``).

A ``<cpu>`` with an ``<arch>`` child describes a host CPU (its features have no
policy: the host has them); otherwise it is a guest CPU, as libvirt decides.
"""

from __future__ import annotations

import enum

from ..record import frozen

from ..diagnostics import Span, fail
from ..model import CpuFeature, CpuMatch, CpuMode, FeaturePolicy, Topology
from ..xmldoc import read_xml_file


class CpuKind(enum.Enum):
    HOST = "host"
    GUEST = "guest"


@frozen
class CpuDesc:
    kind: CpuKind
    arch: str | None = None
    mode: CpuMode = CpuMode.CUSTOM
    match: CpuMatch | None = None
    check: str | None = None
    model: str | None = None
    fallback: str | None = None
    vendor: str | None = None
    topology: Topology | None = None
    features: tuple[CpuFeature, ...] = ()
    signature: tuple[int, int, int] | None = None
    span: Span = Span()


def read_document(path: str):
    """Read ``path`` through the locked-down XML reader; return the root element."""
    return read_xml_file(path, remove_comments=True)


def _span(path: str, el) -> Span:
    return Span(path, el.sourceline or 0)


def _enum(cls, value, what, path, el):
    if value is None:
        return None
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(m.value for m in cls)
        raise fail("bad-value", f"invalid {what} {value!r} (expected one of: {choices})", _span(path, el)) from None


def _int_attr(el, name, path) -> int:
    raw = el.get(name, "1")
    try:
        v = int(raw, 0)
    except ValueError:
        raise fail("bad-number", f"invalid {name} {raw!r}: not a number", _span(path, el)) from None
    if v < 1:
        raise fail("number-range", f"invalid {name} {raw!r}: must be positive", _span(path, el))
    return v


def _text(el, tag) -> str | None:
    child = el.find(tag)
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def parse_cpu(el, path: str, kind: CpuKind | None = None) -> CpuDesc:
    if kind is None:
        kind = CpuKind.HOST if el.find("arch") is not None else CpuKind.GUEST
    mode = _enum(CpuMode, el.get("mode"), "cpu mode", path, el) or CpuMode.CUSTOM
    match = _enum(CpuMatch, el.get("match"), "cpu match", path, el)
    model_el = el.find("model")
    topo_el = el.find("topology")
    topology = None
    if topo_el is not None:
        topology = Topology(sockets=_int_attr(topo_el, "sockets", path), dies=_int_attr(topo_el, "dies", path),
                            cores=_int_attr(topo_el, "cores", path), threads=_int_attr(topo_el, "threads", path),
                            span=_span(path, topo_el))
    features = []
    for f in el.findall("feature"):
        name = f.get("name")
        if not name:
            raise fail("missing-attribute", "<feature> needs the attribute 'name'", _span(path, f))
        policy = FeaturePolicy.REQUIRE
        if kind is CpuKind.GUEST and f.get("policy") is not None:
            policy = _enum(FeaturePolicy, f.get("policy"), "feature policy", path, f)
        features.append(CpuFeature(name, policy, span=_span(path, f)))
    sig = None
    sig_el = el.find("signature")
    if sig_el is not None:
        try:
            sig = tuple(int(sig_el.get(k, "0"), 0) for k in ("family", "model", "stepping"))
        except ValueError:
            raise fail("bad-number", "invalid <signature>: family, model and stepping are numbers", _span(path, sig_el)) from None
    return CpuDesc(
        kind=kind, arch=_text(el, "arch"), mode=mode, match=match, check=el.get("check"),
        model=_text(el, "model"), fallback=model_el.get("fallback") if model_el is not None else None,
        vendor=_text(el, "vendor"), topology=topology, features=tuple(features), signature=sig,
        span=_span(path, el),
    )


def cpu_elements(root) -> list:
    """The <cpu> elements a document offers, by its kind."""
    if root.tag == "cpu":
        return [root]
    if root.tag == "capabilities":
        return root.findall("host/cpu")
    if root.tag == "domain":
        return root.findall("cpu")
    direct = root.findall("cpu")
    return direct if direct else list(root.iter("cpu"))


def load_cpus(path: str) -> list[CpuDesc]:
    root = read_document(path)
    kind = CpuKind.HOST if root.tag == "capabilities" else None
    els = cpu_elements(root)
    if not els:
        raise fail("cpu-missing", f"no <cpu> element in <{root.tag}>", _span(path, root))
    return [parse_cpu(el, path, kind) for el in els]


def load_one_cpu(path: str) -> CpuDesc:
    cpus = load_cpus(path)
    if len(cpus) > 1:
        raise fail("cpu-many", f"expected one <cpu>, found {len(cpus)}", cpus[1].span)
    return cpus[0]

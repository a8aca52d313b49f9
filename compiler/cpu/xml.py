"""CPU descriptions and the ``<cpu>`` element.

A :class:`CpuDesc` is one CPU as a document describes it: a bare ``<cpu>``,
capabilities XML (``host/cpu``), a domain (``cpu``), domain capabilities (the
``host-model`` mode), or a wrapper holding several of them.  Errors carry FILE:LINE
and the codes the domain reader gives the same faults (``bad-value``,
``bad-number``, ``number-range``, ``missing-attribute``).

A ``<cpu>`` with an ``<arch>`` child describes a host CPU (its features have no
policy: the host has them); otherwise it is a guest CPU, as libvirt decides.

Elements come from :mod:`compiler.xmllight` (or lxml: the lookups are the same).
Only the standard library is needed here.
"""

from __future__ import annotations

import enum

from ..enums import CpuMatch, CpuMode, FeaturePolicy
from .errors import fail


class CpuKind(enum.Enum):
    HOST = "host"
    GUEST = "guest"


class Feat:
    """One <feature>: its name as written (or canonical, when made), policy, line (0: made)."""

    __slots__ = ("name", "policy", "line")

    def __init__(self, name: str, policy: FeaturePolicy = FeaturePolicy.REQUIRE, line: int = 0):
        self.name, self.policy, self.line = name, policy, line

    def __eq__(self, other):  # the line takes no part
        return isinstance(other, Feat) and (self.name, self.policy) == (other.name, other.policy)

    def __hash__(self):
        return hash((self.name, self.policy))

    def __repr__(self):
        return f"Feat({self.name!r}, {self.policy.value})"


class Topo:
    """<topology>."""

    __slots__ = ("sockets", "dies", "cores", "threads")

    def __init__(self, sockets: int = 1, dies: int = 1, cores: int = 1, threads: int = 1):
        self.sockets, self.dies, self.cores, self.threads = sockets, dies, cores, threads

    def _key(self):
        return (self.sockets, self.dies, self.cores, self.threads)

    def __eq__(self, other):
        return isinstance(other, Topo) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return "Topo(%d, %d, %d, %d)" % self._key()


class CpuDesc:
    __slots__ = ("kind", "arch", "mode", "match", "check", "model", "fallback", "vendor", "topology",
                 "features", "signature", "file", "line")
    _FIELDS = ("kind", "arch", "mode", "match", "check", "model", "fallback", "vendor", "topology",
               "features", "signature")

    def __init__(self, kind: CpuKind, arch: str | None = None, mode: CpuMode = CpuMode.CUSTOM,
                 match: CpuMatch | None = None, check: str | None = None, model: str | None = None,
                 fallback: str | None = None, vendor: str | None = None, topology: Topo | None = None,
                 features: tuple[Feat, ...] = (), signature: tuple[int, int, int] | None = None,
                 file: str = "<input>", line: int = 0):
        self.kind, self.arch, self.mode, self.match, self.check = kind, arch, mode, match, check
        self.model, self.fallback, self.vendor, self.topology = model, fallback, vendor, topology
        self.features, self.signature, self.file, self.line = tuple(features), signature, file, line

    @property
    def where(self) -> tuple[str, int]:
        return self.file, self.line

    @property
    def span(self):
        from ..diagnostics import Span

        return Span(self.file, self.line)

    def _key(self):
        return tuple(getattr(self, f) for f in self._FIELDS[:9]) + (
            tuple((f.name, f.policy) for f in self.features), self.signature)

    def __eq__(self, other):  # positions take no part, as for every model node
        return isinstance(other, CpuDesc) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return f"CpuDesc({self.kind.value}, model={self.model!r}, {len(self.features)} features)"

    def replace(self, **changes) -> "CpuDesc":
        kw = {f: getattr(self, f) for f in self._FIELDS}
        kw.update(file=self.file, line=self.line)
        kw.update(changes)
        return CpuDesc(**kw)


def _enum(cls, value, what, path, el):
    if value is None:
        return None
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(m.value for m in cls)
        raise fail("bad-value", f"invalid {what} {value!r} (expected one of: {choices})", path,
                   el.sourceline or 0) from None


def _int_attr(el, name, path) -> int:
    raw = el.get(name, "1")
    try:
        v = int(raw, 0)
    except ValueError:
        raise fail("bad-number", f"invalid {name} {raw!r}: not a number", path, el.sourceline or 0) from None
    if v < 1:
        raise fail("number-range", f"invalid {name} {raw!r}: must be positive", path, el.sourceline or 0)
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
        topology = Topo(sockets=_int_attr(topo_el, "sockets", path), dies=_int_attr(topo_el, "dies", path),
                        cores=_int_attr(topo_el, "cores", path), threads=_int_attr(topo_el, "threads", path))
    features = []
    for f in el.findall("feature"):
        name = f.get("name")
        if not name:
            raise fail("missing-attribute", "<feature> needs the attribute 'name'", path, f.sourceline or 0)
        policy = FeaturePolicy.REQUIRE
        if kind is CpuKind.GUEST and f.get("policy") is not None:
            policy = _enum(FeaturePolicy, f.get("policy"), "feature policy", path, f)
        features.append(Feat(name, policy, f.sourceline or 0))
    sig = None
    sig_el = el.find("signature")
    if sig_el is not None:
        try:
            sig = tuple(int(sig_el.get(k, "0"), 0) for k in ("family", "model", "stepping"))
        except ValueError:
            raise fail("bad-number", "invalid <signature>: family, model and stepping are numbers", path,
                       sig_el.sourceline or 0) from None
    return CpuDesc(
        kind=kind, arch=_text(el, "arch"), mode=mode, match=match, check=el.get("check"),
        model=_text(el, "model"), fallback=model_el.get("fallback") if model_el is not None else None,
        vendor=_text(el, "vendor"), topology=topology, features=tuple(features), signature=sig,
        file=path, line=el.sourceline or 0,
    )


def host_model_mode(root, path: str) -> CpuDesc | None:
    """The ``host-model`` CPU of a ``<domainCapabilities>`` document (what virsh
    cpu-baseline takes from one), as a guest CPU; None when not supported."""
    for mode in root.findall("cpu/mode"):
        if mode.get("name") == "host-model" and mode.get("supported") == "yes":
            desc = parse_cpu(mode, path, CpuKind.GUEST)
            return desc.replace(mode=CpuMode.CUSTOM, match=CpuMatch.EXACT)
    return None


def cpu_elements(root) -> list:
    """The <cpu> elements a document offers, by its kind (not domain capabilities:
    see :func:`host_model_mode`)."""
    if root.tag == "cpu":
        return [root]
    if root.tag == "capabilities":
        return root.findall("host/cpu")
    if root.tag == "domain":
        return root.findall("cpu")
    direct = root.findall("cpu")
    return direct if direct else list(root.iter("cpu"))

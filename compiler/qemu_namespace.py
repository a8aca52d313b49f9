"""libvirt's qemu: namespace: what a domain passes to QEMU past libvirt.

As libvirt 9.0 does (qemuBuildCommandLine, qemuBuildDeviceCommandlineHandleOverrides):

* <qemu:commandline>: each <qemu:arg value=...> goes into the argv as written, after
  the devices (before -sandbox); each <qemu:env name= value=> into QEMU's environment;
* <qemu:override><qemu:device alias=ID><qemu:frontend><qemu:property name= type=
  value=>: the property of the -device whose id is ID is set (string, signed,
  unsigned, bool) or removed (type='remove'); a new one goes last;
* <qemu:deprecation behavior=...>: QEMU's -compat policy for deprecated interfaces.

libvirt marks such a domain tainted; domc says with ``warning[qemu-namespace]`` that
what these parts do to the guest ABI is the user's to answer for.  The namespace's
<qemu:capabilities> edits libvirt's own idea of what QEMU can do, which domc does
not have: an error.
"""

from __future__ import annotations

import json

from .diagnostics import Diagnostic, Severity
from .model import QemuNamespace
from .xmlread import Reader

NS = "http://libvirt.org/schemas/domain/qemu/1.0"
PROPERTY_TYPES = ("string", "signed", "unsigned", "bool", "remove")
DEPRECATION = {"none": None, "omit": {"deprecated-output": "hide"},
               "reject": {"deprecated-output": "hide", "deprecated-input": "reject"},
               "crash": {"deprecated-output": "hide", "deprecated-input": "crash"}}


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _warn(notes: list, what: str, span) -> None:
    notes.append(Diagnostic("qemu-namespace", f"{what} reaches QEMU unchecked: what it does "
                            "to the guest (and to its ABI) is the domain author's, not "
                            "domc's or libvirt's", span, Severity.WARNING))


def _value(p: Reader, ptype: str):
    raw = p.attr("value")
    if ptype == "remove":
        return None
    if raw is None:
        raise p.error("missing-attribute", f"<qemu:property type='{ptype}'> needs a value")
    if ptype == "string":
        return raw
    if ptype == "bool":
        if raw not in ("true", "false"):
            raise p.error("bad-value", f"a bool <qemu:property> is 'true' or 'false', not "
                          f"{raw!r}")
        return raw == "true"
    try:
        n = int(raw, 0)
    except ValueError:
        raise p.error("bad-number", f"a {ptype} <qemu:property> needs a number, not "
                      f"{raw!r}") from None
    if ptype == "unsigned" and n < 0:
        raise p.error("number-range", f"an unsigned <qemu:property> cannot be {n}")
    return n


def read_qemu_namespace(r: Reader, notes: list) -> QemuNamespace:
    """The qemu: elements of <domain>; a warning per element used goes to ``notes``."""
    args, env, overrides, deprecation = [], [], [], None
    for cl in r.children(q("commandline")):
        _warn(notes, "<qemu:commandline>", cl.span)
        args += [a.require("value") for a in cl.children(q("arg"))]
        env += [(e.require("name"), e.attr("value") or "") for e in cl.children(q("env"))]
    for ov in r.children(q("override")):
        _warn(notes, "<qemu:override>", ov.span)
        for dev in ov.children(q("device")):
            props = []
            for fe in dev.children(q("frontend")):
                for p in fe.children(q("property")):
                    ptype = p.attr_choice("type", PROPERTY_TYPES) or p.require("type")
                    props.append((p.require("name"), ptype, _value(p, ptype)))
            overrides.append((dev.require("alias"), tuple(props), dev.span))
    dep = r.child(q("deprecation"))
    if dep is not None:
        deprecation = dep.attr_choice("behavior", tuple(DEPRECATION)) or dep.require("behavior")
    caps = r.child(q("capabilities"))
    if caps is not None:
        raise caps.error("qemu-capabilities", "<qemu:capabilities> edits libvirt's idea of "
                         "what QEMU can do; domc compiles from its own QEMU profile and has "
                         "no such switches (use <qemu:commandline> or <qemu:override>)")
    return QemuNamespace(args=tuple(args), env=tuple(env), overrides=tuple(overrides),
                         deprecation=deprecation)


def compat_args(ns: QemuNamespace) -> list[str]:
    policy = DEPRECATION.get(ns.deprecation or "none")
    return ["-compat", json.dumps(policy, separators=(",", ":"))] if policy else []


def apply_overrides(argv: list[str], ns: QemuNamespace) -> list[str]:
    """argv with the overrides applied to the -device of each id (an id no -device has
    changes nothing, as in libvirt; check_overrides warns)."""
    out = list(argv)
    if not ns.overrides:
        # nothing to change: every -device JSON here comes from qjson, which writes what
        # the json round trip below would write again
        return out
    for i, a in enumerate(out[:-1]):
        if a != "-device" or not out[i + 1].startswith("{"):
            continue
        props = json.loads(out[i + 1])
        for dev_id, changes, _ in ns.overrides:
            if props.get("id") != dev_id:
                continue
            for name, ptype, value in changes:
                if ptype == "remove":
                    props.pop(name, None)
                else:
                    props[name] = value
        out[i + 1] = json.dumps(props, separators=(",", ":"), ensure_ascii=False)
    return out


def check_overrides(ns: QemuNamespace, aliases: set[str], diag) -> None:
    for dev_id, _, span in ns.overrides:
        if dev_id not in aliases:
            diag.warning("qemu-namespace", f"<qemu:device alias='{dev_id}'>: no device has "
                         "that id, so the override changes nothing", span)



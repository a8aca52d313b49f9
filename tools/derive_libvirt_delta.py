#!/usr/bin/env python3
"""Derive the ``libvirt_delta`` and ``guest_decodable`` entries of compiler/tables/x86_models.json by probing
a running libvirt (the way compiler/tables/qemu-7.2.json is derived by probing QEMU).

For every model in the table the tool asks libvirt for the expansion of a CPU that
names only that model::

    virsh -c URI cpu-baseline FILE --features
    FILE: <cpu><arch>x86_64</arch><model>NAME</model>[<vendor>VENDOR</vendor>]</cpu>

libvirt answers with the model's features as ``policy='require'`` lines and, for the
features its definition marks as removed, ``policy='disable'`` lines (a CPU that
names the model without asking for such a feature does not have it).  Compared with
the QEMU profile's static expansion of the same model (renamed to libvirt spellings,
accelerator features dropped) this gives, per model::

    add      features libvirt's model has and QEMU's has not
    remove   features QEMU's model has and libvirt's has not
    removed  features libvirt lists explicitly, as disable, when a CPU lacks them

``removed`` is also what libvirt switches off on the QEMU command line of a guest
naming only the model, which the tool asks for every model::

    virsh -c URI domxml-to-native qemu-argv FILE
    FILE: a minimal domain with <cpu mode='custom' match='exact'><model>NAME</model></cpu>

libvirt answers ``-cpu NAME,F=off,...``: the ``F=off`` features are the model's
removed features.  This is the only way to see them for the models libvirt never
decodes a guest CPU to (the noTSX variants: cpu-baseline describes them with their
TSX sibling); for every other model both probes must agree.  Those models get
``guest_decodable: false``: libvirt never describes a guest CPU with them.

It also checks that ``virsh cpu-models x86_64`` lists the table's models in the same
(decode) order.  Nothing is read from libvirt's data files.

Usage, from the repository root::

    python3 tools/derive_libvirt_delta.py [--uri qemu:///system]          # print the deltas (JSON)
    python3 tools/derive_libvirt_delta.py --write                          # rewrite the table
    python3 tools/derive_libvirt_delta.py --check                          # exit 1 if the table differs
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TABLES = os.path.join(ROOT, "compiler", "tables")
MODELS = os.path.join(TABLES, "x86_models.json")


def virsh(args: list[str], uri: str, binary: str) -> str:
    p = subprocess.run([binary, "-c", uri, *args], capture_output=True, text=True, check=False)
    if p.returncode != 0:
        sys.exit(f"derive_libvirt_delta: virsh {' '.join(args)} failed: {p.stderr.strip()}")
    return p.stdout


def libvirt_version(uri: str, binary: str) -> str:
    out = virsh(["version"], uri, binary)
    m = re.search(r"Using library: libvirt (\S+)", out)
    return m.group(1) if m else "unknown"


def expand_model(name: str, vendor: str | None, uri: str, binary: str) -> tuple[str, set[str], set[str]]:
    """libvirt's expansion of a CPU naming only ``name``: (the model libvirt describes it
    with, required features, disabled features)."""
    cpu = ET.Element("cpu")
    ET.SubElement(cpu, "arch").text = "x86_64"
    ET.SubElement(cpu, "model").text = name
    if vendor:
        ET.SubElement(cpu, "vendor").text = vendor
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as fh:
        fh.write(ET.tostring(cpu, encoding="unicode"))
    try:
        out = virsh(["cpu-baseline", fh.name, "--features"], uri, binary)
    finally:
        os.unlink(fh.name)
    got = ET.fromstring(out[out.index("<cpu"):out.index("</cpu>") + len("</cpu>")])
    feats: dict[str, set[str]] = {"require": set(), "disable": set()}
    for f in got.iter("feature"):
        feats.setdefault(f.get("policy", "require"), set()).add(f.get("name"))
    unexpected = set(feats) - {"require", "disable"}
    if unexpected:
        sys.exit(f"derive_libvirt_delta: {name}: unexpected policies {sorted(unexpected)}")
    return got.findtext("model"), feats["require"], feats["disable"]


DOMAIN = ("<domain type='qemu'><name>derive-libvirt-delta</name><memory unit='MiB'>64</memory>"
          "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
          "<cpu mode='custom' match='exact'><model>{}</model></cpu></domain>")


def command_line_off(name: str, uri: str, binary: str) -> set[str]:
    """The features libvirt turns off on the -cpu of a guest naming only ``name``
    (QEMU spellings)."""
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as fh:
        fh.write(DOMAIN.format(name))
    try:
        out = virsh(["domxml-to-native", "qemu-argv", fh.name], uri, binary)
    finally:
        os.unlink(fh.name)
    m = re.search(r"(?:^|\s)-cpu\s+(\S+)", out)
    if m is None:
        sys.exit(f"derive_libvirt_delta: {name}: no -cpu in libvirt's command line")
    head, *props = m.group(1).split(",")
    if head != name:
        sys.exit(f"derive_libvirt_delta: {name}: libvirt runs -cpu {head}")
    off = set()
    for prop in props:
        key, _, value = prop.partition("=")
        if value != "off":
            sys.exit(f"derive_libvirt_delta: {name}: unexpected -cpu property {prop!r}")
        off.add(key)
    return off


def derive(uri: str, binary: str) -> tuple[str, dict[str, dict[str, list[str]]], set[str]]:
    """(libvirt version, libvirt_delta per model, models libvirt never decodes a guest CPU to)"""
    sys.path.insert(0, ROOT)
    from compiler.cpu.features import table

    tab = table()
    data = json.load(open(MODELS, encoding="utf-8"))
    accel = set(data["accelerator_features"])
    profile = {m["name"]: m for m in json.load(open(os.path.join(TABLES, "qemu-7.2.json")))["cpu_models"]}

    order = virsh(["cpu-models", "x86_64"], uri, binary).split()
    ours = [m["name"] for m in data["models"]]
    theirs = [n for n in order if n in set(ours)]
    if theirs != ours:
        sys.exit(f"derive_libvirt_delta: libvirt's model order {theirs} differs from the table's {ours}")

    delta: dict[str, dict[str, list[str]]] = {}
    not_for_guests: set[str] = set()
    for m in data["models"]:
        name = m["name"]
        qemu = profile[name]
        vendor = None if m.get("vendor_neutral") else data["vendors"][qemu["vendor"]]
        described, required, disabled = expand_model(name, vendor, uri, binary)
        off = set()
        for q in command_line_off(name, uri, binary):
            f = tab.canonical(q)
            if f is None:
                sys.exit(f"derive_libvirt_delta: {name}: libvirt's -cpu property {q!r} is not in x86_features.json")
            off.add(f)
        if described == name and disabled != off:
            sys.exit(f"derive_libvirt_delta: {name}: cpu-baseline disables {sorted(disabled)} but the "
                     f"command line switches off {sorted(off)}")
        # for a model libvirt describes with another one (the noTSX variants: the disable
        # lines belong to the TSX sibling) only the command line shows the removed features
        disabled = off
        if described != name:
            not_for_guests.add(name)
        for f in required | disabled:
            if tab.canonical(f) != f:
                sys.exit(f"derive_libvirt_delta: {name}: libvirt feature {f!r} is not in x86_features.json")
        qf = {n for n in (tab.canonical(q) for q in qemu["features"]) if n is not None} - accel
        d = {}
        if required - qf:
            d["add"] = sorted(required - qf)
        if qf - required:
            d["remove"] = sorted(qf - required)
        if disabled:
            d["removed"] = sorted(disabled)
        delta[name] = {k: list(v) for k, v in d.items()}
    return libvirt_version(uri, binary), delta, not_for_guests


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--uri", default="qemu:///system")
    ap.add_argument("--virsh", default="virsh")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--write", action="store_true", help="rewrite compiler/tables/x86_models.json")
    g.add_argument("--check", action="store_true", help="exit 1 when the table's deltas differ")
    args = ap.parse_args(argv)

    version, delta, not_for_guests = derive(args.uri, args.virsh)
    models = json.load(open(MODELS))["models"]
    current = {m["name"]: m.get("libvirt_delta", {}) for m in models}
    if args.check:
        bad = sorted(n for n in delta if delta[n] != current.get(n, {}))
        for n in bad:
            print(f"{n}: table {current.get(n, {})} != libvirt {version} {delta[n]}", file=sys.stderr)
        table_not = {m["name"] for m in models if m.get("guest_decodable", True) is False}
        if table_not != not_for_guests:
            print(f"models not decoded for guests: table {sorted(table_not)} != libvirt {version} "
                  f"{sorted(not_for_guests)}", file=sys.stderr)
            bad.append("guest_decodable")
        return 1 if bad else 0
    if args.write:
        write_table(delta, not_for_guests)
        print(f"derive_libvirt_delta: wrote {MODELS} from libvirt {version}", file=sys.stderr)
        return 0
    print(json.dumps({"libvirt": version, "libvirt_delta": {n: d for n, d in delta.items() if d},
                      "not_guest_decodable": sorted(not_for_guests)}, indent=1))
    return 0


def write_table(delta: dict[str, dict[str, list[str]]], not_for_guests: set[str]) -> None:
    """Replace each model's libvirt_delta and guest_decodable, keeping the file's
    one-model-per-line layout."""
    lines = open(MODELS, encoding="utf-8").read().split("\n")
    out = []
    for line in lines:
        m = re.match(r'(\s*)(\{"name": "([^"]+)".*\})(,?)$', line)
        if m:
            entry = json.loads(m.group(2))
            entry.pop("libvirt_delta", None)
            entry.pop("guest_decodable", None)
            if m.group(3) in not_for_guests:
                entry["guest_decodable"] = False
            if delta[m.group(3)]:
                entry["libvirt_delta"] = delta[m.group(3)]
            line = m.group(1) + json.dumps(entry) + m.group(4)
        out.append(line)
    text = "\n".join(out)
    json.loads(text)  # still valid JSON
    with open(MODELS, "w", encoding="utf-8") as fh:
        fh.write(text)


if __name__ == "__main__":
    sys.exit(main())

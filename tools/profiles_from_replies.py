#!/usr/bin/env python3
"""Build the embedded QEMU capability profiles of older (and newer) QEMU versions from
libvirt's recorded QMP conversations, with domc's own probe code.

libvirt 9.0.0's test suite keeps, per QEMU release, every QMP question libvirt asked
a real ``qemu-system-x86_64`` and QEMU's answer (``caps_X.Y.0.x86_64.replies``).  This
tool replays those answers to ``compiler.probe.interrogate`` -- the same function
``domc probe`` runs against a live binary -- so a derived profile says exactly what
that QEMU said, in the same shape:

- machine types (aliases, the default, max CPUs, ``deprecated``), CPU model names
  (``alias-of``, ``static``, ``migration-safe``, ``deprecated``, the features TCG
  cannot provide) and the CPU type's boolean properties: from the recording; libvirt
  probes twice (KVM, then TCG) and the TCG answers are used where both exist, as
  ``domc probe`` runs QEMU under TCG;
- a named model's features: libvirt asks for the static expansion of 'max' (and
  'host') only, so the recording has none of a named model.  QEMU promises that a versioned model (and the
  unversioned name on the pc machines, which resolve it to -v1) keeps its definition
  from release to release, so the model's features come from the base profile (the
  probed QEMU 7.2, ``compiler/tables/qemu-7.2.json``), limited to the CPU properties
  the recorded QEMU has.  A model the base profile lacks (Icelake-Client, gone in
  QEMU 7.1) is written without a feature list: domc then knows its name only;
- what TCG gives a guest (``accel_cpus``, host-model's source for TCG guests): the
  recorded static expansions of 'max', as ``domc probe`` asks them;
- firmware descriptors are files of the host, not of QEMU: copied from the base.

The recording of QEMU 7.2 itself is checked against the probed base profile instead
(``--check`` fails if machine types, CPU model names or CPU properties differ).

Usage, from the repository root::

    python3 tools/profiles_from_replies.py [--replies DIR]          # write the profiles
    python3 tools/profiles_from_replies.py [--replies DIR] --check  # exit 1 if they differ

DIR defaults to ../shared/corpus/libvirt-9.0.0/qemucaps.  Nothing from it is copied
into the repository but the facts the profiles state.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

from compiler.probe import interrogate  # noqa: E402

TABLES = os.path.join(ROOT, "compiler", "tables")
BASE = "qemu-7.2.json"
DEFAULT_REPLIES = os.path.join(ROOT, "..", "shared", "corpus", "libvirt-9.0.0", "qemucaps")
REPLIES_RE = re.compile(r"^caps_(\d+)\.(\d+)\.(\d+)\.x86_64\.replies$")
# questions a profile cannot do without
REQUIRED = ("query-version", "query-target", "query-machines", "query-cpu-definitions",
            "qom-list-properties")


def read_conversation(path: str) -> list[list[tuple[dict, dict]]]:
    """The recorded QMP sessions of one file: lists of (question, answer).  A session
    starts at each ``qmp_capabilities``."""
    text = open(path, encoding="utf-8").read()
    dec = json.JSONDecoder()
    i, objs = 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        obj, i = dec.raw_decode(text, i)
        objs.append(obj)
    sessions: list[list[tuple[dict, dict]]] = []
    question = None
    for obj in objs:
        if "execute" in obj:
            question = obj
            if obj["execute"] == "qmp_capabilities":
                sessions.append([])
            continue
        if question is None or not sessions:
            raise ValueError(f"{path}: an answer without a question")
        sessions[-1].append((question, obj))
        question = None
    return sessions


class Replay:
    """Answers questions from a recording, the last (TCG) session first."""

    def __init__(self, path: str):
        self.path = path
        self.sessions = read_conversation(path)

    async def execute(self, command: str, arguments: dict | None):
        for session in reversed(self.sessions):
            for q, a in session:
                if q["execute"] == command and (q.get("arguments") or None) == (arguments or None):
                    if "error" in a:
                        raise RuntimeError(f"{self.path}: {command} failed: {a['error']}")
                    return a["return"]
        if command in REQUIRED:
            raise RuntimeError(f"{self.path}: no recorded answer to {command} {arguments}")
        return None


def load_base() -> dict:
    with open(os.path.join(TABLES, BASE), encoding="utf-8") as f:
        return json.load(f)


def derive(path: str, base: dict, release: str) -> dict:
    """The profile of the QEMU recorded in ``path``, which libvirt files under QEMU
    ``release``."""
    profile = asyncio.run(interrogate(Replay(path).execute))
    if not profile["emulator_version"].startswith(release + "."):
        # libvirt's "8.0.0" data comes from QEMU 7.2.50, the tree that became 8.0
        profile["release"] = release
    props = set(profile["cpu_properties"])
    base_models = {m["name"]: m for m in base["cpu_models"]}
    for m in profile["cpu_models"]:
        b = base_models.get(m["name"])
        if "features" in m or b is None or "features" not in b:
            continue  # recorded (libvirt expands 'max'), or unknown
        for key in ("vendor", "family", "model", "stepping", "model_id"):
            m[key] = b.get(key)
        m["features"] = sorted(f for f in b["features"] if f in props)
    profile["firmware"] = base.get("firmware", [])
    profile["derived_from"] = {
        "replies": f"libvirt 9.0.0 tests/qemucapabilitiesdata/{os.path.basename(path)}",
        "cpu_model_features": f"{BASE} (QEMU {base['emulator_version']}), limited to this "
                              "QEMU's CPU properties",
        "firmware": f"{BASE}",
    }
    return profile


def dumps(profile: dict) -> str:
    """Sorted keys; one line per machine type, CPU model and firmware descriptor, so a
    change shows as a change of that line."""
    out = ["{"]
    keys = sorted(profile)
    for n, key in enumerate(keys):
        value = profile[key]
        comma = "," if n < len(keys) - 1 else ""
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out.append(f" {json.dumps(key)}: [")
            for i, item in enumerate(value):
                sep = "," if i < len(value) - 1 else ""
                out.append("  " + json.dumps(item, sort_keys=True, ensure_ascii=False) + sep)
            out.append(" ]" + comma)
        else:
            out.append(f" {json.dumps(key)}: {json.dumps(value, sort_keys=True)}{comma}")
    out.append("}")
    return "\n".join(out) + "\n"


def version_of(name: str) -> str | None:
    m = REPLIES_RE.match(name)
    return f"{m[1]}.{m[2]}" if m else None


def check_base(path: str, base: dict) -> list[str]:
    """The recorded QEMU of the base's version must agree with the probed base."""
    got = asyncio.run(interrogate(Replay(path).execute))
    problems = []
    if got["machines"] != base["machines"]:
        problems.append("machine types differ")
    if [m["name"] for m in got["cpu_models"]] != [m["name"] for m in base["cpu_models"]]:
        problems.append("CPU model names differ")
    if got["cpu_properties"] != base["cpu_properties"]:
        problems.append("CPU properties differ")
    if got.get("accel_cpus") != base.get("accel_cpus"):
        problems.append("what TCG gives a guest (the expansion of 'max') differs")
    return [f"{os.path.basename(path)} vs {BASE}: {p}" for p in problems]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replies", default=DEFAULT_REPLIES, metavar="DIR",
                    help="directory of caps_X.Y.Z.x86_64.replies files")
    ap.add_argument("--check", action="store_true",
                    help="compare with the shipped profiles instead of writing them")
    args = ap.parse_args(argv)
    if not os.path.isdir(args.replies):
        print(f"{args.replies}: no such directory", file=sys.stderr)
        return 2
    base = load_base()
    base_version = ".".join(base["emulator_version"].split(".")[:2])
    bad = []
    for name in sorted(os.listdir(args.replies)):
        version = version_of(name)
        if version is None:
            continue
        path = os.path.join(args.replies, name)
        if version == base_version:
            bad += check_base(path, base)
            continue
        text = dumps(derive(path, base, version))
        target = os.path.join(TABLES, f"qemu-{version}.json")
        if args.check:
            have = open(target, encoding="utf-8").read() if os.path.exists(target) else None
            if have != text:
                bad.append(f"{target} differs from what {name} gives")
        else:
            with open(target, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote {os.path.relpath(target, ROOT)}")
    for b in bad:
        print(b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

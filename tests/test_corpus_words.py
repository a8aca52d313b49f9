"""domc writes libvirt's words: where a -device, -blockdev, -object or -netdev of a
compiled corpus domain has the same properties as libvirt 9.0's (its expected .args),
it has them in the same order, so the argument is the same string.  Objects whose
values differ (host paths, fds libvirt passes, domc's choices the README lists) are
left out; their values are the parity tools' business."""

from __future__ import annotations

import json
import shlex

import pytest

from compiler.api import compile_file, make_env, next_env
from compiler.diagnostics import DomcError

from .conftest import CORPUS

OPTIONS = ("-device", "-blockdev", "-object", "-netdev", "-audiodev")


def _objects(argv) -> dict:
    out = {}
    for opt, value in zip(argv, argv[1:]):
        if opt in OPTIONS and value.startswith("{"):
            d = json.loads(value)
            out[(opt, d.get("id") or d.get("node-name"))] = (value, d)
    return out


def test_objects_with_libvirts_properties_have_libvirts_order():
    cases = sorted((CORPUS / "qemuxml2argv").glob("*.x86_64-latest.args"))
    if not cases:
        pytest.skip(f"libvirt's corpus is not at {CORPUS}")
    env = make_env()
    compared, wrong = 0, []
    for args in cases:
        xml = args.with_name(args.name.replace(".x86_64-latest.args", ".xml"))
        try:
            got = compile_file(str(xml), next_env(env)).argv
        except DomcError:
            continue  # refused: compared elsewhere (parity)
        want = _objects(shlex.split(args.read_text().replace("\\\n", " ")))
        for key, (text, d) in _objects(list(got)).items():
            if key in want and want[key][1] == d:
                compared += 1
                if text != want[key][0]:
                    wrong.append(f"{xml.name}: {text} != {want[key][0]}")
    assert compared > 1500  # the corpus's objects, nearly all of them
    assert not wrong, "\n".join(wrong[:20])

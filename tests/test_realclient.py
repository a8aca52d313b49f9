"""Domains real clients write (virt-install --print-xml, seeded; see tools/realclient.py)
compile to the guest ABI the reference libvirt 9.0 gives them, on this machine.

Every run checks the same COUNT domains of each mode (seed SEED; tools/realclient.py runs
thousands) and one small domain per difference class docs/REALCLIENT.md lists.  Needs
root, virt-install (.ci/run installs Debian's virtinst), qemu-img, a libvirt 9.0 daemon
and ../shared/tools (parity.py, propdiff.py, libvirt-oracle); without them it skips with
the reason.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.realclient import check

SEED = 20240
COUNT = 20


@pytest.fixture(scope="module")
def scratch():
    why = check.missing_prerequisite()
    if why:
        pytest.skip(why)
    with check.Scratch() as s:
        yield s


EXAMPLES = Path(__file__).parent / "realclient" / "examples"


def _assert_agrees(res: check.Result) -> None:
    """Agreement; a refusal domc makes on purpose (check.EXPECTED_REFUSALS: TPM emulator,
    virtio-fs, which need a helper process) is judged by what lies behind it."""
    assert res.gen_error is None, f"virt-install failed: {res.gen_error}"
    diffs = res.diffs
    if res.masked is not None:
        diffs = res.masked
    lines = "\n".join(f"  {cls}: {detail}" for cls, detail in diffs)
    made_by = f" (virt-install {shlex.join(res.args[5:])})" if res.args else ""
    assert not diffs, f"{res.name}{made_by}: domc and libvirt differ:\n{lines}"


@pytest.mark.parametrize("mode", ["options", "virt-manager"])
@pytest.mark.parametrize("index", range(COUNT))
def test_domain_agrees_with_libvirt(scratch, mode, index):
    _assert_agrees(check.run_domain(SEED, index, scratch, mode, check.EXPECTED_REFUSALS))


@pytest.mark.parametrize("xml", sorted(EXAMPLES.glob("*.xml")), ids=lambda p: p.stem)
def test_class_example_agrees_with_libvirt(scratch, xml):
    """One small domain per difference class docs/REALCLIENT.md lists."""
    res = check.Result(0, xml.stem, [], xml=xml.read_text())
    _assert_agrees(check.judge(res, scratch, check.EXPECTED_REFUSALS))

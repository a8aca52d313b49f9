"""Domains real clients write (virt-install --print-xml, seeded; see tools/realclient.py)
compile to the guest ABI the reference libvirt 9.0 gives them.

Opt-in: domc does not pass this yet (docs/REALCLIENT.md lists why), so the module runs
only with DOMC_REALCLIENT=1.  It also needs root, virt-install, qemu-img, a libvirt 9.0
daemon and ../shared/tools (parity.py, propdiff.py, libvirt-oracle); without them it
skips with the reason.
"""

from __future__ import annotations

import os
import shlex

import pytest

if os.environ.get("DOMC_REALCLIENT") != "1":
    pytest.skip("real-client parity is opt-in until domc passes it: set DOMC_REALCLIENT=1",
                allow_module_level=True)

from tests.realclient import check  # noqa: E402

SEED = 20240
COUNT = 10


@pytest.fixture(scope="module")
def scratch():
    why = check.missing_prerequisite()
    if why:
        pytest.skip(why)
    with check.Scratch() as s:
        yield s


@pytest.mark.parametrize("mode", ["options", "virt-manager"])
@pytest.mark.parametrize("index", range(COUNT))
def test_domain_agrees_with_libvirt(scratch, mode, index):
    res = check.run_domain(SEED, index, scratch, mode)
    assert res.gen_error is None, f"virt-install failed: {res.gen_error}"
    lines = "\n".join(f"  {cls}: {detail}" for cls, detail in res.diffs)
    assert res.agree, (f"virt-install {shlex.join(res.args[5:])}\n"
                       f"domc and libvirt differ:\n{lines}")

"""An emitted -cpu value boots QEMU 7.2 (TCG, paused) and the flags asked for are
the flags the vCPU has (read back over QMP with qom-get)."""

import asyncio
import os
import shutil
import subprocess
import tempfile

import pytest

from compiler.model import Cpu, CpuFeature, CpuMatch, Domain, FeaturePolicy as P
from compiler.passes.resolve_cpu import cpu_argv_value, resolve_cpu
from compiler.pipeline import Env
from compiler.profile import load_profile

QEMU = shutil.which("qemu-system-x86_64")


async def _cpu_props(cpu_value: str, props: list[str]) -> dict:
    from qemu.qmp import QMPClient

    with tempfile.TemporaryDirectory(prefix="domc-boot.") as tmp:
        sock = os.path.join(tmp, "qmp.sock")
        client = QMPClient("domc-test")
        await client.start_server(sock)
        proc = subprocess.Popen(
            [QEMU, "-S", "-nodefaults", "-display", "none", "-machine", "pc", "-accel", "tcg",
             "-m", "64", "-cpu", cpu_value, "-qmp", f"unix:{sock}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            await asyncio.wait_for(client.accept(), 30)
            (vcpu,) = await client.execute("query-cpus-fast")
            out = {p: await client.execute("qom-get", {"path": vcpu["qom-path"], "property": p}) for p in props}
            out["model-id"] = await client.execute("qom-get", {"path": vcpu["qom-path"], "property": "model-id"})
        finally:
            from compiler.qmpclient import quit_and_disconnect

            await quit_and_disconnect(client)
            proc.wait(timeout=10)
    return out


@pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 is not installed")
def test_emitted_flags_are_the_vcpu_flags():
    cpu = Cpu(model="Penryn", match=CpuMatch.EXACT, features=(
        CpuFeature("sse4.2", P.REQUIRE), CpuFeature("popcnt", P.FORCE), CpuFeature("lahf_lm", P.DISABLE),
        CpuFeature("pclmuldq", P.REQUIRE), CpuFeature("sse4.1", P.DISABLE)))
    env = Env(profile=load_profile())
    value = cpu_argv_value(resolve_cpu(Domain(cpu=cpu), env).cpu)
    assert env.diag.items == []
    assert value == "Penryn,+pclmulqdq,+popcnt,+sse4.2,-lahf-lm,-sse4.1"
    got = asyncio.run(_cpu_props(value, ["sse4.2", "popcnt", "pclmulqdq", "lahf-lm", "sse4.1", "ssse3", "avx"]))
    assert got["model-id"].startswith("Intel Core 2 Duo P9xxx")
    assert {k: v for k, v in got.items() if k != "model-id"} == {
        "sse4.2": True, "popcnt": True, "pclmulqdq": True,  # asked for
        "lahf-lm": False, "sse4.1": False,                    # switched off
        "ssse3": True, "avx": False,                          # Penryn's own definition
    }

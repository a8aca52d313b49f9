"""An emitted -cpu value boots QEMU 7.2 (TCG, paused) and the flags asked for are
the flags the vCPU has (read back over QMP with qom-get)."""

import pytest

from compiler.model import Cpu, CpuFeature, CpuMatch, Domain, FeaturePolicy as P
from compiler.cpu.policy import argv_value as cpu_argv_value
from compiler.passes.resolve_cpu import resolve_cpu
from compiler.env import Env
from compiler.profile import load_profile

from ..qemu import NO_QEMU, QEMU, ask_paused



def _cpu_props(cpu_value: str, props: list[str]) -> dict:
    async def ask(qmp):
        (vcpu,) = await qmp.execute("query-cpus-fast")
        return {p: await qmp.execute("qom-get", {"path": vcpu["qom-path"], "property": p})
                for p in [*props, "model-id"]}

    return ask_paused([QEMU, "-nodefaults", "-display", "none", "-machine", "pc", "-accel", "tcg",
                       "-m", "64", "-cpu", cpu_value], ask)


@pytest.mark.skipif(QEMU is None, reason=NO_QEMU)
def test_emitted_flags_are_the_vcpu_flags():
    cpu = Cpu(model="Penryn", match=CpuMatch.EXACT, features=(
        CpuFeature("sse4.2", P.REQUIRE), CpuFeature("popcnt", P.FORCE), CpuFeature("lahf_lm", P.DISABLE),
        CpuFeature("pclmuldq", P.REQUIRE), CpuFeature("sse4.1", P.DISABLE)))
    env = Env(profile=load_profile())
    value = cpu_argv_value(resolve_cpu(Domain(cpu=cpu), env).cpu)
    assert env.diag.items == []
    assert value == "Penryn,sse4.2=on,popcnt=on,lahf-lm=off,pclmulqdq=on,sse4.1=off"  # XML order
    got = _cpu_props(value, ["sse4.2", "popcnt", "pclmulqdq", "lahf-lm", "sse4.1", "ssse3", "avx"])
    assert got["model-id"].startswith("Intel Core 2 Duo P9xxx")
    assert {k: v for k, v in got.items() if k != "model-id"} == {
        "sse4.2": True, "popcnt": True, "pclmulqdq": True,  # asked for
        "lahf-lm": False, "sse4.1": False,                    # switched off
        "ssse3": True, "avx": False,                          # Penryn's own definition
    }

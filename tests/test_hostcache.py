"""compiler.hostcache: an answer about this machine is asked once and read back while
nothing it depends on changed; a changed binary or machine, a damaged file or one
someone else could have written is asked again; an empty DOMC_CACHE_DIR turns it off.
And a kvm host-model compile takes KVM's answer from it instead of starting a QEMU."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from compiler import hostcache
from compiler.api import compile_file, make_env
from compiler.profile import AccelCpu, load_profile
from compiler.record import evolve


class Asker:
    def __init__(self, answer):
        self.answer, self.calls = answer, 0

    def __call__(self):
        self.calls += 1
        return self.answer


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("DOMC_CACHE_DIR", str(d))
    return d


def test_asked_once_then_read_back(cache):
    ask = Asker({"model": "kvm64", "features": ["x2apic"]})
    assert hostcache.cached("t", ("a",), ask) == ask.answer
    assert hostcache.cached("t", ("a",), ask) == ask.answer
    assert ask.calls == 1
    (f,) = cache.iterdir()
    assert f.stat().st_mode & 0o777 == 0o600
    assert cache.stat().st_mode & 0o777 == 0o700


def test_another_key_is_asked_again(cache):
    ask = Asker({"n": 1})
    hostcache.cached("t", ("binary", 1), ask)
    hostcache.cached("t", ("binary", 2), ask)  # the emulator was replaced
    assert ask.calls == 2


def test_a_changed_machine_is_asked_again(cache, monkeypatch):
    ask = Asker({"n": 1})
    hostcache.cached("t", ("a",), ask)
    monkeypatch.setattr(hostcache, "machine_identity", lambda: ("6.99-new-kernel", (), ()))
    hostcache.cached("t", ("a",), ask)
    assert ask.calls == 2


def test_no_answer_is_not_kept(cache):
    ask = Asker(None)
    hostcache.cached("t", ("a",), ask)
    hostcache.cached("t", ("a",), ask)
    assert ask.calls == 2 and not any(cache.glob("*.json"))


@pytest.mark.parametrize("damage", ["not json", "[1, 2]", ""])
def test_a_damaged_file_is_asked_again_and_replaced(cache, damage):
    ask = Asker({"n": 1})
    hostcache.cached("t", ("a",), ask)
    (f,) = cache.glob("*.json")
    f.write_text(damage)
    assert hostcache.cached("t", ("a",), ask) == {"n": 1}
    assert ask.calls == 2 and json.loads(f.read_text()) == {"n": 1}


def test_an_answer_of_the_wrong_shape_is_asked_again(cache):
    ask = Asker({"accel": "kvm", "features": ["x2apic"]})
    def valid(d):
        return isinstance(d.get("features"), list)

    hostcache.cached("t", ("a",), ask, valid)
    (f,) = cache.glob("*.json")
    f.write_text(json.dumps({"accel": "kvm", "features": "x2apic"}))  # a string, not a list
    assert hostcache.cached("t", ("a",), ask, valid) == ask.answer
    assert ask.calls == 2 and json.loads(f.read_text()) == ask.answer


def test_a_stored_kvm_answer_of_the_wrong_shape_does_not_break_the_compile(cache, tmp_path,
                                                                           monkeypatch):
    """A damaged KVM answer is asked again (here: no answer), and the compile goes on."""
    dom, env = _kvm_host_model_domain(  # no accel: AccelCpu cannot read it
        cache, tmp_path, monkeypatch, {"features": ["x2apic"]}, lambda emulator, timeout=30.0: None)
    assert "-cpu" in compile_file(str(dom), env).argv


def test_a_file_others_may_write_is_not_trusted(cache):
    ask = Asker({"n": 1})
    hostcache.cached("t", ("a",), ask)
    (f,) = cache.glob("*.json")
    f.write_text(json.dumps({"n": "planted"}))
    f.chmod(0o666)
    assert hostcache.cached("t", ("a",), ask) == {"n": 1}
    assert ask.calls == 2


def test_a_symlinked_file_is_not_followed(cache, tmp_path):
    ask = Asker({"n": 1})
    hostcache.cached("t", ("a",), ask)
    (f,) = cache.glob("*.json")
    planted = tmp_path / "planted.json"
    planted.write_text(json.dumps({"n": "planted"}))
    planted.chmod(0o600)
    f.unlink()
    f.symlink_to(planted)
    assert hostcache.cached("t", ("a",), ask) == {"n": 1}
    assert ask.calls == 2


def test_empty_dir_turns_the_cache_off(monkeypatch, tmp_path):
    monkeypatch.setenv("DOMC_CACHE_DIR", "")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    ask = Asker({"n": 1})
    hostcache.cached("t", ("a",), ask)
    hostcache.cached("t", ("a",), ask)
    assert ask.calls == 2 and not (tmp_path / ".cache").exists()


def test_default_place_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("DOMC_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hostcache.cache_dir() == str(tmp_path / "xdg" / "domc")


def test_an_unwritable_cache_still_answers(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("DOMC_CACHE_DIR", str(blocker / "sub"))  # cannot be a directory
    ask = Asker({"n": 1})
    assert hostcache.cached("t", ("a",), ask) == {"n": 1}


# ---------------------------------------------------------------- the compile uses it

KVM_HOST_MODEL = ("<domain type='kvm'><name>hc</name><memory unit='MiB'>64</memory>"
                  "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
                  "<cpu mode='host-model'/><devices><emulator>{qemu}</emulator></devices>"
                  "</domain>")


def _kvm_host_model_domain(cache, tmp_path, monkeypatch, stored: dict, ask):
    """A kvm host-model domain whose emulator (a fake one that fails if run) has
    ``stored`` as its answer in the cache, KVM usable and QEMU asked through ``ask``;
    with the Env to compile it (skipped when the profile records KVM's answer)."""
    import compiler.qmpclient as qmp

    monkeypatch.setattr(qmp, "kvm_usable", lambda device="/dev/kvm": True)
    monkeypatch.setattr(qmp, "ask_kvm_host_cpu", ask)
    emulator = tmp_path / "qemu-system-x86_64"
    emulator.write_text("#!/bin/sh\nexit 1\n")
    emulator.chmod(0o755)
    cache.mkdir(mode=0o700)
    path = cache / (hostcache.key_of("kvm-host-cpu", hostcache.file_identity(str(emulator)))
                    + ".json")
    path.write_text(json.dumps(stored))
    path.chmod(0o600)
    dom = tmp_path / "dom.xml"
    dom.write_text(KVM_HOST_MODEL.format(qemu=emulator))
    env = make_env()
    if env.profile.accel_cpu("kvm") is not None:
        pytest.skip("the profile in use records KVM's answer itself")
    return dom, env


def test_kvm_host_model_comes_from_the_cache(cache, tmp_path, monkeypatch):
    """A stored answer for this emulator and machine is what the guest gets: no QEMU
    is started."""
    tcg = load_profile(None).accel_cpu("tcg")
    assert tcg is not None, "the embedded profile has TCG's host-model answer"
    stored = {"accel": "kvm", "vendor": tcg.vendor, "family": tcg.family, "model": tcg.model,
              "stepping": tcg.stepping, "features": [*tcg.features, "avx2"],
              "non_migratable": list(tcg.non_migratable), "blockers": {}}
    dom, env = _kvm_host_model_domain(
        cache, tmp_path, monkeypatch, stored,
        lambda emulator, timeout=30.0: pytest.fail("QEMU was asked"))
    argv = compile_file(str(dom), env).argv
    cpu = argv[argv.index("-cpu") + 1]

    # the same answer recorded in a profile (as `domc probe` records KVM's) gives the same
    # CPU, and TCG's own answer a different one: the stored answer is what was used
    def cpu_with(accel_cpu):
        recorded = evolve(env.profile, accel_cpus=(*env.profile.accel_cpus, accel_cpu))
        out = compile_file(str(dom), evolve(make_env(), profile=recorded)).argv
        return out[out.index("-cpu") + 1]

    assert cpu == cpu_with(AccelCpu.from_dict(stored))
    assert cpu != cpu_with(evolve(tcg, accel="kvm"))


def test_cache_files_hold_nothing_but_the_answer(cache):
    hostcache.cached("t", ("a",), Asker({"model": "x"}))
    (f,) = cache.glob("*.json")
    assert json.loads(f.read_text()) == {"model": "x"}
    assert os.path.basename(f).startswith("t-")

"""Answers about this machine that cost a process to get, kept on disk between runs.

libvirt keeps what each QEMU binary can do in a capabilities cache and asks the binary
again only when something the answer depends on changed (the binary, the kernel, the
CPU's microcode).  domc does the same for the one such answer a compile may need:
what KVM gives a host-model guest here (compiler.qmpclient.ask_kvm_host_cpu, a QEMU
started for the question, ~50 ms).  Without it every compile of a kvm host-model
domain without ``--host`` would start a QEMU.

The key is a hash of everything the answer depends on, which the caller passes (the
emulator binary's identity) plus this machine's kernel release, CPU identity and
microcode, and KVM module parameters (nested virtualization, say); a change of any of
them is a new key, so a stale answer is never read.  Each answer is one JSON file in
``$DOMC_CACHE_DIR``, else ``$XDG_CACHE_HOME/domc``, else ``~/.cache/domc``; an empty
``DOMC_CACHE_DIR`` turns the cache off.  The directory is made private (0700) and the
files 0600; a file another user owns or may write is not trusted, and an unreadable
or damaged file is asked again and replaced.  Nothing secret is in it.
"""

from __future__ import annotations

import hashlib
import json
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

FORMAT = 1  # bump when what is stored changes shape


def cache_dir() -> str | None:
    """Where answers are kept; None when the cache is off."""
    env = os.environ.get("DOMC_CACHE_DIR")
    if env is not None:
        return env or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "domc")


def file_identity(path: str) -> tuple:
    """What identifies a binary's build: its real path, size, change times and inode."""
    real = os.path.realpath(path)
    st = os.stat(real)
    return (real, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def machine_identity() -> tuple:
    """This machine's kernel, CPU (vendor, family, model, stepping, microcode, flags) and
    KVM module parameters: what QEMU's view of the host CPU depends on besides QEMU."""
    cpu = []
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    break  # the first processor is enough: they share one model
                name = line.split(":", 1)[0].strip()
                if name in ("vendor_id", "cpu family", "model", "stepping", "microcode",
                            "flags"):
                    cpu.append(line.strip())
    except OSError:
        pass
    params = []
    for module in ("kvm", "kvm_intel", "kvm_amd"):
        d = f"/sys/module/{module}/parameters"
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        for name in names:
            try:
                with open(os.path.join(d, name), encoding="utf-8", errors="replace") as fh:
                    params.append(f"{module}.{name}={fh.read().strip()}")
            except OSError:
                continue
    return (os.uname().release, tuple(cpu), tuple(params))


def key_of(kind: str, parts: tuple) -> str:
    from . import __version__

    text = json.dumps([FORMAT, __version__, kind, parts, machine_identity()], default=str)
    return f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def cached(kind: str, parts: tuple, compute: Callable[[], dict | None],
           valid: Callable[[dict], bool] = lambda d: True) -> dict | None:
    """The stored answer for (kind, parts) on this machine, else ``compute()`` stored.
    A None answer (no answer) is not stored: it is asked again next time; nor is a
    stored answer ``valid`` finds wrong in shape used: it is asked again and replaced."""
    where = cache_dir()
    if where is None:
        return compute()
    path = os.path.join(where, key_of(kind, parts) + ".json")
    stored = _read(path)
    if stored is not None and valid(stored):
        return stored
    answer = compute()
    if answer is not None:
        _write(where, path, answer)
    return answer


def _read(path: str) -> dict | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid() or st.st_mode & 0o022:
            return None  # someone else could have written it: ask again
        with os.fdopen(fd, encoding="utf-8") as fh:
            fd = -1
            value = json.load(fh)
    except (OSError, ValueError):
        return None
    finally:
        if fd >= 0:
            os.close(fd)
    return value if isinstance(value, dict) else None


def _write(where: str, path: str, answer: dict) -> None:
    """Best effort: a cache that cannot be written is a cache that is not there."""
    try:
        os.makedirs(where, mode=0o700, exist_ok=True)
        import tempfile  # only a miss writes: a hit need not import it

        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=where)  # 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(answer, fh, sort_keys=True)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


__all__ = ["cache_dir", "cached", "file_identity", "key_of", "machine_identity"]

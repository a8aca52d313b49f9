"""What a compile may consult besides the XML: the capability profile, the target
host, and the diagnostics collected so far.  Passes take it as their second
argument; nothing here touches the files the XML names."""

from __future__ import annotations

from .record import define, field

from .diagnostics import Collector
from .trace import Trace
from .runtime import HostDirs


@define
class Env:
    """The host facts come from explicit fixtures or, when the user asks for it,
    from this machine."""

    profile: object  # compiler.profile.Profile
    # --host FILE (capabilities XML or bare <cpu>); None = this machine's CPU, read lazily
    host_cpu_file: str | None = None
    # --host-root DIR (a captured /proc + /sys tree); None = this machine
    host_root: str | None = None
    # --lock FILE (compiler.lockfile.Lock): addresses, ids and MACs to keep
    lock: object | None = None
    # --hotplug N: keep N empty hotplug ports after addressing (passes/hotplug.py)
    hotplug: int = 0
    # where helper sockets, user data (TPM state, NVRAM) and secret files live
    dirs: HostDirs = field(factory=HostDirs)
    diag: Collector = field(factory=Collector)
    # what the compile took from the host rather than the XML: fact -> where from
    host_facts: dict = field(factory=dict)
    # memo for the lazily loaded host facts, keyed by the loader that made them
    cache: dict = field(factory=dict)
    # `domc explain`: the passes note why they filled what they filled (compiler/trace.py);
    # None for an ordinary compile, which then records nothing
    trace: Trace | None = None
    # whether the lock passes file every device under its lock key (passes/lock.py)
    # even without a lock: what facts_of reads (domc lock, abi-diff, matrix).  A
    # compile that only emits (api.compile_file / compile_source) turns it off: no key
    # reaches a command line, and keying costs two walks of the devices per domain
    lock_keys: bool = True

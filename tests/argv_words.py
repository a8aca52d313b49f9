"""Word-for-word comparison of two QEMU command lines, domc's and libvirt's, but for
the words that are the host's (tests/hostile/test_oracle.py, tests/realclient)."""

from __future__ import annotations

import json
from collections import Counter

# words of libvirt's command line that are its daemon's or its host's, not the guest's:
# the monitor and the master key, and paths in libvirt's directories (domc's are its own)
HOST_WORDS = ("charmonitor", "masterKey0", "/var/lib/libvirt/", "/run/domc/", "/var/lib/domc/",
              "/run/libvirt/")


def _words(argv: list[str], xml: str, skip) -> list[tuple[str, str | None]]:
    """(option, value) pairs of a command line, the host's words left out (see
    word_diffs, and what ``skip(option, value)`` says), in order."""
    start = next(i for i, a in enumerate(argv) if a.endswith("qemu-system-x86_64")) + 1
    rest, out, i = argv[start:], [], 0
    while i < len(rest):
        opt = rest[i]
        value = rest[i + 1] if i + 1 < len(rest) and not rest[i + 1].startswith("-") else None
        i += 2 if value is not None else 1
        if opt in ("-S", "-mon", "-netdev") or any(w in (value or "") for w in HOST_WORDS) \
                or skip(opt, value):
            continue
        if opt == "-uuid" and "<uuid>" not in xml:
            continue  # libvirt makes a random one, domc derives one from the name
        if opt == "-vnc" and value:
            value = value.replace(",to=99", "")  # domc's autoport: QEMU finds a free display
        if opt == "-fsdev" and value and value.endswith(",readonly"):
            # libvirt 9.0's short form, which QEMU 7.2 warns is deprecated; domc: readonly=on
            value += "=on"
        if opt == "-device" and value and value.startswith("{"):
            d = json.loads(value)
            if "netdev" in d or (d.get("driver") == "pcie-root-port" and "<interface" in xml):
                continue  # see word_diffs
            if d.get("driver", "").endswith("-x86_64-cpu"):
                continue  # a hotpluggable vCPU: libvirt plugs it over QMP at start
            if "vhostfd" in d:  # the vhost-vsock descriptor libvirt's daemon opens
                del d["vhostfd"]
                value = json.dumps(d, separators=(",", ":"), ensure_ascii=False)
        out.append((opt, value))
    return out


def word_diffs(mine: list[str], theirs: list[str], xml: str,
               skip=lambda opt, value: False) -> list[str]:
    """Every word of libvirt's command line is domc's, and the other way round, but
    the host's: the monitor, the master key and paths in libvirt's directories; the
    -uuid libvirt makes up for a domain without one; the NICs (virsh domxml-to-native
    rebuilds them, their addresses and the q35 root ports that place them: the
    oracle tests compare them through normalize, the real-client differential through
    their properties);
    domc's VNC autoport (to=99) and vhost-vsock's descriptor, libvirt's deprecated
    short form of -fsdev's readonly, and the hotpluggable vCPUs of <vcpus> (domc's
    -device CPUs, libvirt's QMP device_add at start); and what ``skip`` says."""
    a, b = Counter(_words(mine, xml, skip)), Counter(_words(theirs, xml, skip))
    return ([f"only domc: {o} {v}" for (o, v), n in (a - b).items()]
            + [f"only libvirt: {o} {v}" for (o, v), n in (b - a).items()])

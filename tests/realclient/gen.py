"""Seeded virt-install command lines, the way real clients write domains.

``virt_install_args(seed, index, env)`` returns the argument list (without the
``virt-install`` program name) for domain number ``index`` of run ``seed``.  A domain
depends only on (seed, index, mode), never on how many domains a run asks for, so the
first ten domains of seed 1 are the same in a run of 10 and in a run of 200.

Everything virt-install would otherwise pick at random (uuid, MAC addresses) is derived
from (seed, index) and passed explicitly, so the XML it prints is reproducible up to the
scratch directory that holds the disk images (``env.images``).

Two modes:

* ``options`` (default): an osinfo variant plus a random selection of the options people
  use -- machine type, UEFI, CPU mode, disks on every bus, cdroms, NIC models, graphics,
  video, sound, guest-agent channel, rng, TPM, watchdog, filesystems, iothreads, vCPU
  pinning, serial + virtio console, input devices, USB controllers, memballoon.
* ``virt-manager``: what virt-manager's "New VM" wizard writes for an imported disk with
  every page left at its default: name, memory, vCPUs, one disk (bus from osinfo), NIC on
  the ``default`` network (model from osinfo), and virtinst's defaults for the rest
  (SPICE graphics, video, sound, tablet, guest agent, rng, USB controller).  virt-manager
  builds the domain with the same virtinst library, so ``virt-install --import`` with only
  those options prints the same devices.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

# osinfo short-ids known to Debian's osinfo-db that virt-install 4.1 ships with: a spread
# of Linux, BSD and Windows guests, old (pc + IDE + USB2) and new (q35 + virtio + XHCI)
OSINFO = (
    "debian10", "debian11", "ubuntu20.04", "ubuntu22.04", "fedora36", "fedora37",
    "rhel6.10", "centos7.0", "rhel8.6", "rhel9.0", "centos-stream9", "opensuse15.4",
    "alpinelinux3.17", "archlinux", "freebsd13.1", "linux2022", "generic",
    "winxp", "win7", "win10", "win11", "win2k19", "win2k22",
)

# mostly models an ordinary x86 host can run, and two that need features (svm; hle/rtm)
# many hosts lack, since users pick those as well
CPU_MODELS = ("Haswell-noTSX", "Broadwell-noTSX", "SandyBridge", "IvyBridge", "Nehalem",
              "Westmere", "Penryn", "kvm64", "EPYC", "Skylake-Client-IBRS")
CPU_FEATURES = ("+x2apic", "-svm", "require=pcid", "disable=vmx", "+invtsc", "require=aes")
NIC_MODELS = (None, "virtio", "virtio", "e1000e", "rtl8139", "e1000")
VIDEO_MODELS = ("vga", "qxl", "virtio", "bochs", "cirrus")
SOUND_MODELS = ("ich9", "ich6", "ac97", "none")
WATCHDOGS = ("i6300esb", "ib700", "itco")
DISK_IMAGES = ("d0.qcow2", "d1.qcow2", "d2.qcow2")
RAW_IMAGE = "r0.img"
CDROM_IMAGE = "cd.iso"
SHARE_DIR = "share"


@dataclass(frozen=True)
class Env:
    """Where the scratch disk images live (see check.Scratch)."""

    images: Path


def domain_name(seed: int, index: int, mode: str = "options") -> str:
    return f"rc{'vm' if mode == 'virt-manager' else ''}-{seed}-{index}"


def _rng(seed: int, index: int, mode: str) -> random.Random:
    digest = hashlib.sha256(f"realclient:{mode}:{seed}:{index}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _uuid(r: random.Random) -> str:
    return str(uuid.UUID(int=r.getrandbits(128), version=4))


def _mac(r: random.Random) -> str:
    return "52:54:00:%02x:%02x:%02x" % (r.randrange(256), r.randrange(256), r.randrange(256))


def _chance(r: random.Random, p: float) -> bool:
    return r.random() < p


def _disk(r: random.Random, env: Env, n: int, machine: str | None, iothreads: int) -> str:
    """One --disk option for disk number n (images are shared between domains:
    nothing ever starts a guest)."""
    raw = _chance(r, 0.15)
    path = env.images / (RAW_IMAGE if raw else DISK_IMAGES[n])
    parts = [f"path={path}"]
    buses = ["virtio", "virtio", "sata", "scsi", "usb"]
    if machine == "pc":
        buses.append("ide")
    bus = None if _chance(r, 0.3) else r.choice(buses)
    if bus:
        parts.append(f"bus={bus}")
    if raw:
        parts.append("format=raw")
    if _chance(r, 0.2):
        parts.append("cache=" + r.choice(("none", "writeback", "unsafe")))
    if _chance(r, 0.15):
        parts.append("discard=unmap")
    if bus == "virtio" and iothreads and _chance(r, 0.5):
        parts.append(f"driver.iothread={r.randint(1, iothreads)}")
    if bus == "scsi" and _chance(r, 0.3):
        parts.append("serial=RC%04d" % r.randrange(10000))
    return ",".join(parts)


def _cdrom(r: random.Random, env: Env, machine: str | None) -> str:
    buses = ["sata", "scsi"] + (["ide", "ide"] if machine == "pc" else [])
    parts = ["device=cdrom", "bus=" + r.choice(buses)]
    if _chance(r, 0.5):
        parts.insert(0, f"path={env.images / CDROM_IMAGE}")
    return ",".join(parts)


def _cpu(r: random.Random) -> list[str]:
    roll = r.random()
    if roll < 0.35:
        return []  # virtinst's default: host-passthrough
    if roll < 0.5:
        return ["--cpu", "host-passthrough"]
    if roll < 0.7:
        return ["--cpu", "host-model"]
    spec = [r.choice(CPU_MODELS)]
    if _chance(r, 0.4):
        spec += r.sample(CPU_FEATURES, r.randint(1, 2))
    return ["--cpu", ",".join(spec)]


def _vcpus(r: random.Random) -> list[str]:
    roll = r.random()
    if roll < 0.6:
        return ["--vcpus", str(r.randint(1, 4))]
    if roll < 0.85:
        sockets, cores, threads = r.choice(((1, 2, 1), (1, 2, 2), (2, 2, 1), (1, 4, 1), (2, 1, 2)))
        n = sockets * cores * threads
        return ["--vcpus", f"{n},sockets={sockets},cores={cores},threads={threads}"]
    n = r.randint(1, 2)
    return ["--vcpus", f"{n},maxvcpus={n * 2}"]


def _vcpu_count(args: list[str]) -> int:
    spec = args[args.index("--vcpus") + 1]
    return int(spec.split(",")[0])


def _network(r: random.Random) -> list[str]:
    roll = r.random()
    if roll < 0.08:
        return ["--network", "none"]
    nics = 2 if roll > 0.93 else 1
    out: list[str] = []
    for _ in range(nics):
        source = "bridge=br0" if _chance(r, 0.12) else "network=default"
        model = r.choice(NIC_MODELS)
        spec = source + (f",model={model}" if model else "") + f",mac={_mac(r)}"
        out += ["--network", spec]
    return out


def options_args(seed: int, index: int, env: Env) -> list[str]:
    r = _rng(seed, index, "options")
    osinfo = r.choice(OSINFO)
    machine = r.choice((None, None, "q35", "pc"))
    args = ["--name", domain_name(seed, index), "--uuid", _uuid(r), "--osinfo", osinfo,
            "--memory", str(r.choice((512, 1024, 2048, 3072, 4096)))]
    args += _vcpus(r)
    if machine:
        args += ["--machine", machine]
    if _chance(r, 0.25):
        args += ["--boot", "uefi"]
    args += _cpu(r)
    iothreads = r.randint(1, 2) if _chance(r, 0.2) else 0
    if iothreads:
        args += ["--iothreads", str(iothreads)]
    if _chance(r, 0.15):
        pins = [f"vcpupin{v}.vcpu={v},vcpupin{v}.cpuset={r.choice(('0', '1', '0-1'))}"
                for v in range(min(_vcpu_count(args), 2))]
        args += ["--cputune", ",".join(pins)]
    for n in range(r.choice((1, 1, 1, 2, 2, 3))):
        args += ["--disk", _disk(r, env, n, machine, iothreads)]
    if _chance(r, 0.35):
        args += ["--disk", _cdrom(r, env, machine)]
    args += _network(r)
    graphics = r.choice((None, None, "none", "vnc", "spice"))
    if graphics:
        args += ["--graphics", graphics]
    if graphics != "none" and _chance(r, 0.4):
        args += ["--video", r.choice(VIDEO_MODELS)]
    if _chance(r, 0.35):
        args += ["--sound", r.choice(SOUND_MODELS)]
    if _chance(r, 0.2):
        args += ["--channel", "unix,target.type=virtio,name=org.qemu.guest_agent.0"]
    roll = r.random()
    if roll < 0.15:
        args += ["--rng", "/dev/urandom"]
    elif roll < 0.25:
        args += ["--rng", "none"]
    if _chance(r, 0.12):
        args += ["--tpm", "emulator,model=" + r.choice(("tpm-crb", "tpm-tis"))]
    if _chance(r, 0.15):
        action = r.choice(("reset", "poweroff", "pause", "none"))
        args += ["--watchdog", f"{r.choice(WATCHDOGS)},action={action}"]
    roll = r.random()
    if roll < 0.1:
        args += ["--filesystem", f"source={env.images / SHARE_DIR},target=share"]
    elif roll < 0.15:
        share = f"source={env.images / SHARE_DIR},target=share"
        args += ["--filesystem", share + ",driver.type=virtiofs",
                 "--memorybacking", "source.type=memfd,access.mode=shared"]
    if _chance(r, 0.25):
        args += ["--serial", "pty", "--console", "pty,target.type=virtio"]
    roll = r.random()
    if roll < 0.2:
        args += ["--input", "tablet"]
    elif roll < 0.3:
        args += ["--input", "keyboard,bus=virtio"]
    roll = r.random()
    if roll < 0.08:
        args += ["--controller", "usb2"]
    elif roll < 0.16:
        args += ["--controller", "usb3"]
    if _chance(r, 0.1):
        args += ["--memballoon", "none"]
    return args


def virt_manager_args(seed: int, index: int, env: Env) -> list[str]:
    r = _rng(seed, index, "virt-manager")
    return ["--name", domain_name(seed, index, "virt-manager"), "--uuid", _uuid(r),
            "--osinfo", r.choice(OSINFO),
            "--memory", str(r.choice((1024, 2048, 4096))), "--vcpus", str(r.choice((1, 2, 2, 4))),
            "--disk", f"path={env.images / DISK_IMAGES[0]}",
            "--network", f"network=default,mac={_mac(r)}"]


def virt_install_args(seed: int, index: int, env: Env, mode: str = "options") -> list[str]:
    """virt-install arguments that print (never define, never download) domain `index`."""
    body = virt_manager_args(seed, index, env) if mode == "virt-manager" \
        else options_args(seed, index, env)
    return ["--connect", "qemu:///system", "--print-xml", "--import", "--noautoconsole"] + body

"""Run one generated domain through virt-install, the reference libvirt and domc, and
say whether domc gives the guest ABI libvirt gives.

The fact extraction and device matching are ../shared/tools/parity.py's and the
per-property comparison is propdiff.py's, imported at run time (``shared_tools()``);
without ../shared the callers skip.  Nothing here is a copy of them: this module only
turns their results into short difference *classes* (one string per kind of problem,
e.g. ``-cpu: libvirt has migratable=on``) that a run can count.

domc compiles for the machine libvirt runs on: ``--host`` and ``--profile`` describe it
(``target_options``, written once per Scratch), so host-model, match='minimum' and the
host check of a custom CPU are decided for the same host on both sides.

Agreement for one domain: both refuse it; or both compile it and the machine type,
-cpu, -smp, -m, every -device's driver/id/bus/addr/guest props (parity.py) and every
-device property (propdiff.py) are the same, with no -device that only one side has.
"""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from ..argv_words import word_diffs
from . import gen

ROOT = Path(__file__).resolve().parents[2]
SHARED_TOOLS = ROOT.parent / "shared" / "tools"
ORACLE = SHARED_TOOLS / "libvirt-oracle"
URI = "qemu:///system"
ET.register_namespace("libosinfo", "http://libosinfo.org/xmlns/libvirt/domain/1.0")
TIMEOUT = 60


def shared_tools():
    """(parity, propdiff) modules from ../shared/tools, or None when absent."""
    if not (SHARED_TOOLS / "parity.py").is_file() or not (SHARED_TOOLS / "propdiff.py").is_file():
        return None
    if str(SHARED_TOOLS) not in sys.path:
        sys.path.insert(0, str(SHARED_TOOLS))
    return importlib.import_module("parity"), importlib.import_module("propdiff")


def missing_prerequisite() -> str | None:
    """Why a run cannot happen here, or None when it can."""
    if shared_tools() is None or not ORACLE.is_file():
        return f"parity.py, propdiff.py and libvirt-oracle not found in {SHARED_TOOLS}"
    for tool in ("virt-install", "virsh", "qemu-img"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    p = subprocess.run(["virsh", "-c", URI, "version"], capture_output=True, text=True,
                       check=False)
    if p.returncode != 0 or "libvirt 9.0." not in p.stdout:
        return f"no libvirt 9.0 daemon answers at {URI} (libvirt-oracle setup starts one)"
    return None


class Scratch:
    """Disk images, a cdrom image and a shared directory in a temporary directory, inside
    a transient libvirt storage pool.  virt-install puts every disk path it is given into
    a storage pool and, when no pool covers the directory, defines a persistent one; the
    transient pool stops it from leaving anything behind, and goes when closed."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="domc-realclient-"))
        for name in gen.DISK_IMAGES:
            _run(["qemu-img", "create", "-q", "-f", "qcow2", str(self.dir / name), "1G"])
        _run(["qemu-img", "create", "-q", "-f", "raw", str(self.dir / gen.RAW_IMAGE), "64M"])
        _run(["qemu-img", "create", "-q", "-f", "raw", str(self.dir / gen.CDROM_IMAGE), "1M"])
        (self.dir / gen.SHARE_DIR).mkdir()
        self.pool = self.dir.name
        _run(["virsh", "-c", URI, "pool-create-as", self.pool, "dir", "--target", str(self.dir)])
        self.env = gen.Env(images=self.dir)
        # the target of domc's compiles is this machine, as libvirt's is: its CPU
        # (`domc capabilities`) and its QEMU with what KVM offers here (`domc probe`)
        try:
            self.target = target_options(self.dir)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        subprocess.run(["virsh", "-c", URI, "pool-destroy", self.pool], capture_output=True,
                       check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd,
                          timeout=TIMEOUT, stdin=subprocess.DEVNULL)


@dataclass
class Result:
    index: int
    name: str
    args: list[str]
    xml: str = ""
    gen_error: str | None = None       # virt-install failed: not a domain
    libvirt_error: str | None = None   # the reference refused the XML
    libvirt_argv: list[str] | None = None
    domc_codes: list[str] = field(default_factory=list)
    domc_errors: str = ""
    domc_argv: list[str] | None = None
    diffs: list[tuple[str, str]] = field(default_factory=list)   # (class, detail)
    masked: list[tuple[str, str]] | None = None   # differences behind domc's refusal
    display: list[tuple[str, str]] = field(default_factory=list)  # not counted: host side

    @property
    def agree(self) -> bool:
        return self.gen_error is None and not self.diffs

    def classes(self) -> list[str]:
        return sorted({c for c, _ in self.diffs})


_DOMC_ERR = re.compile(r"^.*?:\d+: error\[([^\]]+)\]: (.*)$")


def run_domain(seed: int, index: int, scratch: Scratch, mode: str = "options",
               unmask: Collection[str] = ()) -> Result:
    """Generate domain `index` of run `seed` with virt-install, then judge it."""
    args = gen.virt_install_args(seed, index, scratch.env, mode)
    res = Result(index, gen.domain_name(seed, index, mode), args)
    p = _run(["virt-install"] + args)
    if p.returncode != 0 or "<domain" not in p.stdout:
        res.gen_error = (p.stderr.strip().splitlines() or ["no XML"])[-1]
        return res
    res.xml = p.stdout
    return judge(res, scratch, unmask)


def judge(res: Result, scratch: Scratch, unmask: Collection[str] = ()) -> Result:
    """Compile res.xml both ways and compare.  When domc alone refuses it, and only for
    codes in `unmask` (keys of UNMASK), the XML is changed accordingly and compared again
    (both sides); what then differs goes to res.masked."""
    _answer(res, scratch.dir / f"{res.name}.xml", scratch.target)
    res.diffs = verdict(res)
    if res.libvirt_argv is not None and res.domc_argv is not None:
        res.display = display_diffs(res.libvirt_argv, res.domc_argv)
    inner = res
    # domc may report one refusal at a time: unmask until it accepts or refuses otherwise
    for _ in range(len(UNMASK)):
        if not (inner.libvirt_argv is not None and inner.domc_argv is None
                and all(code in unmask for code in inner.domc_codes)):
            break
        xml = unmasked_xml(inner.xml, inner.domc_codes)
        inner = Result(res.index, res.name + "-unmasked", res.args, xml=xml)
        _answer(inner, scratch.dir / f"{inner.name}.xml", scratch.target)
        res.masked = verdict(inner)
    return res


def target_options(directory: Path) -> list[str]:
    """``--host``/``--profile`` naming this machine, written once into ``directory``:
    `domc capabilities` (the host CPU) and `domc probe` (this QEMU, with what its KVM
    offers a guest where /dev/kvm works)."""
    host, profile = directory / "host-caps.xml", directory / "profile.json"
    p = _run([sys.executable, "-m", "compiler", "capabilities", "-o", str(host)], cwd=ROOT)
    if p.returncode != 0:
        raise RuntimeError(f"domc capabilities failed: {p.stderr.strip()}")
    p = _run([sys.executable, "-m", "compiler", "probe", "-o", str(profile)], cwd=ROOT)
    if p.returncode != 0:
        raise RuntimeError(f"domc probe failed: {p.stderr.strip()}")
    return ["--host", str(host), "--profile", str(profile)]


def _answer(res: Result, xml_path: Path, target: list[str]) -> None:
    """Fill in libvirt's and domc's answers for res.xml (domc compiling for ``target``)."""
    parity, _ = shared_tools()
    xml_path.write_text(res.xml)
    p = _run([str(ORACLE), "argv", str(xml_path)])
    if p.returncode == 0:
        res.libvirt_argv = parity.split_cmdline(p.stdout)
    else:
        res.libvirt_error = " ".join(p.stderr.split()) or f"exit {p.returncode}"
    p = _run([sys.executable, "-m", "compiler", "compile", str(xml_path), "--format", "json",
              *target], cwd=ROOT)
    if p.returncode == 0:
        res.domc_argv, perr = parity.parse_output(p.stdout)
        if res.domc_argv is None:
            res.domc_codes, res.domc_errors = ["unparseable-output"], perr
    else:
        res.domc_errors = p.stderr.strip()
        res.domc_codes = sorted({m.group(1) for line in res.domc_errors.splitlines()
                                 if (m := _DOMC_ERR.match(line))}) or ["no-error-line"]


# Unmasking: a refusal hides whatever else differs in the same domain.  For the refusals
# real clients hit most, the XML is changed the least that makes domc accept it: the
# USB2 companions get the index libvirt gives them (their master's), the TPM or
# virtio-fs share that needs a helper process domc does not start is dropped.

def _usb_companion_index(root: ET.Element) -> None:
    ctrls = [c for c in root.iter("controller") if c.get("type") == "usb"]
    master = next((c for c in ctrls if c.get("model", "").endswith("ehci1")), None)
    index = master.get("index", "0") if master is not None else "0"
    for c in ctrls:
        if c.get("index") is None:
            c.set("index", index)


def _drop(tag: str, keep=lambda el: False):
    def change(root: ET.Element) -> None:
        for parent in root.iter():
            for el in list(parent):
                if el.tag == tag and not keep(el):
                    parent.remove(el)
    return change


# domc refuses these on purpose (they need a helper process libvirt would start)
EXPECTED_REFUSALS = frozenset({"tpm-emulator", "virtiofs-socket"})
UNMASK = {
    "usb-companion-master": _usb_companion_index,
    "tpm-emulator": _drop("tpm"),
    "virtiofs-socket": _drop("filesystem", keep=lambda el: (
        el.find("driver") is None or el.find("driver").get("type") != "virtiofs")),
}


def unmasked_xml(xml: str, codes: list[str]) -> str:
    root = ET.fromstring(xml)
    for code in codes:
        UNMASK[code](root)
    return ET.tostring(root, encoding="unicode")


def verdict(res: Result) -> list[tuple[str, str]]:
    """The differences between libvirt's answer and domc's, as (class, detail)."""
    lib_ok, domc_ok = res.libvirt_argv is not None, res.domc_argv is not None
    if not lib_ok and not domc_ok:
        return []
    if not domc_ok:
        first = res.domc_errors.splitlines()[0] if res.domc_errors else ""
        return [(f"domc refuses: {code}", first) for code in res.domc_codes]
    if not lib_ok:
        # the class is the message without its particulars: up to its second colon
        msg = ":".join((res.libvirt_error or "").removeprefix("error: ").split(":")[:2])
        return [(f"libvirt refuses, domc accepts: {msg.strip()}", res.libvirt_error or "")]
    return compare_argv(res.libvirt_argv, res.domc_argv) + [
        (f"words: {w.split(' ', 3)[0]} {w.split(' ', 3)[1]} {w.split(' ', 3)[2]}", w)
        for w in word_diffs(res.domc_argv, res.libvirt_argv, res.xml, skip=_host_side)]


def _host_side(opt: str, value: str | None) -> bool:
    """Words a real client's domain has that are the host's besides argv_words'
    HOST_WORDS: the displays (their ports are allocated at start; display_diffs lists
    them) and the TPM emulator's chardev (virsh domxml-to-native writes a null one: the
    swtpm socket exists only once libvirt started swtpm)."""
    return opt in ("-spice", "-vnc") or (opt == "-chardev" and "id=chrtpm" in (value or ""))



def _fmt(value) -> str:
    return "-" if value is None else str(value)


def compare_argv(lib: list[str], ours: list[str]) -> list[tuple[str, str]]:
    """(class, detail) for every guest-ABI difference between two QEMU command lines."""
    parity, propdiff = shared_tools()
    exp_f, our_f = parity.extract_facts(lib), parity.extract_facts(ours)
    c = parity.compare(exp_f, our_f)
    diffs: list[tuple[str, str]] = []
    for key, (e, o) in c["scalar_diffs"].items():
        if key == "cpu":
            diffs += _cpu_diffs(e, o)
        else:
            diffs.append((f"-{key if key != 'memory' else 'm'} differs", f"libvirt={e} domc={o}"))
    diffs += _option_diffs(parity, lib, ours, GUEST_OPTIONS)
    extra = list(c["extra_pci"]) + list(c["extra_other"])
    for e, o in c["device_mismatches"]:
        if o is None:  # unmatched: maybe the same device under another id
            o = next((x for x in extra if x.get("driver") == e.get("driver")), None)
            if o is None:
                diffs.append((f"-device {e.get('driver')} missing", parity.fmt_rec(e)))
                continue
            extra.remove(o)
        for k in sorted(set(e) | set(o)):
            if e.get(k) != o.get(k):
                diffs.append((f"-device {e.get('driver')}: {k} differs",
                              f"libvirt={_fmt(e.get(k))} domc={_fmt(o.get(k))}"))
    for o in extra:
        diffs.append((f"-device {o.get('driver')} only in domc", parity.fmt_rec(o)))
    covered = {"driver", "id", "bus", "addr", *parity.GUEST_PROPS}  # compared above
    lib_devs = {propdiff.key(d): d for d in propdiff.devices(lib)}
    our_devs = {propdiff.key(d): d for d in propdiff.devices(ours)}
    for k, e in lib_devs.items():
        o = our_devs.get(k)
        if o is None:
            continue  # placement/id difference, reported above
        for prop in sorted((set(e) | set(o)) - covered):
            ev, ov = e.get(prop), o.get(prop)
            if ev == ov:
                continue
            side = "only libvirt sets" if ov is None else \
                "only domc sets" if ev is None else "differs"
            diffs.append((f"-device {e.get('driver')}: property {prop} {side}",
                          f"libvirt={_fmt(ev)} domc={_fmt(ov)}"))
    return _dedupe(diffs)


# guest-visible options besides the machine type, -cpu, -smp, -m and -device (which
# parity.py compares): machine properties, -global defaults, the RTC, boot menu/strictness,
# ACPI/HPET, SMBIOS.  -machine's memory-backend names a host object and is left out.
GUEST_OPTIONS = ("machine", "global", "rtc", "boot", "no-hpet", "no-acpi", "smbios")
# the displays are host-side (the guest sees the video device, compared as a -device): their
# differences are listed apart and not counted against agreement.  Ports and VNC display
# numbers are left out: libvirt allocates them when it builds the command line.
DISPLAY_OPTIONS = ("spice", "vnc")
_IGNORED = {("machine", "type"), ("machine", "memory-backend"), ("spice", "port"),
            ("spice", "tls-port")}


def display_diffs(lib: list[str], ours: list[str]) -> list[tuple[str, str]]:
    parity, _ = shared_tools()
    return _option_diffs(parity, lib, ours, DISPLAY_OPTIONS)


def _option_diffs(parity, lib, ours, names) -> list[tuple[str, str]]:
    def props(argv):
        out: dict[str, dict[str, str]] = {}
        for name, arg in parity.iter_options(argv):
            if name not in names:
                continue
            if arg is None or name == "global":
                out.setdefault(name, {})[arg or ""] = "on"
                continue
            implied = {"machine": "type", "vnc": "display"}.get(name)
            for k, v in parity.qemuopts_parse(arg, implied):
                if name == "vnc" and k == "display":
                    v = v.rsplit(":", 1)[0]  # the listen address, not the display number
                if (name, k) not in _IGNORED:
                    out.setdefault(name, {})[k] = v
        return out
    a, b = props(lib), props(ours)
    diffs = []
    for name in names:
        e, o = a.get(name, {}), b.get(name, {})
        for k, side in _keyed_diffs(e, o):
            what = f"-{name} {k}" if k else f"-{name}"
            if side == "libvirt":
                diffs.append((f"{what}: only libvirt sets it", f"libvirt={e[k]}"))
            elif side == "domc":
                diffs.append((f"{what}: only domc sets it", f"domc={o[k]}"))
            else:
                diffs.append((f"{what} differs", f"libvirt={e[k]} domc={o[k]}"))
    return diffs


def _keyed_diffs(lib: dict, ours: dict):
    """(key, side) for every key the two dicts do not agree on, in key order: side is
    'libvirt' or 'domc' for a key only that side has, 'both' for differing values."""
    for k in sorted(set(lib) | set(ours)):
        if k not in ours:
            yield k, "libvirt"
        elif k not in lib:
            yield k, "domc"
        elif lib[k] != ours[k]:
            yield k, "both"


def _cpu_diffs(e, o) -> list[tuple[str, str]]:
    """A differing model is one class; so is each of up to three differing features
    (a missing migratable=on, say); more than three (a host-model expansion that
    differs) are one class for the model, with the features in the detail."""
    (em, ef), (om, of) = e, o
    out = []
    if em != om:
        out.append((f"-cpu model differs: libvirt {em}, domc {om}", ""))
    feats = []
    for f, side in _keyed_diffs(ef, of):
        if side == "libvirt":
            feats.append((f"-cpu {em}: only libvirt has {f}={ef[f]}", f"{f}={ef[f]}"))
        elif side == "domc":
            feats.append((f"-cpu {em}: only domc has {f}={of[f]}", f"{f}={of[f]}"))
        else:
            feats.append((f"-cpu {em}: {f} differs", f"libvirt {f}={ef[f]} domc {f}={of[f]}"))
    if len(feats) > 3:
        lib_only = [d for c, d in feats if "only libvirt" in c]
        domc_only = [d for c, d in feats if "only domc" in c]
        return out + [(f"-cpu {em}: feature set differs",
                       f"only libvirt: {','.join(lib_only)}; only domc: {','.join(domc_only)}")]
    return out + feats


def _dedupe(diffs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen, out = set(), []
    for d in diffs:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out

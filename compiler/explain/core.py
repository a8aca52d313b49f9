"""``explain_file``: compile a domain with the passes' recorder on, then give every
option of the argv and every property inside it its source.

A device's options are the words its kind's emitter wrote for it (emit.argv.
device_words); their properties come from the device element (a value that is an
attribute or text under it), from the passes that filled them in (address, id, boot
index, MAC: comparing the parsed with the normalized device, with the passes' notes
for the why), or from the element as a whole.  Every other option has a rule of its
own (explain/options.py).
"""

from __future__ import annotations

from collections import Counter

from ..record import frozen

from ..devices.base import EmitCtx
from ..emit.argv import device_words, emit_argv
from ..emit.taskset import AffinityPlan, plan
from ..env import Env
from ..model import Domain, DriveAddr, OtherAddr, PciAddr
from ..parse import parse_file
from ..pipeline import normalize
from ..trace import Trace
from .locate import Locator
from .model import Option, Origin, Prop, Source
from .base import json_props, split_opts
from .options import rules
from .reasons import added_reason, boot_reason, drive_reason, pci_reason, usb_reason

# options that take no value
FLAGS = frozenset(("-no-user-config", "-nodefaults", "-no-shutdown", "-no-acpi", "-no-hpet",
                   "-mem-prealloc", "-S", "-enable-kvm", "-no-reboot"))
# what an option of a device's words is to the device
ROLES = {"-device": "the device", "-blockdev": "a block node", "-netdev": "the network backend",
         "-chardev": "the character device backend", "-object": "a backend object",
         "-audiodev": "the audio backend", "-vnc": "the VNC server", "-spice": "the SPICE server",
         "-fsdev": "the filesystem backend", "-tpmdev": "the TPM backend",
         "-global": "a device default", "-watchdog-action": "the watchdog action"}
# properties that name another option's object (a block node, a backend, a chardev)
REFS = ("drive", "netdev", "chardev", "audiodev", "fsdev", "memdev", "iothread", "tpmdev",
        "file", "backing", "rng", "can-bus")


@frozen
class Explained:
    file: str
    argv: tuple[str, ...]
    options: tuple[Option, ...]
    domain: Domain
    parsed: Domain
    locator: Locator
    trace: Trace
    plan: AffinityPlan
    env: Env


def split_argv(argv) -> list[tuple[int, tuple[str, ...]]]:
    """(index, words) per option: the emulator, then each option with its value."""
    out = [(0, (argv[0],))]
    i = 1
    while i < len(argv):
        w = argv[i]
        if w in FLAGS or i + 1 >= len(argv):
            out.append((i, (w,)))
            i += 1
        else:
            out.append((i, (w, argv[i + 1])))
            i += 2
    return out


def _find(seq: list, sub: list, start: int = 0) -> int:
    n = len(sub)
    for i in range(start, len(seq) - n + 1):
        if seq[i:i + n] == sub:
            return i
    return -1


class Context:
    def __init__(self, path: str, env: Env):
        env.trace = Trace()
        self.env = env
        self.trace = env.trace
        self.parsed, root = parse_file(path)
        self.dom = normalize(self.parsed, env)
        self.argv = emit_argv(self.dom, env)
        self.loc = Locator(root, path)
        self.by_origin = {d.origin: d for d in self.parsed.devices if d.origin is not None}
        self.counts: Counter = Counter()
        self.family = self.dom.os.family

    # ------------------------------------------------------------ shared helpers
    def unknown(self, text: str) -> Source:
        return Source(Origin.UNKNOWN, f"no rule of domc explain covers {text!r}")

    def count(self, *key) -> int:
        n = self.counts[key]
        self.counts[key] += 1
        return n

    def device_source(self, d, reason: str) -> Source:
        """The device's element, or the rule that added the device."""
        el = self.loc.device(d)
        if el is not None:
            return self.loc.xml(el, reason)
        rule, why = added_reason(d, self.dom, self.trace)
        return self.loc.rule_for(rule, f"{reason}; {why}" if reason else why, d.span)

    def bus_name(self, bus: int) -> str:
        return EmitCtx(dom=self.dom, machine_family=self.family).pci_bus_name(bus)

    # ------------------------------------------------------------ explain
    def explain(self) -> list[Option]:
        argv = list(self.argv)
        owner: dict[int, tuple] = {}  # argv index -> (kind, device)
        start = 0
        for kind, d, words in device_words(self.dom, self.family, self.env.dirs):
            if not words:
                continue
            at = _find(argv, words, start)
            assert at >= 0, f"the words of {kind.tag} are not in the argv"
            for i in range(at, at + len(words)):
                owner[i] = (kind, d)
            start = at + len(words) if kind.argv_position.value == "devices" else start
        top = rules(self)
        out = []
        for index, words in split_argv(argv):
            if index in owner:
                kind, d = owner[index]
                src, props = self.device_option(kind, d, words)
                out.append(Option(index, words, src, props,
                                  device=d.describe() if d is not None else f"<{kind.tag}>"))
            elif index == 0:
                src, props = top_rule(top, "", words[0])
                out.append(Option(index, words, src, props))
            else:
                src, props = top_rule(top, words[0], words[1] if len(words) > 1 else "")
                out.append(Option(index, words, src, props))
        return out

    # ------------------------------------------------------------ devices
    def device_option(self, kind, d, words) -> tuple[Source, tuple[Prop, ...]]:
        opt = words[0]
        if d is None:
            src = self.loc.rule(f"emit ({kind.tag})", f"no <{kind.tag}> in the XML: the "
                                f"<{kind.tag}> kind writes libvirt's default in its place "
                                "(for the display's sound)", self.loc.find("devices"))
            return src, self._props(words, lambda k, v: src)
        el = self.loc.device(d)
        what = ROLES.get(opt, opt)
        src = self.device_source(d, f"{what} of the {d.describe()}")
        parsed = self.by_origin.get(d.origin) if d.origin is not None else None
        return src, self._props(words, lambda k, v: self.device_prop(kind, d, parsed, el, opt,
                                                                      k, v, src))

    def _props(self, words, each) -> tuple[Prop, ...]:
        if len(words) < 2:
            return ()
        value = words[1]
        if value.startswith("{"):
            return json_props(value, each)
        out = []
        for part in split_opts(value):
            k, eq, v = part.partition("=")
            out.append(Prop(k if eq else "", part, each(k if eq else "", v if eq else part)))
        return tuple(out)

    def device_prop(self, kind, d, parsed, el, opt, key, value, dev_src) -> Source:
        a = d.address
        loc = self.loc
        if key == "id" and opt == "-device" or key in ("id", "node-name") and value == d.alias:
            return self.alias_source(d, el)
        if opt == "-device" and isinstance(a, PciAddr) and key in ("bus", "addr",
                                                                   "multifunction"):
            return self.pci_source(d, parsed, el, key)
        if opt == "-device" and isinstance(a, OtherAddr) and a.type == "usb" and \
                key in ("bus", "port"):
            return self.usb_source(d, parsed, el, key)
        if opt == "-device" and isinstance(a, DriveAddr) and key in ("bus", "scsi-id", "lun",
                                                                     "channel", "unit"):
            return self.drive_source(d, parsed, el, key)
        if key == "bootindex" and d.boot_order is not None:
            return self.boot_source(d, parsed, el)
        if key == "acpi-index" and el is not None:
            return self.xml_under(el, "acpi", "<acpi index=...>", "index", dev_src)
        if key in dict(d.virtio_options) and el is not None:
            return self.xml_under(el, "driver", f"<driver>: the virtio option {key}", None,
                                  dev_src)
        if key == "mac" and el is not None:
            if parsed is not None and getattr(parsed, "mac", None):
                return self.xml_under(el, "mac", "<mac address=...>", "address", dev_src)
            return loc.rule("add_implicit_devices", "no <mac>: derived from the domain's "
                            "uuid/name in QEMU's 52:54:00 range (reproducible; libvirt would "
                            "pick a random one)", el)
        if key in ("id", "node-name") or key in REFS and isinstance(value, str):
            return self.ref_source(d, el, key, value, dev_src)
        hit = loc.value_in(el, value, prefer=key) if el is not None else None
        if hit is not None:
            e, attr = hit
            return loc.xml(e, f"{loc.describe(e, attr)}", attr)
        model = getattr(d, "model", None)
        if key == "driver" and model and (parsed is None or getattr(parsed, "model", 1) is None):
            why = (f"no model in the XML: libvirt's default {d.kind_tag} model here is "
                   f"{model}, QEMU's {value}")
            return loc.rule("add_implicit_devices", why, el) if el is not None else \
                loc.rule_for("add_implicit_devices", why, d.span)
        what = "the QEMU device" if key == "driver" else (key or "the value")
        whose = "this element" if el is not None else f"the {d.describe()}"
        return Source(dev_src.origin, f"{what}: the <{kind.element or kind.tag}> kind's emitter "
                      f"writes it for {whose}", dev_src.line, dev_src.path, None,
                      dev_src.rule or f"emit ({kind.tag})")

    def xml_under(self, el, child: str, reason: str, attr, fallback: Source) -> Source:
        c = el.find(child)
        return self.loc.xml(c, reason, attr) if c is not None else fallback

    def alias_source(self, d, el) -> Source:
        if d.alias and d.alias.startswith("ua-") and el is not None:
            return self.xml_under(el, "alias", "<alias name='ua-...'>: the user's id",
                                  "name", self.loc.xml(el, "user alias"))
        why = f"{d.alias}: the id libvirt gives the {d.describe()}"
        if el is not None:
            return self.loc.rule("assign_aliases", why, el)
        return self.loc.rule_for("assign_aliases", why, d.span)

    def ref_source(self, d, el, key, value, dev_src) -> Source:
        rule = f"emit ({d.kind_tag})"
        if isinstance(value, str) and value.startswith("libvirt-"):
            why = (f"{value}: libvirt's block node names, libvirt-N-storage (the image) under "
                   "libvirt-N-format (its format), N counting the disks down from the last")
        elif isinstance(value, str) and d.alias and d.alias in value:
            why = f"{value}: named after the device's id {d.alias}"
            rule = "assign_aliases"
        else:
            why = f"{value}: the id of this device's {key} backend"
        return self.loc.rule(rule, why, el) if el is not None else \
            Source(Origin.RULE, why, dev_src.line, dev_src.path, None, rule)

    def pci_source(self, d, parsed, el, key) -> Source:
        a = d.pci
        pa = parsed.pci if parsed is not None else None
        if pa is not None and (pa.bus, pa.slot, pa.function) == (a.bus, a.slot, a.function):
            addr = el.find("address")
            if key == "multifunction" and pa.multifunction != a.multifunction:
                return self.loc.rule("assign_pcie_addresses", "function 0 of a slot other "
                                     "functions share: multifunction=on (libvirt)", addr)
            return self.loc.xml(addr, "the PCI address as written",
                                {"addr": "slot", "bus": "bus"}.get(key, key))
        if key == "multifunction":
            return self.loc.rule_for("assign_pci_addresses", "function 0 of a slot other "
                                     "functions share: multifunction=on (libvirt)", d.span) \
                if el is None else self.loc.rule("assign_pci_addresses", "function 0 of a "
                                                 "slot other functions share: "
                                                 "multifunction=on (libvirt)", el)
        note = self.trace.get("pci", (a.bus, a.slot, a.function))
        if note is None:
            return self.unknown(f"PCI address {a} of {d.describe()}")
        why = pci_reason(note, d, self.bus_name(a.bus), self.family)
        return self.loc.rule(note["rule"], why, el) if el is not None else \
            self.loc.rule_for(note["rule"], why, d.span)

    def usb_source(self, d, parsed, el, key) -> Source:
        a = d.address
        bus, port = a.get("bus", "0"), a.get("port")
        if parsed is not None and parsed.address == a:
            return self.loc.xml(el.find("address"), "the USB address as written",
                                "port" if key == "port" else "bus")
        if key == "bus":
            why = f"USB controller {bus} (its id names the bus)"
        else:
            note = self.trace.get("usb", (int(bus), port))
            why = usb_reason(note, bus, port) if note else f"USB port {port}"
        return self.loc.rule("assign_usb_ports", why, el) if el is not None else \
            self.loc.rule_for("assign_usb_ports", why, d.span)

    def drive_source(self, d, parsed, el, key) -> Source:
        if parsed is not None and parsed.address == d.address:
            return self.loc.xml(el.find("address"), "the drive address as written")
        return self.loc.rule("assign_drive_addresses", f"{key}: {drive_reason(d)}", el) \
            if el is not None else self.unknown(f"drive address of {d.describe()}")

    def boot_source(self, d, parsed, el) -> Source:
        if parsed is not None and parsed.boot_order == d.boot_order and el is not None:
            return self.xml_under(el, "boot", "<boot order=...>", "order",
                                  self.loc.xml(el, "boot order"))
        boot = self.loc.find(f"os/boot[{d.boot_order}]")
        boot = boot if boot is not None else self.loc.find("os")
        return self.loc.rule("apply_boot_order", boot_reason(d, self.dom.os.boot_devs), boot)


def top_rule(top: dict, option: str, value: str) -> tuple[Source, tuple[Prop, ...]]:
    rule = top.get(option)
    if rule is None:
        return Source(Origin.UNKNOWN, f"no rule of domc explain covers {option}"), ()
    return rule(value)


def explain_file(path: str, env: Env) -> Explained:
    """Compile ``path`` with the recorder on and explain every option of the argv."""
    c = Context(path, env)
    options = tuple(c.explain())
    return Explained(path, tuple(c.argv), options, c.dom, c.parsed, c.loc, c.trace,
                     plan(c.dom, env), env)

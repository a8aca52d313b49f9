"""Where the options that are not a device's come from: the machine, firmware,
identity, clock, boot and the constant options libvirt writes for every guest (the
CPU, memory, SMP and NUMA options are in resources.py).  One method per option; each
returns the option's source and one source per property of its value (``rules``
maps option names to them)."""

from __future__ import annotations

import json

from ..devices import kind_of
from ..sysinfo import smbios_source
from .base import FIXED, fixed, split_opts
from .model import Origin, Prop, Source
from .resources import ResourceRules


class Rules(ResourceRules):
    """The rules of every option that is not a device's."""

    # ------------------------------------------------------------ the emulator
    def emulator(self, value):
        e = self.el("devices/emulator")
        if e is not None:
            return self.loc.xml(e, "the QEMU binary <emulator> names"), ()
        return self.loc.rule(FIXED, "no <emulator>: the default QEMU binary"), ()

    # ------------------------------------------------------------ -name
    def name(self, value):
        def each(k, v, part):
            if k == "guest":
                return self.xml("name", "the domain's <name>")
            return fixed("libvirt names QEMU's threads (CPU 0/KVM ...) so that tools can "
                         "find and pin them")
        return self.xml("name", "the domain's <name>"), self.qemuopts(value, each)

    # ------------------------------------------------------------ -machine
    def machine(self, value):
        c, dom, parsed = self.c, self.c.dom, self.c.parsed
        type_el = self.el("os/type")

        def each(k, v, part):
            if k == "":
                if parsed.os.machine is None or type_el is None:
                    return self.loc.rule("canonicalize_machine", f"no machine= on <os><type>: "
                                         f"the profile's default machine type {v}", type_el)
                if parsed.os.machine != v:
                    return self.loc.xml(type_el, f"machine='{parsed.os.machine}' is an alias the "
                                        f"QEMU profile resolves to {v} (canonicalize_machine)",
                                        "machine", "canonicalize_machine")
                return self.loc.xml(type_el, "the machine type as written", "machine")
            if k == "usb":
                return fixed("the machine's own USB is off: USB controllers are -device options")
            if k == "dump-guest-core":
                return fixed("guest memory stays out of QEMU's core dumps (libvirt's default)")
            if k == "vmport":
                return self.xml("features/vmport", "<vmport state=...>", "state")
            if k == "smm":
                if parsed.features.smm is None:
                    return self.loc.rule("select_firmware", "the firmware chosen for <os "
                                         "firmware=...> needs SMM, so SMM is on",
                                         self.el("os"))
                return self.xml("features/smm", "<smm state=...>", "state")
            if k == "kernel_irqchip":
                return self.xml("features/ioapic", "<ioapic driver=...>: where the IOAPIC is "
                                "emulated", "driver")
            if k == "memory-backend":
                return self.loc.rule(FIXED, "no guest NUMA: all guest RAM is one memory backend "
                                     "object, pc.ram (the -object after -m)", self.el("memory"))
            if k == "pflash0":
                return self._loader("the code flash is the block node libvirt-pflash0-format")
            if k == "pflash1":
                return self._nvram("the variable store is the block node libvirt-pflash1-format")
            if k == "hmat":
                return self.xml("cpu/numa", "the guest NUMA cells have caches or <interconnects>: "
                                "the guest gets an ACPI HMAT")
            if k == "confidential-guest-support":
                return self.xml("launchSecurity", "<launchSecurity>: the machine's memory "
                                "encryption is the sev-guest object lsec0")
            for d in dom.devices:
                if part in kind_of(d).machine_opts(d):
                    return c.device_source(d, f"the {d.describe()} needs {part} on the machine")
            return c.unknown(part)

        src = self.loc.xml(type_el, "<os><type>: the machine") if type_el is not None else \
            self.loc.rule("canonicalize_machine", "no <os><type>: the profile's default machine")
        return src, self.qemuopts(value, each)

    def _loader(self, reason: str) -> Source:
        if self.c.parsed.os.loader is None and self.c.dom.os.firmware_file:
            return self.loc.rule("select_firmware", f"{reason}; the firmware "
                                 f"{self.c.dom.os.firmware_file} was chosen for <os firmware=...>",
                                 self.el("os"))
        return self.xml("os/loader", reason)

    def _nvram(self, reason: str) -> Source:
        e = self.el("os/nvram")
        if e is not None:
            return self.loc.xml(e, reason)
        return self.loc.rule("select_firmware", f"{reason}; with no <nvram>, libvirt keeps it "
                             f"at {self.c.dom.os.nvram} (copied from the firmware's template)",
                             self.el("os/loader", "os"))

    # ------------------------------------------------------------ -blockdev (firmware)
    def blockdev(self, value):
        obj = json.loads(value)
        node = obj.get("node-name", "") or obj.get("file", "")
        store = "pflash1" in node
        src = self._nvram("the UEFI variable store") if store else self._loader("the firmware code")

        def each(k, v):
            if k == "filename":
                return src
            if k in ("node-name", "file"):
                return fixed("libvirt's block node names for the firmware flash: "
                             "libvirt-pflash0 (code), libvirt-pflash1 (variables)")
            if k == "read-only" and not store:
                return self.xml("os/loader", "<loader readonly=...>", "readonly", fallback=src)
            if k == "driver" and "storage" not in node:
                return self.xml("os/loader", "<loader format=...> (raw unless given)", "format",
                                fallback=src) if not store else src
            return Source(src.origin, f"{src.reason} ({k}: libvirt's setting for a flash image)",
                          src.line, src.path, src.attr, src.rule)

        return src, self.jsonprops(value, each)

    # ------------------------------------------------------------ -accel
    def accel(self, value):
        return self.loc.xml(self.loc.root, f"<domain type='{self.c.dom.type.value}'>: "
                            f"{'KVM' if value == 'kvm' else 'TCG, QEMU emulates the CPU'}",
                            "type"), ()

    # ------------------------------------------------------------ -global
    def global_(self, value):
        if value.startswith("driver=cfi.pflash01"):
            src = self.xml("os/loader", "<loader secure='yes'>: the code flash is writable "
                           "only from SMM (secure boot)", "secure",
                           fallback=self._loader("secure boot firmware"))
            return src, self.qemuopts(value, lambda k, v, p: src)
        key = value.split("=", 1)[0]
        prop = key.split(".", 1)[-1]
        if key == "mch.extended-tseg-mbytes":
            src = self.xml("features/smm/tseg", "<smm><tseg>: the SMM memory (TSEG) size")
        elif prop in ("disable_s3", "disable_s4"):
            which = "suspend-to-mem" if prop == "disable_s3" else "suspend-to-disk"
            src = self.xml(f"pm/{which}", f"<pm><{which} enabled=...>: hides (1) or offers (0) "
                           f"S{prop[-1]} to the guest", "enabled")
        elif key == "kvm-pit.lost_tick_policy":
            src = self.xml("clock/timer[@name='pit']", "<timer name='pit' tickpolicy=...>",
                           "tickpolicy")
        else:
            return self.c.unknown(value), ()
        return src, (Prop(key, value, src),)

    # ------------------------------------------------------------ firmware
    def bios(self, value):
        return self._loader("<loader type='rom'>: the BIOS image"), ()

    def kernel(self, value, tag="kernel"):
        return self.xml(f"os/{tag}", f"<os><{tag}>"), ()

    # ------------------------------------------------------------ identity
    def uuid(self, value):
        e = self.el("uuid")
        parsed = self.c.parsed
        if e is not None and parsed.uuid == value:
            return self.loc.xml(e, "<uuid>"), ()
        s = self.el("sysinfo/system/entry[@name='uuid']")
        if s is not None:
            return self.loc.xml(s, "<sysinfo><system><entry name='uuid'>"), ()
        return self.c.unknown(value), ()

    def smbios(self, value):
        parts = split_opts(value)
        number = parts[0].split("=", 1)[1]
        source = smbios_source(self.c.dom)
        tag = {"0": "bios", "1": "system", "2": "baseBoard", "3": "chassis",
               "11": "oemStrings"}.get(number)
        nth = self.c.count("smbios", number)
        struct = self.loc.root.xpath(f"sysinfo[@type='smbios']/{tag}") if tag else []
        struct_el = struct[nth] if nth < len(struct) else (struct[0] if struct else None)
        if struct_el is None:
            return self.c.unknown(value), ()
        top = self.loc.xml(struct_el, f"<sysinfo><{tag}>: SMBIOS type {number}")
        del source
        oem = 0

        def each(k, v, part):
            nonlocal oem
            if k == "type":
                return top
            if number == "11":
                entries = struct_el.findall("entry")
                oem += 1
                return self.loc.xml(entries[oem - 1], "an OEM string") if oem <= len(entries) \
                    else top
            e = struct_el.find(f"entry[@name='{k}']")
            if e is not None:
                return self.loc.xml(e, f"<entry name='{k}'>")
            if k == "manufacturer":
                return Source(Origin.RULE, "libvirt always writes the manufacturer of SMBIOS "
                              "types 2 and 3 (empty when not given)", top.line, top.path,
                              rule=FIXED)
            return self.c.unknown(part)
        return top, self.qemuopts(value, each)

    def fw_cfg(self, value):
        name = split_opts(value)[0].split("=", 1)[1].replace(",,", ",")
        for s in self.c.dom.sysinfo:
            for e in s.fw_cfg:
                if e.name == name:
                    el = self.loc.at_line(e.span.line)
                    src = self.loc.xml(el, "<sysinfo type='fwcfg'><entry>: a fw_cfg file the "
                                       "guest firmware reads")
                    return src, self.qemuopts(value, lambda k, v, p: src)
        return self.c.unknown(value), ()

    def device(self, value):
        obj = json.loads(value)
        drv = obj.get("driver")
        if drv == "vmgenid":
            src = self.xml("genid", "<genid>: the VM generation ID")
        elif drv == "vmcoreinfo":
            src = self.xml("features/vmcoreinfo", "<vmcoreinfo state='on'>")
        elif drv.endswith("-x86_64-cpu") and obj.get("id", "").startswith("vcpu"):
            n = obj["id"][4:]
            src = self.xml(f"vcpus/vcpu[@id='{n}']", f"<vcpu id='{n}' enabled='yes' "
                           "hotpluggable='yes'>: a vCPU the guest starts with and may lose, "
                           "at its place in the topology (libvirt plugs it over QMP)")
        else:
            return self.c.unknown(value), ()

        def each(k, v):
            if k == "id":
                return fixed(f"{v}: libvirt's id for the {drv} device")
            return src
        return src, self.jsonprops(value, each)

    # ------------------------------------------------------------ display, clock, power, boot
    def display(self, value):
        if value == "none":
            return self.loc.rule(FIXED, "no <graphics>: no display window",
                                 self.el("devices")), ()
        return self.xml(f"devices/graphics[@type='{value}']", f"<graphics type='{value}'>",
                        "type"), ()

    def rtc(self, value):
        def each(k, v, part):
            if k == "base":
                clock = self.el("clock")
                if clock is None:
                    return self.loc.rule(FIXED, "no <clock>: the guest's clock is UTC")
                return self.loc.xml(clock, f"<clock offset='{clock.get('offset', 'utc')}'>",
                                    "offset")
            if k == "driftfix":
                return self.xml("clock/timer[@name='rtc']", "<timer name='rtc' "
                                "tickpolicy='catchup'>: the RTC catches up missed ticks",
                                "tickpolicy")
            if k == "clock":
                return self.xml("clock/timer[@name='rtc']", "<timer name='rtc' track=...>",
                                "track")
            return self.c.unknown(part)
        props = self.qemuopts(value, each)
        return props[0].source, props

    def no_hpet(self, value):
        return self.xml("clock/timer[@name='hpet']", "<timer name='hpet' present='no'>: no "
                        "HPET in the guest", "present"), ()

    def no_acpi(self, value):
        e = self.el("features")
        return self.loc.rule(FIXED, "<features> has no <acpi/>: the guest runs without ACPI",
                             e), ()

    def boot(self, value):
        def each(k, v, part):
            if k == "menu":
                return self.xml("os/bootmenu", "<bootmenu enable=...>", "enable")
            if k == "splash-time":
                return self.xml("os/bootmenu", "<bootmenu timeout=...>", "timeout")
            if k == "strict":
                return fixed("boot only from the devices that have a boot index (libvirt)")
            return self.c.unknown(part)
        props = self.qemuopts(value, each)
        menu = self.el("os/bootmenu")
        return (self.loc.xml(menu, "<bootmenu>") if menu is not None else
                fixed("the firmware's boot options")), props

    # ------------------------------------------------------------ constants
    def constant(self, reason):
        def rule(value):
            src = fixed(reason)
            return src, (self.qemuopts(value, lambda k, v, p: src) if value else ())
        return rule


def rules(c) -> dict:
    r = Rules(c)
    return {
        "": r.emulator, "-name": r.name, "-machine": r.machine, "-blockdev": r.blockdev,
        "-accel": r.accel,
        "-global": r.global_, "-cpu": r.cpu, "-bios": r.bios,
        "-kernel": r.kernel, "-initrd": lambda v: r.kernel(v, "initrd"),
        "-append": lambda v: r.kernel(v, "cmdline"),
        "-m": r.memory, "-mem-prealloc": r.mem_prealloc, "-overcommit": r.overcommit,
        "-object": r.object, "-smp": r.smp, "-numa": r.numa, "-uuid": r.uuid,
        "-smbios": r.smbios, "-fw_cfg": r.fw_cfg, "-device": r.device,
        "-display": r.display, "-rtc": r.rtc, "-no-hpet": r.no_hpet, "-no-acpi": r.no_acpi,
        "-boot": r.boot,
        "-no-user-config": r.constant("QEMU reads no configuration files of its own: the "
                                      "command line is the whole configuration"),
        "-nodefaults": r.constant("QEMU adds no default devices: every device is on the "
                                  "command line"),
        "-no-shutdown": r.constant("when the guest powers off QEMU stops instead of exiting, "
                                   "so the manager applies <on_poweroff>"),
        "-sandbox": r.constant("QEMU's seccomp sandbox: no obsolete system calls, no "
                               "privilege changes, no new processes (libvirt's default)"),
        "-msg": r.constant("QEMU's messages carry timestamps (libvirt)"),
    }

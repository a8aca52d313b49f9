"""Property-based tests (hypothesis): random valid i440fx and q35 domains compile, with unique
in-range PCI addresses, drive addresses inside their controllers, unique ids, an
idempotent normalize and a deterministic argv; random corruptions of them give a clean
DomcError, never another exception.

The example counts are fixed here and quoted in docs/SECURITY.md; derandomize=True
makes every CI run generate the same domains.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings, strategies as st
from lxml import etree

from compiler.diagnostics import DomcError
from compiler.emit.argv import emit_argv
from compiler.emit.xml import write_normalized
from compiler.model import DriveAddr, PciAddr
from compiler.parse import parse_bytes
from compiler.passes.drives import capacity_error
from compiler.pipeline import normalize
from compiler.api import make_env

VALID_EXAMPLES = 150
Q35_VALID_EXAMPLES = 60
INVALID_EXAMPLES = 300
COMMON = dict(derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

LETTERS = "abcdefghijklmnopqrstuvwxyz"
SCSI_MODELS = ["virtio-scsi", "lsilogic", "lsisas1068", "vmpvscsi"]
NIC_MODELS = ["virtio", "e1000", "rtl8139", "e1000e"]


def _dev_name(prefix: str, idx: int) -> str:
    name, idx = "", idx + 1
    while idx:
        idx, r = divmod(idx - 1, 26)
        name = LETTERS[r] + name
    return prefix + name


# a piix3-uhci has 2 ports: with more USB devices libvirt (and domc) add USB hubs
USB_DEVICES_MAX = 5


def _scsi_unit_ok(model: str, idx: int) -> bool:
    """sda..sdg go to controller 0 as units 0..6, sdh..sdn to controller 1, ...; a
    vmpvscsi has LUN 0 only (QEMU's pvscsi refuses lun 1), so only sda, sdh, ... fit."""
    return model != "vmpvscsi" or idx % 7 == 0


@st.composite
def domains(draw) -> str:
    """A valid domain (i440fx) as XML text."""
    free_slots = list(range(3, 32))
    devices = []
    pci_explicit = draw(st.lists(st.sampled_from(free_slots), unique=True, max_size=6))
    pci_iter = iter(pci_explicit)

    def pci_addr() -> str:
        if draw(st.booleans()):
            slot = next(pci_iter, None)
            if slot is not None:
                return f"<address type='pci' domain='0x0000' bus='0x00' slot='{slot:#04x}' " \
                       f"function='0x0'/>"
        return ""

    scsi_model = draw(st.sampled_from(SCSI_MODELS))
    if draw(st.booleans()):
        devices.append(f"<controller type='scsi' index='0' model='{scsi_model}'>{pci_addr()}"
                       "</controller>")
    else:
        scsi_model = "lsilogic"
    if draw(st.booleans()):
        devices.append(f"<controller type='usb' index='0' model="
                       f"'{draw(st.sampled_from(['piix3-uhci', 'qemu-xhci', 'ich9-ehci1']))}'/>")
    # disks: distinct names per bus, explicit drive address = the one libvirt derives
    used_names, usb_disks = set(), 0
    for _ in range(draw(st.integers(0, 8))):
        bus = draw(st.sampled_from(["virtio", "ide", "sata", "scsi", "fdc", "usb"]))
        prefix = {"virtio": "vd", "ide": "hd", "sata": "sd", "scsi": "sd", "fdc": "fd",
                  "usb": "sd"}[bus]
        hi = {"ide": 3, "fdc": 1, "scsi": 13 if scsi_model == "lsilogic" else 20}.get(bus, 20)
        idx = draw(st.integers(0, hi))
        if bus == "scsi" and not _scsi_unit_ok(scsi_model if idx < 7 else "lsilogic", idx):
            continue
        name = _dev_name(prefix, idx)
        if name in used_names or bus == "usb" and usb_disks >= USB_DEVICES_MAX:
            continue
        used_names.add(name)
        usb_disks += bus == "usb"
        device = "floppy" if bus == "fdc" else draw(st.sampled_from(
            ["disk", "cdrom"] if bus in ("ide", "sata", "scsi") else ["disk"]))
        addr = ""
        if bus in ("ide", "sata", "scsi", "fdc") and draw(st.booleans()):
            from compiler.passes.drives import address_from_name

            a = address_from_name(bus, idx)
            addr = (f"<address type='drive' controller='{a.controller}' bus='{a.bus}' "
                    f"target='{a.target}' unit='{a.unit}'/>")
        elif bus == "virtio":
            addr = pci_addr()
        src = "" if device == "cdrom" and draw(st.booleans()) else \
            f"<source file='/img/{name}.img'/>"
        devices.append(f"<disk type='file' device='{device}'>{src}"
                       f"<target dev='{name}' bus='{bus}'/>{addr}</disk>")
    if scsi_model != "lsilogic" or any("bus='scsi'" in d for d in devices):
        pass
    for n in range(draw(st.integers(0, 4))):
        devices.append(f"<interface type='user'><mac address='52:54:00:00:00:{n:02x}'/>"
                       f"<model type='{draw(st.sampled_from(NIC_MODELS))}'/>{pci_addr()}"
                       "</interface>")
    if draw(st.booleans()):
        devices.append(f"<video><model type='{draw(st.sampled_from(['cirrus', 'vga', 'qxl']))}'/>"
                       f"{pci_addr()}</video>")
    if draw(st.booleans()):
        devices.append("<graphics type='vnc'/>")
    if draw(st.booleans()):
        devices.append(f"<rng model='virtio'><backend model='random'>/dev/urandom</backend>"
                       f"{pci_addr()}</rng>")
    if draw(st.booleans()):
        devices.append("<serial type='pty'/><console type='pty'/>")
    if draw(st.booleans()):
        devices.append(f"<memballoon model='virtio'>{pci_addr()}</memballoon>")
    order = draw(st.permutations(devices))
    body = "\n    ".join(order)
    mem = draw(st.sampled_from(["<memory unit='MiB'>256</memory>", "<memory>131072</memory>",
                                "<memory unit='GiB'>1</memory>"]))
    return (f"<domain type='qemu'>\n  <name>gen</name>\n  {mem}\n  <vcpu>"
            f"{draw(st.integers(1, 8))}</vcpu>\n  <os><type arch='x86_64' machine='pc'>hvm</type>"
            f"</os>\n  <devices>\n    {body}\n  </devices>\n</domain>\n")


# q35: what QEMU 7.2's q35 takes.  No IDE or floppy; slot 0x1f of pcie-root is the
# ICH9's, so explicit addresses stay below it.
Q35_DISK_BUSES = ["virtio", "sata", "scsi", "usb"]
Q35_USB_MODELS = ["qemu-xhci", "nec-xhci", "ich9-ehci1", "ich9-usb2-set", "piix3-uhci"]
Q35_VIDEO_MODELS = ["vga", "qxl", "virtio", "cirrus", "bochs"]
Q35_BRIDGES = ["", "pcie-to-pci-bridge", "dmi-to-pci-bridge"]


@st.composite
def q35_domains(draw) -> str:
    """A valid q35 domain as XML text: PCI Express and conventional PCI devices, with
    and without addresses on pcie-root, on root ports or on a bridge the XML declares."""
    devices = []
    # PCI controllers the XML declares itself (then libvirt adds no hotplug reserve):
    # root ports, and a bridge for conventional PCI devices: a pcie-to-pci-bridge
    # (libvirt gives it a root port) or a dmi-to-pci-bridge with a pci-bridge behind it
    ports = draw(st.integers(0, 3)) if draw(st.booleans()) else 0
    bridge = draw(st.sampled_from(Q35_BRIDGES))
    # libvirt adds no root port for a pcie-to-pci-bridge ("Cannot automatically add a
    # new PCI bus"): it gets one of its own that no explicit address takes
    declared = ports + (bridge == "pcie-to-pci-bridge")
    for n in range(declared):
        devices.append(f"<controller type='pci' index='{n + 1}' model='pcie-root-port'/>")
    if bridge:
        devices.append(f"<controller type='pci' index='{declared + 1}' model='{bridge}'/>")
    if bridge == "dmi-to-pci-bridge":
        devices.append(f"<controller type='pci' index='{declared + 2}' model='pci-bridge'/>")
    bridge_bus = declared + (2 if bridge == "dmi-to-pci-bridge" else 1)
    pci_controllers = len(devices)
    # an explicit address: a free slot of pcie-root or of the bridge, or slot 0 of a
    # declared root port (only PCI Express devices: a conventional one there would be
    # a PCI device behind a PCIe port, which libvirt accepts only for bridges)
    spots = [(0, s) for s in draw(st.lists(st.integers(1, 0x1E), unique=True, max_size=5))]
    if bridge:
        spots += [(bridge_bus, s) for s in draw(st.lists(st.integers(1, 0x1F), unique=True,
                                                         max_size=4))]
    port_spots = [(n + 1, 0) for n in range(ports)]

    def pci_addr(pcie: bool) -> str:
        if not draw(st.booleans()):
            return ""
        pool = spots + (port_spots if pcie else [])
        if not pool:
            return ""
        bus, slot = draw(st.sampled_from(pool))
        (spots if (bus, slot) in spots else port_spots).remove((bus, slot))
        return (f"<address type='pci' domain='0x0000' bus='{bus:#04x}' slot='{slot:#04x}' "
                "function='0x0'/>")

    # SCSI controllers 0 and 1 (sda..sdg go to 0, sdh..sdn to 1); the others the disks
    # imply are lsilogic
    scsi_models = {}
    for index in range(draw(st.integers(0, 2))):
        model = draw(st.sampled_from(SCSI_MODELS))
        scsi_models[index] = model
        devices.append(f"<controller type='scsi' index='{index}' model='{model}'>"
                       f"{pci_addr(model == 'virtio-scsi')}</controller>")
    if draw(st.booleans()):
        usb_model = draw(st.sampled_from(Q35_USB_MODELS))
        if usb_model == "ich9-usb2-set":  # EHCI + its three UHCI companions, one slot
            devices.append("<controller type='usb' index='0' model='ich9-ehci1'/>" + "".join(
                f"<controller type='usb' index='0' model='ich9-uhci{n}'><master startport="
                f"'{2 * (n - 1)}'/></controller>" for n in (1, 2, 3)))
        else:
            pcie = usb_model in ("qemu-xhci", "nec-xhci")
            devices.append(f"<controller type='usb' index='0' model='{usb_model}'>"
                           f"{pci_addr(pcie)}</controller>")
    used_names, usb_devices = set(), 0
    if draw(st.booleans()):
        devices.append("<input type='tablet' bus='usb'/>")
        usb_devices += 1
    for _ in range(draw(st.integers(0, 10))):
        bus = draw(st.sampled_from(Q35_DISK_BUSES))
        prefix = "vd" if bus == "virtio" else "sd"
        idx = draw(st.integers(0, 13 if bus == "sata" else 20))
        if bus == "scsi" and not _scsi_unit_ok(scsi_models.get(idx // 7, "lsilogic"), idx):
            continue
        name = _dev_name(prefix, idx)
        if name in used_names or bus == "usb" and usb_devices >= USB_DEVICES_MAX:
            continue
        used_names.add(name)
        usb_devices += bus == "usb"
        device = draw(st.sampled_from(["disk", "cdrom"] if bus in ("sata", "scsi")
                                      else ["disk"]))
        addr = ""
        if bus in ("sata", "scsi") and draw(st.booleans()):
            from compiler.passes.drives import address_from_name

            a = address_from_name(bus, idx)
            addr = (f"<address type='drive' controller='{a.controller}' bus='{a.bus}' "
                    f"target='{a.target}' unit='{a.unit}'/>")
        elif bus == "virtio":
            addr = pci_addr(True)
        src = "" if device == "cdrom" and draw(st.booleans()) else \
            f"<source file='/img/{name}.img'/>"
        devices.append(f"<disk type='file' device='{device}'>{src}"
                       f"<target dev='{name}' bus='{bus}'/>{addr}</disk>")
    for n in range(draw(st.integers(0, 5))):
        model = draw(st.sampled_from(NIC_MODELS))
        devices.append(f"<interface type='user'><mac address='52:54:00:00:00:{n:02x}'/>"
                       f"<model type='{model}'/>{pci_addr(model in ('virtio', 'e1000e'))}"
                       "</interface>")
    if draw(st.booleans()):
        model = draw(st.sampled_from(Q35_VIDEO_MODELS))
        devices.append(f"<video><model type='{model}'/>{pci_addr(model == 'virtio')}</video>")
    if draw(st.booleans()):
        devices.append("<graphics type='vnc'/>")
    if draw(st.booleans()):
        model = draw(st.sampled_from(["ich9", "ich6"]))
        devices.append(f"<sound model='{model}'>{pci_addr(False)}</sound>")
    if draw(st.booleans()):
        devices.append(f"<rng model='virtio'><backend model='random'>/dev/urandom</backend>"
                       f"{pci_addr(True)}</rng>")
    if draw(st.booleans()):
        devices.append("<serial type='pty'/><console type='pty'/>")
    if draw(st.booleans()):
        devices.append("<channel type='pty'><target type='virtio' "
                       "name='org.qemu.guest_agent.0'/></channel>")
    if draw(st.booleans()):
        devices.append(f"<memballoon model='virtio'>{pci_addr(True)}</memballoon>")
    head, rest = devices[:pci_controllers], devices[pci_controllers:]
    body = "\n    ".join(head + draw(st.permutations(rest)))
    return (f"<domain type='qemu'>\n  <name>gen</name>\n  <memory unit='MiB'>512</memory>\n"
            f"  <vcpu>{draw(st.integers(1, 8))}</vcpu>\n  <os><type arch='x86_64' "
            f"machine='q35'>hvm</type></os>\n  <devices>\n    {body}\n  </devices>\n"
            "</domain>\n")


def _compile(xml: bytes):
    env = make_env()
    dom, root = parse_bytes(xml, "gen.xml")
    dom = normalize(dom, env)
    return dom, root, emit_argv(dom, env)


def check_invariants(dom) -> None:
    from compiler.devices.controller import USB2_COMPANIONS, Controller
    from compiler.devices.disk import Disk

    pci = {}
    for d in dom.devices:
        a = d.address
        if isinstance(a, PciAddr):
            assert 0 <= a.slot < 32 and 0 <= a.function < 8 and a.domain == 0, a
            key = (a.domain, a.bus, a.slot, a.function)
            assert key not in pci, f"{d.describe()} and {pci[key].describe()} share {a}"
            pci[key] = d
            assert (a.bus, a.slot) != (0, 0), "the host bridge slot"
    scsi = {c.index: c.model for c in dom.devices if isinstance(c, Controller) and
            c.type == "scsi"}
    ctrls = {(c.type, c.index) for c in dom.devices if isinstance(c, Controller)}
    drive = set()
    for d in dom.devices:
        if isinstance(d, Disk) and isinstance(d.address, DriveAddr):
            a = d.address
            assert (d.target_bus, a.controller) in ctrls, f"{d.describe()} has no controller"
            assert capacity_error(d.target_bus, a, scsi.get(a.controller)) is None
            key = (d.target_bus, a.controller, a.bus, a.target, a.unit)
            assert key not in drive, key
            drive.add(key)
    # USB2 companions share their master's alias (and have no -device id)
    ids = [d.alias for d in dom.devices if d.alias and not (
        isinstance(d, Controller) and d.model in USB2_COMPANIONS)]
    assert len(ids) == len(set(ids)), ids


@settings(max_examples=VALID_EXAMPLES, **COMMON)
@given(domains())
def test_valid_domains_compile_with_sound_addresses(xml):
    data = xml.encode()
    dom, root, argv = _compile(data)
    check_invariants(dom)
    # -device ids in the argv are unique and every device JSON parses
    ids = [json.loads(argv[i + 1]).get("id") for i, a in enumerate(argv) if a == "-device"]
    ids = [i for i in ids if i]
    assert len(ids) == len(set(ids)), ids
    # deterministic
    assert _compile(data)[2] == argv
    # normalize is idempotent and keeps the argv
    once = write_normalized(root, dom)
    dom2, root2, argv2 = _compile(once)
    twice = write_normalized(root2, dom2)
    assert twice == once
    assert argv2 == argv


@settings(max_examples=Q35_VALID_EXAMPLES, **COMMON)
@given(q35_domains())
def test_valid_q35_domains_compile_with_sound_addresses(xml):
    test_valid_domains_compile_with_sound_addresses.hypothesis.inner_test(xml)


# ------------------------------------------------------------------ invalid: corruptions
JUNK = st.one_of(st.sampled_from(["", "-1", "0x20", "8", "99999999999999999999", "abc",
                                  "a,b=c", "1.5", " ", "\u2603", "ua-x", "none", "0"]),
                 st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8))


@st.composite
def corrupted(draw) -> bytes:
    root = etree.fromstring(draw(domains()).encode())
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    for _ in range(draw(st.integers(1, 3))):
        el = draw(st.sampled_from(elements))
        op = draw(st.sampled_from(["attr", "text", "drop", "dup", "newattr"]))
        if op == "attr" and el.attrib:
            key = draw(st.sampled_from(sorted(el.attrib)))
            el.set(key, draw(JUNK))
        elif op == "newattr":
            key = draw(st.sampled_from(["slot", "unit", "index", "model", "bus", "type", "dev"]))
            el.set(key, draw(JUNK))
        elif op == "text" and len(el) == 0:
            el.text = draw(JUNK)
        elif op == "drop" and el.getparent() is not None:
            el.getparent().remove(el)
            elements = [e for e in root.iter() if isinstance(e.tag, str)]
        elif op == "dup" and el.getparent() is not None:
            import copy

            el.addnext(copy.deepcopy(el))
    try:
        return etree.tostring(root)
    except ValueError:
        return b"<domain/>"


@settings(max_examples=INVALID_EXAMPLES, **COMMON)
@given(corrupted())
def test_corrupted_domains_fail_cleanly(data):
    try:
        dom, root, argv = _compile(data)
    except DomcError as exc:
        for d in exc.diagnostics:
            line = d.render()
            assert "\n" not in line and line.startswith("gen.xml"), line
        return
    check_invariants(dom)

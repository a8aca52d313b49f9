"""Pictures of a compiled guest as self-contained SVG (no scripts, no fonts or
images fetched from anywhere): the PCI/PCIe topology -- every bus as a card with its
32 slots (used, chipset, reserved, free, free for hotplug) and the function in each
used slot, bridges leading to the card of their bus -- and the NUMA placement --
host nodes with their CPUs, the vCPU / emulator / iothread threads pinned to each
CPU, and the host nodes each guest cell's memory is bound to.

Text is monospace so that widths are known without a font: the layout is computed
here, deterministically, and the golden snapshots pin it."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from ..placement.cpuset import CpuSet
from .pcitree import Bus, Topology

FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
CHAR = 7.2  # width of one character at 12px
WIDTH = 880

COLORS = {
    "used": ("#4a86c5", "#2d5f93"),
    "bridge": ("#8468c8", "#5b3fa3"),
    "chipset": ("#9aa5b1", "#6b7785"),
    "reserved": ("#dde1e6", "#b8bfc7"),
    "free-hotplug": ("#ffffff", "#2e9e5b"),
    "free": ("#ffffff", "#9aa5b1"),
    "offline": ("#a9c4e3", "#4a86c5"),
}
LEGEND = (("used", "device"), ("bridge", "bridge / port"), ("chipset", "chipset"),
          ("reserved", "reserved"), ("free-hotplug", "free, hotplug"), ("free", "free"))


def _t(x: float, y: float, text: str, size: int = 12, weight: str = "normal",
       fill: str = "#1d2733", anchor: str = "start") -> str:
    return (f'<text x="{x:g}" y="{y:g}" font-size="{size}" font-weight="{weight}" '
            f'fill="{fill}" text-anchor="{anchor}">{escape(text)}</text>')


def _rect(x, y, w, h, fill, stroke, rx=3, title: str | None = None, width: float = 1) -> str:
    inner = f"<title>{escape(title)}</title>" if title else ""
    return (f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" rx="{rx}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{width:g}">{inner}</rect>')


def _clip(text: str, room: float, size: int = 12) -> str:
    n = int(room / (CHAR * size / 12))
    return text if len(text) <= n else text[:max(n - 1, 0)] + "…"


def _legend(y: float, items=LEGEND) -> tuple[list[str], float]:
    out, x = [], 20.0
    for state, label in items:
        fill, stroke = COLORS[state]
        out.append(_rect(x, y, 12, 12, fill, stroke, rx=2))
        out.append(_t(x + 17, y + 10, label, 11, fill="#4b5663"))
        x += 30 + len(label) * CHAR * 11 / 12
    return out, y + 24


# --------------------------------------------------------------------------- PCI

SLOT = 14
SLOT_GAP = 3
ROW = 18


def _slot_state(bus: Bus, slot: int) -> str:
    state = bus.slot_state(slot)
    if state == "used" and any(f.child is not None for f in bus.functions if f.slot == slot):
        return "bridge"
    return state


def _card_height(bus: Bus) -> float:
    return 30 + 30 + max(len(bus.functions), 1) * ROW + 8


def pci_svg(topo: Topology, title: str, root_line: int = 0) -> tuple[list[str], float]:
    """SVG elements of the PCI picture and its height (``root_line``: the line of
    <domain>, the cause of devices added for the domain as a whole)."""
    out = [_t(20, 28, title, 15, "bold")]
    legend, y = _legend(42)
    out += legend
    y += 6
    anchors: dict[int, tuple[float, float]] = {}  # id(child bus) -> (x, y) of the row
    for bus, depth in topo.buses():
        x = 20 + depth * 30
        w = WIDTH - 20 - x
        h = _card_height(bus)
        if id(bus) in anchors:  # the elbow from the bridge's row to this card
            ax, ay = anchors[id(bus)]
            out.append(f'<path d="M{ax:g} {ay:g} H{ax + 4:g} M{ax:g} {ay:g} V{y + 15:g} H{x:g}" '
                       'fill="none" '
                       f'stroke="{COLORS["bridge"][1]}" stroke-width="1.5"/>')
        out.append(_rect(x, y, w, h, "#f7f9fb", "#c5ccd4", rx=6))
        head = f"{bus.name or 'bus'}  {bus.model}  bus {bus.number:02x}"
        if bus.index is not None and bus.index != bus.number:
            head += f"  (controller index {bus.index})"
        out.append(_t(x + 12, y + 20, _clip(head, w - 150), 13, "bold"))
        out.append(_t(x + w - 12, y + 20, "hotplug" if bus.hotplug else "no hotplug", 11,
                      fill="#2e9e5b" if bus.hotplug else "#6b7785", anchor="end"))
        # the slot strip
        sy = y + 32
        slots = range(32) if bus.max_slot > bus.min_slot or bus.min_slot > 0 else range(1)
        for s in slots:
            sx = x + 12 + s * (SLOT + SLOT_GAP)
            state = _slot_state(bus, s)
            fill, stroke = COLORS[state]
            who = ", ".join(f.label for f in bus.functions if f.slot == s)
            why = bus.reserved.get(s) or ("not a slot of this bus" if state == "reserved"
                                         else "")
            tip = f"slot 0x{s:02x}: " + (who or why or ("free" + (", hotplug" if
                                                                 state == "free-hotplug" else "")))
            out.append(_rect(sx, sy, SLOT, SLOT, fill, stroke, rx=2, title=tip,
                             width=1.5 if state == "free-hotplug" else 1))
            if s % 4 == 0 or s == 31:
                out.append(_t(sx + SLOT / 2, sy + SLOT + 10, f"{s:x}", 8, fill="#6b7785",
                              anchor="middle"))
        # the functions
        ry = y + 72
        fns = sorted(bus.functions, key=lambda f: (f.slot, f.function))
        if not fns:
            out.append(_t(x + 16, ry, "(empty: free for a hotplugged device)" if bus.hotplug
                          else "(empty)", 12, fill="#6b7785"))
        for f in fns:
            state = "bridge" if f.child is not None else \
                ("chipset" if f.state == "chipset" else "used")
            fill, stroke = COLORS[state]
            out.append(_rect(x + 12, ry - 10, 10, 10, fill, stroke, rx=2))
            text = f"{f.slot:02x}.{f.function:x}  {f.label}"
            if f.driver:
                text += f"  {f.driver}"
            if f.child is not None:
                text += f"  → bus {f.child.number:02x}"
            note = ""
            if f.what and f.what != f.label:
                note = f.what
            if f.added:
                note += f"{' · ' if note else ''}added" + (f" for line {f.line}" if f.line and
                                                          f.line != root_line else "")
            elif f.line:
                note += f"{' · ' if note else ''}line {f.line}"
            out.append(_t(x + 30, ry, _clip(text, w - 60), 12))
            if note:
                room = w - 42 - len(text) * CHAR
                if room > 80:
                    out.append(_t(x + w - 12, ry, _clip(note, room, 11), 11, fill="#6b7785",
                                  anchor="end"))
            if f.child is not None:
                anchors[id(f.child)] = (x + 6, ry - 5)
            ry += ROW
        y += h + 12
    return out, y


# --------------------------------------------------------------------------- NUMA

CPU_W, CPU_H = 64, 46


def _cpus_text(s: CpuSet | None) -> str:
    return "any" if s is None else (str(s) or "none")


def numa_svg(host, dom, plan, title: str) -> tuple[list[str], float]:
    """SVG elements of the NUMA placement picture and its height.  ``host`` is the
    HostTopology the plan was made for, ``plan`` the AffinityPlan."""
    out = [_t(20, 28, title, 15, "bold")]
    legend, y = _legend(42, (("used", "vCPU"), ("offline", "vCPU, offline at start"),
                             ("chipset", "emulator"),
                             ("bridge", "iothread"), ("free-hotplug", "memory bound here")))
    out += legend
    # who runs where: host CPU -> labels
    on: dict[int, list[tuple[str, str]]] = {}
    free_threads = []

    def pin(label: str, state: str, cpus: CpuSet | None) -> None:
        if cpus is None:
            free_threads.append(label)
            return
        for c in cpus:
            on.setdefault(c, []).append((label, state))
    for v in plan.vcpus:
        pin(f"v{v.id}", "used" if v.online else "offline", v.cpus)
    pin("emu", "chipset", plan.emulator)
    for io in plan.iothreads:
        pin(f"io{io.id}", "bridge", io.cpus)

    # guest cells (or the guest as a whole) and the host nodes their memory binds to
    cells = sorted(dom.cpu.numa, key=lambda c: c.id) if dom.cpu and dom.cpu.numa else ()
    bound: list[tuple[str, str, str, CpuSet]] = []  # (box label, whose memory, mode, nodes)
    by_cell = {c.cell: c for c in plan.cells}
    if cells:
        for c in cells:
            pol = by_cell.get(c.id) or plan.memory
            label = f"guest cell {c.id} · vCPUs {c.cpus or '-'} · {_size(c.memory_kib)}"
            bound.append((label, f"cell {c.id}", pol.mode.value if pol else "",
                          pol.nodes if pol else CpuSet()))
    else:
        label = f"guest · {dom.vcpu.count} vCPUs · {_size(dom.memory.max_kib)}"
        pol = plan.memory
        bound.append((label, "guest RAM", pol.mode.value if pol else "",
                      pol.nodes if pol else CpuSet()))

    # guest boxes
    gy = y + 8
    gx = 20.0
    guest_boxes = []
    for label, _, mode, nodes in bound:
        w = len(label) * CHAR + 24
        if gx + w > WIDTH - 20 and gx > 20:
            gx, gy = 20.0, gy + 40
        out.append(_rect(gx, gy, w, 28, "#eef3fb", "#4a86c5", rx=5))
        out.append(_t(gx + 12, gy + 18, label, 12))
        guest_boxes.append((gx + w / 2, gy + 28, mode, nodes))
        gx += w + 16
    ny = gy + 28 + (70 if any(mode for _, _, mode, _ in bound) else 24)

    # host nodes
    per_row = 4
    nodes = list(host.nodes)
    x = 20.0
    node_pos: dict[int, tuple[float, float, float]] = {}
    row_h = 0.0
    for n in nodes:
        cpus = list(n.cpus)
        cols = min(len(cpus), per_row) or 1
        rows = -(-len(cpus) // cols) if cpus else 1
        w = cols * (CPU_W + 6) + 18
        h = 44 + rows * (CPU_H + 6) + 26
        if x + w > WIDTH - 20 and x > 20:
            x, ny = 20.0, ny + row_h + 16
            row_h = 0
        out.append(_rect(x, ny, w, h, "#f7f9fb", "#c5ccd4", rx=6))
        out.append(_t(x + 10, ny + 18, f"host node {n.id}", 13, "bold"))
        out.append(_t(x + 10, ny + 34, _clip(f"CPUs {n.cpus} · {_size(n.total_kib)}", w - 20),
                      11, fill="#4b5663"))
        for i, c in enumerate(cpus):
            cx = x + 9 + (i % cols) * (CPU_W + 6)
            cy = ny + 44 + (i // cols) * (CPU_H + 6)
            who = on.get(c, [])
            tip = f"host CPU {c}: " + (", ".join(lbl for lbl, _ in who) or "nothing pinned")
            out.append(_rect(cx, cy, CPU_W, CPU_H, "#ffffff", "#b8bfc7", rx=3, title=tip))
            out.append(_t(cx + 4, cy + 11, f"cpu {c}", 9, fill="#6b7785"))
            chips = who if len(who) <= 4 else who[:3] + [(f"+{len(who) - 3}", "more")]
            for k, (lbl, state) in enumerate(chips):
                fill, stroke = COLORS.get(state, ("#ffffff", "#6b7785"))
                bx = cx + 3 + (k % 2) * 30
                by = cy + 15 + (k // 2) * 15
                out.append(_rect(bx, by, 28, 13, fill, stroke, rx=2))
                out.append(_t(bx + 14, by + 10, lbl, 9, anchor="middle",
                              fill="#1d2733" if state == "more" else "#ffffff"))
        # the memory band: which guest memory is bound to this node
        here = [(who, mode) for _, who, mode, ns in bound if n.id in ns]
        modes = [mode for _, mode in here]
        band = "memory: " + (", ".join(f"{who} {mode}" for who, mode in here)
                             if here else "not bound here")
        fill, stroke = COLORS["free-hotplug"] if modes else COLORS["free"]
        out.append(_rect(x + 9, ny + h - 22, w - 18, 16, fill, stroke, rx=3,
                         width=1.5 if modes else 1))
        out.append(_t(x + 15, ny + h - 10, _clip(band, w - 30, 10), 10))
        node_pos[n.id] = (x + w / 2, ny, w)
        row_h = max(row_h, h)
        x += w + 16
    bottom = ny + row_h

    # lines from each guest box to the nodes its memory binds to
    for gx_mid, gy_bottom, mode, ns in guest_boxes:
        for nid in ns:
            if nid in node_pos:
                nx, ntop, _ = node_pos[nid]
                out.append(f'<path d="M{gx_mid:g} {gy_bottom:g} C{gx_mid:g} '
                           f'{gy_bottom + 35:g} {nx:g} {ntop - 35:g} {nx:g} {ntop:g}" '
                           f'fill="none" stroke="#2e9e5b" stroke-width="1.5" '
                           f'stroke-dasharray="{"0" if mode == "strict" else "5 3"}"/>')
                mx, my = (gx_mid + nx) / 2, (gy_bottom + ntop) / 2
                out.append(_t(mx + 4, my, mode, 10, fill="#2e9e5b"))
    y = bottom + 24
    notes = []
    if free_threads:
        notes.append("not pinned (any host CPU): " + ", ".join(free_threads))
    if not any(mode for _, _, mode, _ in bound):
        notes.append("guest memory is not bound to host nodes (the kernel's default policy)")
    if plan.auto_nodes is not None:
        notes.append(f"placement='auto': domc chose host nodes {plan.auto_nodes}")
    for line in notes:
        out.append(_t(20, y, line, 11, fill="#4b5663"))
        y += 16
    return out, y + 4


def _size(kib: int) -> str:
    for unit, n in (("TiB", 1024 ** 3), ("GiB", 1024 ** 2), ("MiB", 1024)):
        if kib >= n:
            v = kib / n
            return f"{v:g} {unit}" if v == int(v) else f"{v:.1f} {unit}"
    return f"{kib} KiB"


def document(parts: list[tuple[list[str], float]], title: str) -> str:
    """One SVG of the pictures stacked top to bottom."""
    body, y = [], 0.0
    for elems, h in parts:
        body.append(f'<g transform="translate(0,{y:g})">')
        body += elems
        body.append("</g>")
        y += h + 10
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y:g}" '
            f'viewBox="0 0 {WIDTH} {y:g}" font-family={quoteattr(FONT)}>\n'
            f"<title>{escape(title)}</title>\n"
            f'<rect width="100%" height="100%" fill="#ffffff"/>\n'
            + "\n".join(body) + "\n</svg>\n")

"""check_multifunction: a slot whose function 0 says multifunction='off' cannot hold
other functions -- QEMU refuses to start such a guest ("single function device can't
be populated in function N"), so domc refuses to compile it."""

from __future__ import annotations

from ..model import Domain, PciAddr


def check_multifunction(dom: Domain, env) -> Domain:
    single = {}
    for d in dom.devices:
        a = d.address
        if isinstance(a, PciAddr) and a.function == 0 and a.multifunction is False:
            single[(a.domain, a.bus, a.slot)] = d
    for d in dom.devices:
        a = d.address
        if isinstance(a, PciAddr) and a.function != 0:
            first = single.get((a.domain, a.bus, a.slot))
            if first is not None:
                env.diag.error("pci-multifunction", f"{d.describe()} is function {a.function} "
                               f"of slot {a.slot:#04x} on bus {a.bus}, but {first.describe()} "
                               f"(line {first.span.line}) holds function 0 with "
                               "multifunction='off'", d.span)
    return dom

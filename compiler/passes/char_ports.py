"""number_char_ports: the serial and parallel ports the XML leaves without a target
port get one, as libvirt 9.0 numbers them, in two steps (found with libvirt-oracle):

1. its parser numbers a serial written ``<target type='isa-serial'/>`` without a port:
   one more than the largest port of the serials before it written with that type;
2. then (virDomainChrDefPostParse) each remaining serial or parallel port without one,
   in turn, takes one more than the largest port of its kind so far, every other
   port included: a <serial> without a port after one at port 2 is port 3, two
   without a port are 0 and 1, and a USB serial before an explicitly ISA one is 1.

The serial port is the isa-serial's index (its I/O port and IRQ); the checks that
follow (validate_domain) see the numbers.
"""

from __future__ import annotations

from ..devices.chardev import CharDevice
from ..model import Domain
from ..record import evolve

NUMBERED = ("serial", "parallel")


def number_char_ports(dom: Domain, env) -> Domain:
    devices = dom.devices
    if not any(isinstance(d, CharDevice) and d.element in NUMBERED and d.target_port is None
               for d in devices):
        return dom
    devices = list(devices)
    isa_top = -1
    for i, d in enumerate(devices):
        if isinstance(d, CharDevice) and d.element == "serial" and d.target_type == "isa-serial":
            if d.target_port is None:
                d = devices[i] = evolve(d, target_port=isa_top + 1)
            isa_top = max(isa_top, d.target_port)
    top = {e: max((d.target_port for d in devices if isinstance(d, CharDevice)
                   and d.element == e and d.target_port is not None), default=-1)
           for e in NUMBERED}
    out = []
    for d in devices:
        if isinstance(d, CharDevice) and d.element in NUMBERED and d.target_port is None:
            top[d.element] += 1
            d = evolve(d, target_port=top[d.element])
        out.append(d)
    return dom.with_devices(tuple(out))

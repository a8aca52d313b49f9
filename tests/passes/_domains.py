"""Build small domains from device XML snippets and normalize them."""

from __future__ import annotations

from compiler.api import make_env
from compiler.parse import parse_bytes
from compiler.pipeline import normalize


def domain_xml(devices: str, machine: str = "pc") -> bytes:
    return (f"<domain type='qemu'>\n<name>t</name>\n<memory unit='MiB'>64</memory>\n"
            f"<os><type arch='x86_64' machine='{machine}'>hvm</type></os>\n"
            f"<devices>\n{devices}\n</devices>\n</domain>\n").encode()


def normalized(devices: str, machine: str = "pc"):
    dom, _ = parse_bytes(domain_xml(devices, machine), "t.xml")
    return normalize(dom, make_env())


def disk(dev: str, bus: str, address: str = "", device: str = "disk") -> str:
    return (f"<disk type='file' device='{device}'><source file='/i/{dev}.img'/>"
            f"<target dev='{dev}' bus='{bus}'/>{address}</disk>")

"""-smbios and -fw_cfg from <sysinfo>, as libvirt 9.0 writes them (after -uuid).

SMBIOS structures go in QEMU's type order (0 BIOS, 1 system, 2 baseboard, 3 chassis,
11 OEM strings), each field only when it has a value, except that libvirt always
writes the manufacturer of types 2 and 3 (empty when not given).  Values are
QemuOpts values: commas doubled.

fw_cfg entries follow, every ``type='fwcfg'`` sysinfo in document order.  Here domc
differs from libvirt 9.0 on purpose: libvirt writes names, values and files without
doubling commas (a comma there starts a new option) and writes values and files
XML-escaped (``"`` reaches the guest as ``&quot;``, a file ``a&b`` is looked for as
``a&amp;b``).  domc gives QEMU exactly the name, value and file the XML holds.
"""

from __future__ import annotations

from ..model import Domain, SmbiosTable, SysinfoType
from ..sysinfo import smbios_source
from .qemuopts import escape


def _structure(number: int, table: SmbiosTable | None, always: tuple[str, ...] = ()) -> list[str]:
    if table is None:
        return []
    opts = [f"type={number}"]
    opts += [f"{name}={escape(table.get(name) or '')}" for name in always]
    opts += [f"{name}={escape(value)}" for name, value in table.entries if name not in always]
    return ["-smbios", ",".join(opts)]


def emit_smbios(dom: Domain) -> list[str]:
    source = smbios_source(dom)
    if source is None:
        return []
    argv = _structure(0, source.bios) + _structure(1, source.system)
    for board in source.baseboards:
        argv += _structure(2, board, always=("manufacturer",))
    argv += _structure(3, source.chassis, always=("manufacturer",))
    if source.oem_strings:
        argv += ["-smbios", ",".join(["type=11", *(f"value={escape(v)}"
                                                   for v in source.oem_strings)])]
    return argv


def emit_fw_cfg(dom: Domain) -> list[str]:
    argv = []
    for s in dom.sysinfo:
        if s.type is not SysinfoType.FWCFG:
            continue
        for e in s.fw_cfg:
            content = f"string={escape(e.value)}" if e.value is not None else \
                f"file={escape(e.file)}"
            argv += ["-fw_cfg", f"name={escape(e.name)},{content}"]
    return argv

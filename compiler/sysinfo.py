"""<sysinfo> and <os><smbios mode=...>: reading them and the checks libvirt 9.0 and
QEMU 7.2 make on them.

What libvirt 9.0 does, as measured against it (domxml-to-native):

* an entry's value is its whole text content, spaces kept; an empty entry counts as
  absent, an unknown ``name`` is skipped and of two entries with one name the first
  wins; a structure with no value (``<bios/>``) is left out, also among the
  ``<baseBoard>`` elements;
* the system ``uuid`` entry must be a UUID (``-`` and spaces allowed between bytes)
  and equal to ``<uuid>``; a domain without ``<uuid>`` takes it;
* the BIOS ``date`` is ``mm/dd/yy`` or ``mm/dd/yyyy`` (month 1-12, day 1-31, year
  0-99 or from 1900; each number may carry leading blanks and a sign);
* only ``<smbios mode='sysinfo'/>`` puts the values into the guest, from the first
  ``<sysinfo type='smbios'>``; without it they are read, checked and not used.  Then
  more than one baseboard is refused (QEMU has one type 2 structure);
* a fw_cfg entry needs a ``name`` and a value (not only blanks) or a ``file``; its
  value wins over its file; the name must start with ``opt/`` and not with
  ``opt/ovmf/`` or ``opt/org.qemu/``.

domc refuses at compile time what QEMU 7.2 would refuse at start-up: a BIOS
``release`` that is not ``major.minor``, a fw_cfg name longer than 55 bytes, two fw_cfg
entries of one name, an empty ``file``.  ``mode='host'`` copies this machine's tables,
which a compile does not read: refused.
"""

from __future__ import annotations

import re

from .diagnostics import Collector, Diagnostic, Severity, Span, fail
from .model import Domain, FwCfgEntry, SmbiosMode, SmbiosTable, Sysinfo, SysinfoType
from .xmlread import Reader

# the entries of each structure, in the order QEMU's -smbios fields are written
BIOS_FIELDS = ("vendor", "version", "date", "release")
SYSTEM_FIELDS = ("manufacturer", "product", "version", "serial", "uuid", "sku", "family")
BASEBOARD_FIELDS = ("manufacturer", "product", "version", "serial", "asset", "location")
CHASSIS_FIELDS = ("manufacturer", "version", "serial", "asset", "sku")

FWCFG_PREFIX = "opt/"
FWCFG_RESERVED = ("opt/ovmf/", "opt/org.qemu/")
FWCFG_NAME_MAX = 55  # QEMU: FW_CFG_MAX_FILE_PATH - 1 bytes

_BLANK = " \t\n\v\f\r"  # C isspace()
# virStrToLong_i, three times: blanks, a sign, decimal digits
_DATE_RE = re.compile(r"^[ \t\n\v\f\r]*([+-]?[0-9]+)/[ \t\n\v\f\r]*([+-]?[0-9]+)/"
                      r"[ \t\n\v\f\r]*([+-]?[0-9]+)$")
# QEMU reads the release with sscanf("%hhu.%hhu"): what follows the minor is not read
_RELEASE_RE = re.compile(r"^[ \t\n\v\f\r]*[+-]?[0-9]+\.[ \t\n\v\f\r]*[+-]?[0-9]+")
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


# --------------------------------------------------------------------------- reading


def parse_uuid(text: str) -> str | None:
    """virUUIDParse: 16 hex pairs, '-' or ' ' allowed between pairs, blanks around;
    the canonical form, or None."""
    s = text.strip(_BLANK)
    pairs, i = [], 0
    while i < len(s) and len(pairs) < 16:
        if s[i] in "- ":
            i += 1
            continue
        pair = s[i:i + 2]
        if len(pair) != 2 or any(c not in "0123456789abcdefABCDEF" for c in pair):
            return None
        pairs.append(pair.lower())
        i += 2
    if len(pairs) != 16 or i != len(s):
        return None
    h = "".join(pairs)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _named(table: Reader, name: str) -> Reader | None:
    """The first <entry name=NAME> of a structure (only that one counts as read)."""
    for c in table.el:
        if isinstance(c.tag, str) and c.tag == "entry" and c.get("name") == name:
            entry = Reader(c, table.file, table.usage, table.lines)
            entry.attr("name")
            return entry
    return None


def _table(parent: Reader, tag: str, fields: tuple[str, ...]) -> SmbiosTable | None:
    el = parent.child(tag)
    return _read_table(el, fields) if el is not None else None


def _read_table(el: Reader, fields: tuple[str, ...]) -> SmbiosTable | None:
    entries, spans = [], []
    for name in fields:
        entry = _named(el, name)
        value = entry.content() if entry is not None else ""
        if value == "":
            continue
        if name == "uuid":
            canonical = parse_uuid(value)
            if canonical is None:
                raise entry.error("bad-sysinfo-uuid", f"system uuid {value!r} of <sysinfo> is "
                                  "not a UUID (32 hex digits)")
            value = canonical
        entries.append((name, value))
        spans.append(entry.span)
    return SmbiosTable(tuple(entries), tuple(spans), span=el.span) if entries else None


def _fw_cfg_entry(e: Reader, notes: list[Diagnostic]) -> FwCfgEntry:
    name = e.attr("name")
    if name is None:
        raise e.error("missing-attribute", "a fw_cfg <entry> needs the attribute 'name'")
    value = e.content()
    if value.strip(" \t\n\r") == "":
        value = None
    file = e.attr("file")
    if value is None and file is None:
        raise e.error("fwcfg-entry", f"fw_cfg entry {name!r} needs a value or a 'file'")
    if value is not None and file is not None:
        notes.append(Diagnostic("ignored", f"attribute 'file' of fw_cfg entry {name!r} is not "
                                "used: the entry has a value, which libvirt 9.0 gives the guest "
                                "instead", e.span, Severity.WARNING))
        file = None
    return FwCfgEntry(name, value, file, span=e.span)


def read_sysinfo(r: Reader, notes: list[Diagnostic]) -> tuple[Sysinfo, ...]:
    """Every <sysinfo> of the domain, in document order; warnings go to ``notes``."""
    out = []
    for s in r.children("sysinfo"):
        s.require("type")
        kind = s.attr_enum("type", SysinfoType)
        if kind is SysinfoType.FWCFG:
            out.append(Sysinfo(kind, fw_cfg=tuple(_fw_cfg_entry(e, notes)
                                                  for e in s.children("entry")), span=s.span))
            continue
        oem = s.child("oemStrings")
        out.append(Sysinfo(
            kind,
            bios=_table(s, "bios", BIOS_FIELDS),
            system=_table(s, "system", SYSTEM_FIELDS),
            baseboards=tuple(t for t in (_read_table(b, BASEBOARD_FIELDS)
                                         for b in s.children("baseBoard")) if t is not None),
            chassis=_table(s, "chassis", CHASSIS_FIELDS),
            oem_strings=tuple(e.content() for e in oem.children("entry")) if oem else (),
            span=s.span))
    return tuple(out)


def read_smbios_mode(os_el: Reader) -> tuple[SmbiosMode | None, Span]:
    el = os_el.child("smbios")
    if el is None:
        return None, os_el.span
    return el.attr_enum("mode", SmbiosMode), el.span


def sysinfo_uuid(uuid: str | None, sysinfo: tuple[Sysinfo, ...]) -> str | None:
    """The domain's uuid: <uuid>, else the system uuid of <sysinfo>; the two must agree."""
    for s in sysinfo:
        sys_uuid = s.system.get("uuid") if s.system is not None else None
        if sys_uuid is None:
            continue
        if uuid is None:
            uuid = sys_uuid
        elif uuid != sys_uuid:
            raise fail("sysinfo-uuid-mismatch", f"the system uuid of <sysinfo> ({sys_uuid}) "
                       f"is not the domain's <uuid> ({uuid})", s.system.where("uuid"))
    return uuid


def smbios_source(dom: Domain) -> Sysinfo | None:
    """The <sysinfo> the guest's SMBIOS comes from (mode='sysinfo': the first smbios one)."""
    if dom.os.smbios_mode is not SmbiosMode.SYSINFO:
        return None
    return next((s for s in dom.sysinfo if s.type is SysinfoType.SMBIOS), None)


# --------------------------------------------------------------------------- checks


def _date_ok(date: str) -> bool:
    m = _DATE_RE.match(date)
    if m is None:
        return False
    month, day, year = (int(g) for g in m.groups())
    if not all(INT_MIN <= n <= INT_MAX for n in (month, day, year)):
        return False
    return 1 <= month <= 12 and 1 <= day <= 31 and (0 <= year < 100 or year >= 1900)


def check_sysinfo(dom: Domain, diag: Collector) -> None:
    mode = dom.os.smbios_mode
    if mode is SmbiosMode.HOST:
        diag.error("smbios-host", "<smbios mode='host'> copies this host's SMBIOS tables into "
                   "the guest, and a compile does not read the host; write the values in a "
                   "<sysinfo type='smbios'> and use mode='sysinfo'", dom.os.smbios_span)
    smbios = [s for s in dom.sysinfo if s.type is SysinfoType.SMBIOS]
    for s in smbios:
        _check_bios(s.bios, diag)
    if mode is SmbiosMode.SYSINFO:
        source = smbios_source(dom)
        if source is None:
            diag.error("sysinfo-missing", "<smbios mode='sysinfo'> needs a <sysinfo "
                       "type='smbios'> to take the values from", dom.os.smbios_span)
        elif len(source.baseboards) > 1:
            diag.error("smbios-baseboards", f"{len(source.baseboards)} <baseBoard> elements: "
                       "QEMU has one SMBIOS type 2 structure", source.baseboards[1].span)
    elif smbios:
        diag.warning("sysinfo-unused", "<sysinfo type='smbios'> has no effect without <os>"
                     "<smbios mode='sysinfo'/>: the guest sees QEMU's own SMBIOS strings",
                     smbios[0].span)
    _check_fw_cfg(dom, diag)


def _check_bios(bios: SmbiosTable | None, diag: Collector) -> None:
    if bios is None:
        return
    date = bios.get("date")
    if date is not None and not _date_ok(date):
        diag.error("bad-bios-date", f"BIOS date {date!r} is not mm/dd/yy or mm/dd/yyyy (month "
                   "1-12, day 1-31, year 00-99 or from 1900)", bios.where("date"))
    release = bios.get("release")
    if release is not None and not _RELEASE_RE.match(release):
        diag.error("bad-bios-release", f"BIOS release {release!r} is not major.minor (QEMU "
                   "refuses it)", bios.where("release"))


def _check_fw_cfg(dom: Domain, diag: Collector) -> None:
    seen: set[str] = set()
    for s in dom.sysinfo:
        for e in s.fw_cfg:
            if not e.name.startswith(FWCFG_PREFIX):
                diag.error("fwcfg-name", f"fw_cfg name {e.name!r} does not start with "
                           f"{FWCFG_PREFIX!r}", e.span)
            elif e.name.startswith(FWCFG_RESERVED):
                diag.error("fwcfg-name", f"fw_cfg name {e.name!r} is reserved for QEMU and its "
                           "firmware (opt/ovmf/, opt/org.qemu/)", e.span)
            elif len(e.name.encode()) > FWCFG_NAME_MAX:
                diag.error("fwcfg-name", f"fw_cfg name {e.name!r} is longer than QEMU's "
                           f"{FWCFG_NAME_MAX} bytes", e.span)
            elif e.name in seen:
                diag.error("fwcfg-duplicate", f"fw_cfg name {e.name!r} is given twice; QEMU "
                           "refuses a second file of one name", e.span)
            if e.value is None and e.file == "":
                diag.error("fwcfg-entry", f"fw_cfg entry {e.name!r} has an empty 'file' and no "
                           "value", e.span)
            seen.add(e.name)

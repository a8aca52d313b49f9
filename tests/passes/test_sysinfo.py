"""<sysinfo> and <os><smbios mode=...>: parse, checks and emit, one row per rule.

Every expected -smbios / -fw_cfg line and every refusal here was first taken from
libvirt 9.0 (``libvirt-oracle argv``); rows marked QEMU are where domc refuses what
libvirt passes on and QEMU 7.2 then refuses at start-up, or where domc doubles a
comma libvirt leaves single.
"""

from __future__ import annotations

import pytest

from compiler.api import make_env
from compiler.diagnostics import DomcError
from compiler.emit.argv import emit_argv
from compiler.emit.xml import write_normalized
from compiler.parse import parse_bytes
from compiler.pipeline import normalize

UUID = "c7a5fdbd-edaf-9455-926a-d65c16db1809"
SYSINFO = "<smbios mode='sysinfo'/>"


def domain(sysinfo: str, smbios: str = SYSINFO, uuid: str | None = UUID) -> bytes:
    return ("<domain type='qemu'>\n<name>t</name>\n"
            + (f"<uuid>{uuid}</uuid>\n" if uuid else "")
            + "<genid>43dc0cf8-809b-4adb-9bea-a9abb5f3d90d</genid>\n"
            "<memory unit='MiB'>64</memory>\n"
            f"{sysinfo}\n"
            f"<os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>{smbios}</os>\n"
            "<devices/>\n</domain>\n").encode()


def compiled(xml: bytes):
    dom, root = parse_bytes(xml, "t.xml")
    env = make_env()
    dom = normalize(dom, env)
    return dom, root, emit_argv(dom, env), env.diag.warnings


def identity(argv: list[str]) -> list[str]:
    """The options between -uuid and the vmgenid device, flattened."""
    start = argv.index("-uuid") + 2 if "-uuid" in argv else argv.index("-smp") + 2
    end = argv.index("-device")
    return argv[start:end]


def smbios(body: str) -> str:
    return f"<sysinfo type='smbios'>{body}</sysinfo>"


def entries(tag: str, **values: str) -> str:
    return f"<{tag}>" + "".join(f"<entry name='{k}'>{v}</entry>" for k, v in values.items()) + \
        f"</{tag}>"


EMITS = {
    "all-structures": (
        smbios(entries("bios", vendor="LENOVO, Inc", version="6FET82WW (3.12 )",
                       date="01/01/2012", release="20.12")
               + entries("system", family="Red Hat", uuid=UUID, manufacturer="Fedora")
               + entries("baseBoard", product="0B4Ch", manufacturer="HP", location="Upside down")
               + entries("chassis", sku="S1", manufacturer="Dell Inc.", asset="40000101")
               + "<oemStrings><entry>app:data</entry><entry>more, with comma</entry>"
                 "</oemStrings>"),
        SYSINFO,
        ["-smbios", "type=0,vendor=LENOVO,, Inc,version=6FET82WW (3.12 ),date=01/01/2012,"
                    "release=20.12",
         "-smbios", f"type=1,manufacturer=Fedora,uuid={UUID},family=Red Hat",
         "-smbios", "type=2,manufacturer=HP,product=0B4Ch,location=Upside down",
         "-smbios", "type=3,manufacturer=Dell Inc.,asset=40000101,sku=S1",
         "-smbios", "type=11,value=app:data,value=more,, with comma"]),
    # types 2 and 3 always carry a manufacturer, empty when not given
    "empty-manufacturer": (smbios(entries("baseBoard", location="l")
                                  + entries("chassis", version="v")), SYSINFO,
                           ["-smbios", "type=2,manufacturer=,location=l",
                            "-smbios", "type=3,manufacturer=,version=v"]),
    # no uuid entry: type 1 has no uuid, whatever <uuid> says
    "system-without-uuid": (smbios(entries("system", manufacturer="M")), SYSINFO,
                            ["-smbios", "type=1,manufacturer=M"]),
    "uuid-canonical": (smbios(entries("system", uuid=" C7A5FDBD edaf9455-926a-d65c16db1809 ")),
                       SYSINFO, ["-smbios", f"type=1,uuid={UUID}"]),
    # blanks kept, an empty entry is no entry, an unknown name is skipped, the first of
    # two entries of one name wins
    "entry-values": (smbios("<bios><entry name='vendor'></entry><entry name='bogus'>x</entry>"
                            "<entry name='version'>  v  </entry><entry name='version'>w"
                            "</entry></bios>"), SYSINFO, ["-smbios", "type=0,version=  v  "]),
    "empty-structures": (smbios("<bios/><system></system><baseBoard/><oemStrings/>"), SYSINFO,
                         []),
    "empty-baseboard-not-counted": (smbios(entries("baseBoard", product="a") + "<baseBoard/>"),
                                    SYSINFO, ["-smbios", "type=2,manufacturer=,product=a"]),
    "empty-oem-string": (smbios("<oemStrings><entry></entry><entry>  </entry></oemStrings>"),
                         SYSINFO, ["-smbios", "type=11,value=,value=  "]),
    "hostile": (smbios("<bios><entry name='vendor'>a,b=c;d\"e'f,,g</entry></bios>"
                       "<oemStrings><entry>x,type=1,uuid=0</entry></oemStrings>"), SYSINFO,
                ["-smbios", "type=0,vendor=a,,b=c;d\"e'f,,,,g",
                 "-smbios", "type=11,value=x,,type=1,,uuid=0"]),
    "first-smbios-sysinfo-only": (smbios(entries("bios", vendor="A"))
                                  + smbios(entries("bios", vendor="B")), SYSINFO,
                                  ["-smbios", "type=0,vendor=A"]),
    "no-mode": (smbios(entries("bios", vendor="A")), "", []),
    "no-mode-attribute": (smbios(entries("bios", vendor="A")), "<smbios/>", []),
    "emulate": (smbios(entries("bios", vendor="A")), "<smbios mode='emulate'/>", []),
    # fw_cfg: every fwcfg sysinfo, after the SMBIOS lines, whatever the mode; a value
    # wins over a file
    "fw-cfg": ("<sysinfo type='fwcfg'><entry name='opt/a'>  v  </entry>"
               "<entry name='opt/b' file='/f'/><entry name='opt/c' file='/g'>w</entry></sysinfo>"
               + smbios(entries("bios", vendor="A"))
               + "<sysinfo type='fwcfg'><entry name='opt/d'>x</entry></sysinfo>", SYSINFO,
               ["-smbios", "type=0,vendor=A",
                "-fw_cfg", "name=opt/a,string=  v  ", "-fw_cfg", "name=opt/b,file=/f",
                "-fw_cfg", "name=opt/c,string=w", "-fw_cfg", "name=opt/d,string=x"]),
    # QEMU: libvirt leaves these commas single, so QEMU would read b=c and w=x as keys,
    # and it XML-escapes values and files (the guest would get '&quot;')
    "fw-cfg-commas": ("<sysinfo type='fwcfg'><entry name='opt/a,b=c'>v,w=x</entry>"
                      "<entry name='opt/b' file='/f,g'/></sysinfo>", "",
                      ["-fw_cfg", "name=opt/a,,b=c,string=v,,w=x",
                       "-fw_cfg", "name=opt/b,file=/f,,g"]),
    "fw-cfg-xml-characters": ("<sysinfo type='fwcfg'><entry name='opt/a'>{\"k\": '&lt;&amp;&gt;'}"
                              "</entry><entry name='opt/b' file='/f&amp;&quot;'/></sysinfo>", "",
                              ["-fw_cfg", "name=opt/a,string={\"k\": '<&>'}",
                               "-fw_cfg", "name=opt/b,file=/f&\""]),
}


@pytest.mark.parametrize("case", sorted(EMITS))
def test_emit(case):
    sysinfo, mode, want = EMITS[case]
    _, _, argv, _ = compiled(domain(sysinfo, mode))
    assert identity(argv) == want


def test_position_after_uuid_before_vmgenid_and_display():
    _, _, argv, _ = compiled(domain(smbios(entries("bios", vendor="A"))
                                    + "<sysinfo type='fwcfg'><entry name='opt/a'>v</entry>"
                                      "</sysinfo>"))
    at = argv.index("-smbios")
    assert argv[at - 2:at] == ["-uuid", UUID]
    assert argv[at:at + 6] == ["-smbios", "type=0,vendor=A", "-fw_cfg", "name=opt/a,string=v",
                               "-device", argv[at + 5]]
    assert '"vmgenid"' in argv[at + 5] and argv[at + 6:at + 8] == ["-display", "none"]


def test_domain_takes_the_sysinfo_uuid():
    dom, root, argv, _ = compiled(domain(smbios(entries("system", uuid="11111111EDAF9455926A"
                                                                  "D65C16DB1809")), uuid=None))
    want = "11111111-edaf-9455-926a-d65c16db1809"
    assert dom.uuid == want
    assert argv[argv.index("-uuid") + 1] == want
    assert identity(argv) == ["-smbios", f"type=1,uuid={want}"]
    xml = write_normalized(root, dom).decode()
    assert f"<uuid>{want}</uuid>" in xml
    assert f"<entry name=\"uuid\">{want}</entry>" in xml
    # and normalizing the result again changes nothing
    dom2, root2, _, _ = compiled(xml.encode())
    assert write_normalized(root2, dom2).decode() == xml


REFUSED = {
    "uuid-mismatch": (smbios(entries("system", uuid="11111111-edaf-9455-926a-d65c16db1809")),
                      "", "sysinfo-uuid-mismatch"),
    "uuid-not-hex": (smbios(entries("system", uuid="nothex")), "", "bad-sysinfo-uuid"),
    "uuid-split-byte": (smbios(entries("system", uuid="c7a5fdb-dedaf-9455-926a-d65c16db1809")),
                        "", "bad-sysinfo-uuid"),
    "sysinfo-no-type": ("<sysinfo/>", "", "missing-attribute"),
    "sysinfo-bad-type": ("<sysinfo type='bogus'/>", "", "bad-value"),
    "smbios-bad-mode": ("", "<smbios mode='bogus'/>", "bad-value"),
    "mode-host": (smbios(entries("bios", vendor="A")), "<smbios mode='host'/>", "smbios-host"),
    "mode-sysinfo-without-sysinfo": ("", SYSINFO, "sysinfo-missing"),
    "mode-sysinfo-fwcfg-only": ("<sysinfo type='fwcfg'><entry name='opt/a'>v</entry></sysinfo>",
                                SYSINFO, "sysinfo-missing"),
    "two-baseboards": (smbios(entries("baseBoard", product="a") + entries("baseBoard",
                                                                         product="b")),
                       SYSINFO, "smbios-baseboards"),
    # QEMU: sscanf("%hhu.%hhu") fails
    "release-not-major-minor": (smbios(entries("bios", release="abc")), SYSINFO,
                                "bad-bios-release"),
    "release-major-only": (smbios(entries("bios", release="1")), SYSINFO, "bad-bios-release"),
    "fwcfg-no-name": ("<sysinfo type='fwcfg'><entry>v</entry></sysinfo>", "",
                      "missing-attribute"),
    "fwcfg-no-value": ("<sysinfo type='fwcfg'><entry name='opt/a'/></sysinfo>", "",
                       "fwcfg-entry"),
    "fwcfg-blank-value": ("<sysinfo type='fwcfg'><entry name='opt/a'> \n </entry></sysinfo>",
                          "", "fwcfg-entry"),
    "fwcfg-not-opt": ("<sysinfo type='fwcfg'><entry name='etc/a'>v</entry></sysinfo>", "",
                      "fwcfg-name"),
    "fwcfg-empty-name": ("<sysinfo type='fwcfg'><entry name=''>v</entry></sysinfo>", "",
                         "fwcfg-name"),
    "fwcfg-ovmf": ("<sysinfo type='fwcfg'><entry name='opt/ovmf/x'>v</entry></sysinfo>", "",
                   "fwcfg-name"),
    "fwcfg-org-qemu": ("<sysinfo type='fwcfg'><entry name='opt/org.qemu/x'>v</entry></sysinfo>",
                       "", "fwcfg-name"),
    # QEMU: "name too long (max. 55 char)", "duplicate fw_cfg file name", empty file
    "fwcfg-too-long": (f"<sysinfo type='fwcfg'><entry name='opt/{'a' * 52}'>v</entry>"
                       "</sysinfo>", "", "fwcfg-name"),
    "fwcfg-duplicate": ("<sysinfo type='fwcfg'><entry name='opt/a'>v</entry></sysinfo>"
                        "<sysinfo type='fwcfg'><entry name='opt/a'>w</entry></sysinfo>", "",
                        "fwcfg-duplicate"),
    "fwcfg-empty-file": ("<sysinfo type='fwcfg'><entry name='opt/a' file=''/></sysinfo>", "",
                         "fwcfg-entry"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused(case):
    sysinfo, mode, code = REFUSED[case]
    with pytest.raises(DomcError) as exc:
        compiled(domain(sysinfo, mode))
    assert [d.code for d in exc.value.diagnostics] == [code]
    assert all(d.span.file == "t.xml" and d.span.line > 0 for d in exc.value.diagnostics)


# libvirt's date rule: mm/dd/yy or mm/dd/yyyy, each number strtol()'d (blanks and a
# sign in front), month 1-12, day 1-31, year 0-99 or from 1900
GOOD_DATES = ["1/1/99", "12/31/1900", "01/01/0", " 01/01/2012", "+01/01/2012", "01/ 1/2012",
              "01/01/20121", "01/01/99999", "02/31/2012", "01/01/-0"]
BAD_DATES = ["13/01/2012", "01/32/2012", "01/01/1899", "01/01/100", "01-01-2012", "01/01/2012 ",
             "01/01/-1", "0x1/01/2012", "00/01/2012", "01/01/", "1/1/2147483648", "-0/1/2012",
             "1/1", "a/b/c"]


@pytest.mark.parametrize("date", GOOD_DATES)
def test_date_accepted(date):
    _, _, argv, _ = compiled(domain(smbios(entries("bios", date=date))))
    assert identity(argv) == ["-smbios", f"type=0,date={date}"]


@pytest.mark.parametrize("date", BAD_DATES)
def test_date_refused(date):
    # checked whatever the mode, as libvirt does
    with pytest.raises(DomcError) as exc:
        compiled(domain(smbios("\n" + entries("bios", date=date)), ""))
    (d,) = exc.value.diagnostics
    assert (d.code, d.span.line) == ("bad-bios-date", 7)


def test_sysinfo_without_mode_warns_and_is_read():
    _, _, _, warnings = compiled(domain(smbios(entries("bios", vendor="A")), ""))
    assert [(w.code, w.span.line) for w in warnings] == [("sysinfo-unused", 6)]


def test_modelled_sysinfo_has_no_ignored_warning():
    sysinfo, _, _ = EMITS["all-structures"]
    _, _, _, warnings = compiled(domain(sysinfo))
    assert warnings == []


def test_unknown_and_duplicate_entries_are_reported():
    _, _, _, warnings = compiled(domain(EMITS["entry-values"][0]))
    assert [w.code for w in warnings] == ["ignored", "ignored"]
    assert all("element <entry>" in w.message for w in warnings)


def test_fwcfg_file_beside_a_value_is_reported():
    _, _, _, warnings = compiled(domain("<sysinfo type='fwcfg'><entry name='opt/c' file='/g'>w"
                                        "</entry></sysinfo>", ""))
    assert [w.code for w in warnings] == ["ignored"]
    assert "'file'" in warnings[0].message

"""<sysinfo> on the real QEMU: what the guest's firmware is given.

QEMU hands the firmware its SMBIOS structures and the ``-fw_cfg`` files through the
fw_cfg device.  The guest is started paused and the test reads that device the way
firmware does, through its I/O ports (selector 0x510, data 0x511), with the monitor's
``o``/``i`` commands over QMP: the file directory, then ``etc/smbios/smbios-tables``
and every ``opt/`` file.  The values must come back exactly as the XML wrote them,
commas, ``=``, ``;`` and quotes included, each in its own field.
"""

from __future__ import annotations

import uuid as uuidlib
from xml.sax.saxutils import escape, quoteattr

import pytest

from compiler.api import compile_file, make_env

from .qemu import NO_QEMU, QEMU, QemuRefused, ask_paused, bootable

pytestmark = pytest.mark.skipif(QEMU is None, reason=NO_QEMU)

FW_CFG_FILE_DIR = 0x19
UUID = "c7a5fdbd-edaf-9455-926a-d65c16db1809"
HOSTILE = "a,b=c;d\"e'f,,g $(id) caf\u00e9"

BIOS = {"vendor": HOSTILE, "version": "6FET82WW (3.12 )", "date": "01/01/2012", "release": "20.12"}
SYSTEM = {"manufacturer": "Fedora", "product": "x,type=2,product=y", "version": "0.9.4",
          "serial": "123456", "uuid": UUID, "sku": "sku=1", "family": "Red Hat"}
BOARD = {"manufacturer": "", "product": "0B4Ch", "version": "1.0", "serial": "CZC1065993",
         "asset": "Asset;1", "location": "Upside down"}
CHASSIS = {"manufacturer": "Dell Inc.", "version": "2.12", "serial": "65X0XF2",
           "asset": "40000101", "sku": "Type3Sku1"}
OEM = ["myapp:some data", "x,type=1,uuid=0"]


def _entries(tag: str, values: dict[str, str]) -> str:
    return f"<{tag}>" + "".join(f"<entry name='{k}'>{escape(v)}</entry>" for k, v in values.items()
                                if v) + f"</{tag}>"


def _domain(file_entry: str) -> str:
    oem = "".join(f"<entry>{escape(s)}</entry>" for s in OEM)
    return f"""<domain type='qemu'>
  <name>smbios</name>
  <uuid>{UUID}</uuid>
  <memory unit='MiB'>64</memory>
  <sysinfo type='smbios'>
    {_entries('bios', BIOS)}{_entries('system', SYSTEM)}{_entries('baseBoard', BOARD)}
    {_entries('chassis', CHASSIS)}<oemStrings>{oem}</oemStrings>
  </sysinfo>
  <sysinfo type='fwcfg'>
    <entry name='opt/com.example/a,b=c'>v,w=x;'"</entry>
    <entry name='opt/com.example/file' file={quoteattr(file_entry)}/>
  </sysinfo>
  <os><type arch='x86_64' machine='pc'>hvm</type><smbios mode='sysinfo'/></os>
  <devices/>
</domain>
"""


async def _fw_cfg_read(qmp, key: int, size: int) -> bytes:
    async def hmp(line: str) -> str:
        return await qmp.execute("human-monitor-command", {"command-line": line})

    await hmp(f"o /h 0x510 {key:#x}")
    out = bytearray()
    for _ in range(size):
        out.append(int((await hmp("i /b 0x511")).split("=")[1], 16))
    return bytes(out)


async def _fw_cfg_files(qmp) -> dict[str, bytes]:
    """The fw_cfg files the guest can read: SMBIOS tables and the user's opt/ files."""
    count = int.from_bytes(await _fw_cfg_read(qmp, FW_CFG_FILE_DIR, 4), "big")
    directory = (await _fw_cfg_read(qmp, FW_CFG_FILE_DIR, 4 + 64 * count))[4:]
    files = {}
    for i in range(count):
        entry = directory[64 * i:64 * (i + 1)]
        size, select = int.from_bytes(entry[:4], "big"), int.from_bytes(entry[4:6], "big")
        name = entry[8:].rstrip(b"\0").decode()
        if name.startswith("opt/") or name == "etc/smbios/smbios-tables":
            files[name] = await _fw_cfg_read(qmp, select, size)
    return files


def _structures(blob: bytes) -> list[tuple[int, bytes, list[str]]]:
    """SMBIOS structures: (type, formatted area, strings)."""
    out, at = [], 0
    while at < len(blob):
        kind, length = blob[at], blob[at + 1]
        formatted = blob[at:at + length]
        end = blob.index(b"\0\0", at + length)
        strings = blob[at + length:end].split(b"\0") if end > at + length else []
        out.append((kind, formatted, [s.decode() for s in strings]))
        at = end + 2
    return out


def _string(formatted: bytes, strings: list[str], offset: int) -> str:
    """A string field: 0 means none."""
    index = formatted[offset]
    return strings[index - 1] if index else ""


def test_guest_firmware_gets_exact_sysinfo(tmp_path):
    content = tmp_path / "blob,file=passwd;x y"
    content.write_bytes(b"from a file\n")
    xml = tmp_path / "smbios.xml"
    xml.write_text(_domain(str(content)))
    argv = list(compile_file(str(xml), make_env()).argv)
    argv, _ = bootable(argv, tmp_path)
    try:
        files = ask_paused(argv, _fw_cfg_files)
    except QemuRefused as e:
        pytest.fail(f"QEMU refused the argv: {str(e)[-500:]}")

    assert {k: v for k, v in files.items() if k.startswith("opt/")} == {
        "opt/com.example/a,b=c": "v,w=x;'\"".encode(),
        "opt/com.example/file": b"from a file\n",
    }
    tables = {}
    for kind, formatted, strings in _structures(files["etc/smbios/smbios-tables"]):
        tables.setdefault(kind, []).append((formatted, strings))
    (bios, bios_s), = tables[0]
    assert [_string(bios, bios_s, o) for o in (0x04, 0x05, 0x08)] == \
        [BIOS["vendor"], BIOS["version"], BIOS["date"]]
    assert (bios[0x14], bios[0x15]) == (20, 12)
    (system, system_s), = tables[1]
    assert [_string(system, system_s, o) for o in (0x04, 0x05, 0x06, 0x07, 0x19, 0x1A)] == \
        [SYSTEM[k] for k in ("manufacturer", "product", "version", "serial", "sku", "family")]
    assert str(uuidlib.UUID(bytes_le=bytes(system[0x08:0x18]))) == UUID
    (board, board_s), = tables[2]
    assert [_string(board, board_s, o) for o in (0x04, 0x05, 0x06, 0x07, 0x08, 0x0A)] == \
        [BOARD[k] for k in ("manufacturer", "product", "version", "serial", "asset", "location")]
    (chassis, chassis_s), = tables[3]
    assert [_string(chassis, chassis_s, o) for o in (0x04, 0x06, 0x07, 0x08)] == \
        [CHASSIS[k] for k in ("manufacturer", "version", "serial", "asset")]
    count, record = chassis[0x13], chassis[0x14]
    assert _string(chassis, chassis_s, 0x15 + count * record) == CHASSIS["sku"]
    (oem, oem_s), = tables[11]
    assert oem[0x04] == len(OEM) and oem_s == OEM

"""Numbers (every libvirt memory unit, overflow, negative, absurd) and determinism
(PYTHONHASHSEED, attribute and file order)."""

from __future__ import annotations

import pytest

from .conftest import assert_clean_error, domain_xml, run_domc

# unit -> bytes (libvirt virScaleInteger); 2 of each must give the same -m as the KiB form
UNITS = {"b": 1, "bytes": 1, "k": 1024, "KiB": 1024, "KB": 1000, "M": 1024**2, "MiB": 1024**2,
         "MB": 1000**2, "G": 1024**3, "GiB": 1024**3, "GB": 1000**3, "T": 1024**4,
         "TiB": 1024**4, "TB": 1000**4}


def _mem(value: str, unit: str) -> str:
    return domain_xml().replace("<memory unit='MiB'>64</memory>",
                                f"<memory unit='{unit}'>{value}</memory>")


def _argv(write, xml):
    from compiler.api import compile_file, make_env

    return list(compile_file(str(write(xml)), make_env()).argv)


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_memory_units(unit, write):
    nbytes = 512 * 1024**2  # 512 MiB in this unit, rounded up to whole units
    count = -(-nbytes // UNITS[unit])
    argv = _argv(write, _mem(str(count), unit))
    kib = -(-count * UNITS[unit] // 1024)
    want_mib = -(-kib // 1024)
    assert argv[argv.index("-m") + 1] == str(want_mib)


BAD_NUMBERS = {
    # name: (top-level XML replacing <vcpu>1</vcpu> / memory, devices, code, words in message)
    "vcpu-zero": ("<vcpu>0</vcpu>", "", "number-range", "minimum is 1"),
    "vcpu-negative": ("<vcpu>-1</vcpu>", "", "bad-number", "-1"),
    "vcpu-huge": ("<vcpu>99999999999999999999</vcpu>", "", "number-range", "maximum is 4096"),
    "vcpu-float": ("<vcpu>1.5</vcpu>", "", "bad-number", "1.5"),
    "memory-1e9-MiB": ("<vcpu>1</vcpu>", "", "memory-range", "16 TiB"),
    "memory-overflow-EiB": ("<vcpu>1</vcpu>", "", "number-range", "bytes"),
    "memory-negative": ("<vcpu>1</vcpu>", "", "bad-number", "-5"),
    "memory-zero": ("<vcpu>1</vcpu>", "", "memory-range", "minimum"),
    "memory-bad-unit": ("<vcpu>1</vcpu>", "", "bad-unit", "furlongs"),
    "pci-slot-0x20": ("<vcpu>1</vcpu>", "<interface type='user'><address type='pci' slot='0x20'/>"
                      "</interface>", "number-range", "maximum is 31"),
    "pci-function-8": ("<vcpu>1</vcpu>", "<interface type='user'><address type='pci' slot='3' "
                       "function='8'/></interface>", "number-range", "maximum is 7"),
    "pci-bus-absent": ("<vcpu>1</vcpu>", "<interface type='user'><address type='pci' bus='3' "
                       "slot='3'/></interface>", "pci-address-range", "bus 3"),
    "ide-unit-2": ("<vcpu>1</vcpu>", "<disk type='file' device='disk'><source file='/a'/>"
                   "<target dev='hda' bus='ide'/><address type='drive' controller='0' bus='0' "
                   "unit='2'/></disk>", "drive-address-range", "2 units"),
    "sata-unit-6": ("<vcpu>1</vcpu>", "<disk type='file' device='disk'><source file='/a'/>"
                    "<target dev='sda' bus='sata'/><address type='drive' controller='0' bus='0' "
                    "unit='6'/></disk>", "drive-address-range", "units 0-5"),
    "lsilogic-unit-7": ("<vcpu>1</vcpu>", "<disk type='file' device='disk'><source file='/a'/>"
                        "<target dev='sda' bus='scsi'/><address type='drive' controller='0' "
                        "bus='0' unit='7'/></disk>", "drive-address-range", "7 unit(s)"),
    "fdc-unit-2": ("<vcpu>1</vcpu>", "<disk type='file' device='floppy'><source file='/a'/>"
                   "<target dev='fda' bus='fdc'/><address type='drive' controller='0' bus='0' "
                   "unit='2'/></disk>", "drive-address-range", "units 0-1"),
    "port-65536": ("<vcpu>1</vcpu>", "<serial type='tcp'><source mode='connect' host='h' "
                   "service='1'/><target port='65536'/></serial>", "number-range", "65535"),
}
MEMORY_TEXT = {"memory-1e9-MiB": ("1000000000", "MiB"), "memory-overflow-EiB": ("16", "EiB"),
               "memory-negative": ("-5", "MiB"), "memory-zero": ("0", "KiB"),
               "memory-bad-unit": ("3", "furlongs")}


@pytest.mark.parametrize("case", sorted(BAD_NUMBERS))
def test_bad_number_names_the_limit(case, write):
    vcpu, devices, code, words = BAD_NUMBERS[case]
    xml = domain_xml(devices).replace("<vcpu>1</vcpu>", vcpu)
    if case in MEMORY_TEXT:
        xml = xml.replace("<memory unit='MiB'>64</memory>",
                          "<memory unit='{1}'>{0}</memory>".format(*MEMORY_TEXT[case]))
    path = write(xml)
    m = assert_clean_error(run_domc("compile", str(path)), path, code)
    assert words in m["msg"], m["msg"]


# --------------------------------------------------------------------------- determinism
BUSY = domain_xml("""
    <controller type='scsi' index='0' model='virtio-scsi'/>
    <disk type='file' device='disk'><source file='/a.img'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><source file='/b.img'/><target dev='sdc' bus='scsi'/></disk>
    <disk type='file' device='cdrom'><source file='/c.iso'/><target dev='hdc' bus='ide'/></disk>
    <interface type='user'><model type='virtio'/></interface>
    <interface type='user'><model type='e1000'/></interface>
    <serial type='pty'/><console type='pty'/>
    <channel type='unix'><source mode='bind' path='/s'/><target type='virtio' name='x.0'/></channel>
    <graphics type='vnc'/><video><model type='qxl'/></video>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>""")


@pytest.mark.parametrize("seed", ["0", "1", "4242", "random"])
def test_hash_seed_does_not_change_output(seed, write):
    path = write(BUSY)
    ref = run_domc("compile", str(path), env={"PYTHONHASHSEED": "0"})
    got = run_domc("compile", str(path), env={"PYTHONHASHSEED": seed})
    norm_ref = run_domc("normalize", str(path), env={"PYTHONHASHSEED": "0"})
    norm = run_domc("normalize", str(path), env={"PYTHONHASHSEED": seed})
    assert ref.returncode == 0 and norm_ref.returncode == 0, ref.stderr
    assert got.stdout == ref.stdout
    assert norm.stdout == norm_ref.stdout


def test_attribute_order_does_not_change_argv(write):
    import re

    def reverse_attrs(m):
        attrs = re.findall(r"(\w+='[^']*')", m.group(2))
        return f"<{m.group(1)} {' '.join(reversed(attrs))}{m.group(3)}>"

    flipped = re.sub(r"<(\w+) ([^<>]*?)(/?)>", reverse_attrs, BUSY)
    assert flipped != BUSY
    assert _argv(write, flipped) == _argv(write, BUSY)


def test_file_order_does_not_change_output(tmp_path):
    """validate/compile many files in different orders: no state leaks between files."""
    from compiler.api import compile_file, make_env

    files = []
    for n, dev in enumerate(("vda", "hdb", "sdc")):
        p = tmp_path / f"g{n}.xml"
        p.write_text(domain_xml(f"<disk type='file' device='disk'><source file='/{n}.img'/>"
                                f"<target dev='{dev}'/></disk>"))
        files.append(str(p))
    forward = {f: compile_file(f, make_env()).argv for f in files}
    backward = {f: compile_file(f, make_env()).argv for f in reversed(files)}
    assert forward == backward
    ok = run_domc("validate", *files)
    rev = run_domc("validate", *reversed(files))
    assert ok.returncode == rev.returncode == 0

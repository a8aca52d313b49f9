"""select_firmware: descriptor selection per feature set and machine, and every check.

Expected choices were settled against libvirt 9.0.0 with Debian's descriptors
(../shared/tools/libvirt-oracle argv); the synthetic profile below adds a BIOS and a
stateless descriptor that Debian does not ship.
"""

from __future__ import annotations

import json

import pytest
from compiler.record import evolve

from compiler.api import make_env
from compiler.diagnostics import DomcError
from compiler.emit.argv import emit_argv
from compiler.parse import parse_bytes
from compiler.pipeline import normalize
from compiler.profile import FirmwareDescriptor, FirmwareTarget, load_profile

ENROLLED = "40-edk2-x86_64-secure-enrolled.json"
SECURE = "50-edk2-x86_64-secure.json"
PLAIN = "60-edk2-x86_64.json"


def xml(os_attrs: str = "firmware='efi'", body: str = "", machine: str = "q35",
        features: str = "", arch: str = "x86_64") -> bytes:
    return (f"<domain type='qemu'>\n<name>fw</name>\n<memory unit='MiB'>64</memory>\n"
            f"<os {os_attrs}>\n<type arch='{arch}' machine='{machine}'>hvm</type>\n{body}\n</os>\n"
            f"<features>\n<acpi/>\n{features}\n</features>\n<devices/>\n</domain>\n").encode()


def compile_(data: bytes, profile=None):
    dom, _ = parse_bytes(data, "t.xml")
    env = make_env()
    if profile is not None:
        env.profile = profile
    return normalize(dom, env), env


def feats(**kw) -> str:
    rows = "".join(f"<feature enabled='{'yes' if v else 'no'}' name='{k.replace('_', '-')}'/>"
                   for k, v in kw.items())
    return f"<firmware>{rows}</firmware>"


@pytest.mark.parametrize("body, machine, smm, file", [
    ("", "q35", "", ENROLLED),                                   # first match wins
    ("", "pc", "", PLAIN),                                       # secure ones are q35 only
    (feats(secure_boot=True), "q35", "", ENROLLED),
    (feats(enrolled_keys=True), "q35", "", ENROLLED),
    (feats(enrolled_keys=False), "q35", "", SECURE),
    (feats(secure_boot=False), "q35", "", PLAIN),
    (feats(secure_boot=False), "pc", "", PLAIN),
    (feats(secure_boot=True, enrolled_keys=False), "q35", "", SECURE),
    ("<loader secure='yes'/>", "q35", "", ENROLLED),
    ("<loader stateless='no'/>", "q35", "", ENROLLED),
    ("<loader format='raw'/>", "q35", "", ENROLLED),
    (feats(secure_boot=False), "q35", "<smm state='on'/>", PLAIN),
    ("", "pc-q35-4.0", "", ENROLLED),                            # any pc-q35-* version
])
def test_selection(body, machine, smm, file):
    dom, _ = compile_(xml(body=body, machine=machine, features=smm))
    fw = next(f for f in load_profile().firmware if f.file == file)
    o = dom.os
    assert o.firmware_file == file
    assert (o.loader.path, o.loader.type, o.loader.readonly) == (fw.executable, "pflash", True)
    assert o.nvram == "/var/lib/domc/nvram/fw_VARS.fd"
    assert o.nvram_template == fw.nvram_template
    needs_smm = "requires-smm" in fw.features
    assert bool(o.loader.secure) == needs_smm
    assert dom.features.smm is (True if needs_smm or smm else None)


def test_user_nvram_path_is_kept():
    dom, _ = compile_(xml(body="<nvram>/path/to/v.fd</nvram>"))
    assert dom.os.nvram == "/path/to/v.fd" and dom.os.firmware_file == ENROLLED


@pytest.mark.parametrize("body, machine, features, arch, code, words", [
    ("<nvram>/x/VARS.fd</nvram>", "q35", "", "x86_64", "nvram-bios", "bios"),
    ("<nvram template='/x/VARS.fd'/>", "q35", "", "x86_64", "nvram-bios", "bios"),
    ("<loader stateless='no'/>", "q35", "", "x86_64", "nvram-loader", "EFI"),
])
def test_bios_errors(body, machine, features, arch, code, words):
    _assert_error(xml("firmware='bios'", body, machine, features, arch), code, words)


@pytest.mark.parametrize("os_attrs, body, machine, features, arch, code, words", [
    # autoselection finds nothing: say what was asked for
    ("firmware='efi'", feats(secure_boot=True), "pc", "", "x86_64", "no-firmware",
     "secure-boot=yes"),
    ("firmware='efi'", "", "isapc", "", "x86_64", "no-firmware", "machine isapc"),
    ("firmware='efi'", "", "q35", "", "i686", "no-firmware", "i686"),
    ("firmware='efi'", "<loader stateless='yes'/>", "q35", "", "x86_64", "no-firmware",
     "stateless"),
    ("firmware='efi'", "<loader format='qcow2'/>", "q35", "", "x86_64", "no-firmware",
     "format=qcow2"),
    ("firmware='efi'", "<loader secure='yes'/>" + feats(secure_boot=False), "q35", "", "x86_64",
     "no-firmware", "secure-boot=no"),
    # the loader may only guide autoselection
    ("firmware='efi'", "<loader secure='no'/>", "q35", "", "x86_64", "loader-autoselect",
     "'secure'"),
    ("firmware='efi'", "<loader readonly='yes'/>", "q35", "", "x86_64", "loader-autoselect",
     "'readonly'"),
    ("firmware='efi'", "<loader type='pflash'/>", "q35", "", "x86_64", "loader-autoselect",
     "'type'"),
    ("firmware='efi'", "<loader>/x/CODE.fd</loader>", "q35", "", "x86_64", "loader-autoselect",
     "path"),
    ("firmware='efi'", "<nvram template='/x/VARS.fd'/>", "q35", "", "x86_64",
     "loader-autoselect", "template"),
    ("firmware='efi'", "<loader secure='yes'/>", "pc", "", "x86_64", "secure-boot-machine",
     "q35"),
    ("firmware='efi'", feats(enrolled_keys=True, secure_boot=False), "q35", "", "x86_64",
     "firmware-features", "enrolled-keys"),
    # the chosen firmware needs SMM
    ("firmware='efi'", "", "q35", "<smm state='off'/>", "x86_64", "firmware-smm", ENROLLED),
    ("firmware='efi'", "<loader stateless='yes'/><nvram>/x/V.fd</nvram>", "q35", "", "x86_64",
     "nvram-stateless", "NVRAM is not"),
    # manual firmware
    ("", "<loader type='pflash' readonly='yes'>/x/CODE.fd</loader>" + feats(secure_boot=False),
     "pc", "", "x86_64", "firmware-features-manual", "autoselection is disabled"),
    ("", "<loader stateless='yes' readonly='yes' type='pflash'>/x/CODE.fd</loader>"
         "<nvram template='/x/VARS.fd'/>", "pc", "", "x86_64", "nvram-stateless", "template"),
    ("", "<loader stateless='no'>/x/bios.bin</loader>", "pc", "", "x86_64", "nvram-loader",
     "pflash"),
    ("", "<loader readonly='yes' secure='yes' type='pflash'>/x/CODE.fd</loader>", "q35", "",
     "x86_64", "secure-boot-smm", "smm"),
    ("", "<loader readonly='yes' secure='yes' type='pflash'>/x/CODE.fd</loader>", "pc",
     "<smm state='on'/>", "x86_64", "secure-boot-machine", "q35"),
])
def test_errors(os_attrs, body, machine, features, arch, code, words):
    _assert_error(xml(os_attrs, body, machine, features, arch), code, words)


def _assert_error(data: bytes, code: str, words: str, profile=None):
    with pytest.raises(DomcError) as exc:
        compile_(data, profile)
    d = exc.value.diagnostics[0]
    assert d.code == code, d.render()
    assert words in d.message
    assert d.span.file == "t.xml" and d.span.line > 0
    assert "\n" not in d.render()


def test_bad_names_fail_in_parse():
    _assert_error(xml("firmware='uefi'"), "bad-value", "bios, efi")
    _assert_error(xml(body="<firmware><feature enabled='yes' name='acpi-s3'/></firmware>"),
                  "bad-value", "enrolled-keys, secure-boot")


# --------------------------------------------------------------------------- other descriptors


def _profile_with(*extra: FirmwareDescriptor):
    p = load_profile()
    return evolve(p, firmware=tuple(sorted(p.firmware + extra, key=lambda f: f.file)))


X86 = (FirmwareTarget("x86_64", ("pc-i440fx-*", "pc-q35-*")),)
SEABIOS = FirmwareDescriptor(file="50-seabios.json", interface_types=("bios",), device="memory",
                             targets=X86, executable="/fw/bios-256k.bin")
STATELESS = FirmwareDescriptor(file="30-stateless.json", interface_types=("uefi",),
                               device="flash", targets=X86, features=("amd-sev",),
                               mode="stateless", executable="/fw/OVMF.sev.fd",
                               executable_format="raw")


def test_bios_without_descriptor_uses_qemus_builtin_and_warns():
    dom, env = compile_(xml("firmware='bios'"))
    assert dom.os.loader is None and dom.os.firmware_file is None
    assert [d.code for d in env.diag.warnings] == ["firmware-builtin-bios"]
    argv = emit_argv(dom, env)
    assert "-bios" not in argv and not any("pflash" in a for a in argv)


def test_bios_descriptor_is_a_rom():
    dom, env = compile_(xml("firmware='bios'", "<loader stateless='yes'/>"), _profile_with(SEABIOS))
    assert dom.os.firmware_file == "50-seabios.json" and dom.os.nvram is None
    argv = emit_argv(dom, env)
    assert argv[argv.index("-bios") + 1] == "/fw/bios-256k.bin"
    assert not any("pflash" in a for a in argv)


def test_stateless_loader_takes_a_stateless_descriptor():
    profile = _profile_with(STATELESS)
    dom, env = compile_(xml(body="<loader stateless='yes'/>"), profile)
    assert dom.os.firmware_file == "30-stateless.json" and dom.os.nvram is None
    argv = emit_argv(dom, env)
    assert "pflash1" not in " ".join(argv)
    assert "pflash0=libvirt-pflash0-format" in argv[argv.index("-machine") + 1]
    # ...and a stateful request skips it, although its file name sorts first
    dom, _ = compile_(xml(), profile)
    assert dom.os.firmware_file == ENROLLED


def test_empty_profile_lists_no_descriptors():
    _assert_error(xml(), "no-firmware", "descriptors in the profile: none",
                  evolve(load_profile(), firmware=()))


# --------------------------------------------------------------------------- emitted argv


def _argv(data: bytes) -> list[str]:
    dom, env = compile_(data)
    return emit_argv(dom, env)


def test_secure_boot_argv():
    argv = _argv(xml(body=feats(secure_boot=True)))
    machine = argv[argv.index("-machine") + 1].split(",")
    assert {"smm=on", "pflash0=libvirt-pflash0-format", "pflash1=libvirt-pflash1-format"} <= set(machine)
    assert "driver=cfi.pflash01,property=secure,value=on" in argv
    # libvirt's order: flash blockdevs before -machine, the secure global after -cpu
    flash = [i for i, a in enumerate(argv) if "libvirt-pflash" in a and a.startswith("{")]
    assert len(flash) == 4 and max(flash) < argv.index("-machine")
    assert argv.index("-cpu") < argv.index("driver=cfi.pflash01,property=secure,value=on")


def test_plain_efi_argv_has_no_smm_or_secure_flash():
    argv = _argv(xml(body=feats(secure_boot=False)))
    assert "smm=on" not in argv[argv.index("-machine") + 1]
    assert not any("cfi.pflash01" in a for a in argv)
    assert any(a.startswith('{"node-name":"libvirt-pflash0-format","read-only":true') for a in argv)


def test_manual_readonly_pflash_gets_the_default_nvram():
    argv = _argv(xml("", "<loader readonly='yes' type='pflash'>/x/CODE.fd</loader>", "pc"))
    assert any('"filename":"/var/lib/domc/nvram/fw_VARS.fd"' in a for a in argv)
    argv = _argv(xml("", "<loader type='pflash'>/x/bios.fd</loader>", "pc"))
    assert not any("pflash1" in a for a in argv)
    assert any('"node-name":"libvirt-pflash0-format","read-only":false' in a for a in argv)


# --------------------------------------------------------------------------- normalized XML


def _normalized(data: bytes) -> str:
    from compiler.emit.xml import write_normalized
    from compiler.parse import parse_bytes as parse

    dom, root = parse(data, "t.xml")
    return write_normalized(root, normalize(dom, make_env())).decode()


@pytest.mark.parametrize("features, smm", [
    ("<acpi/>", '<smm state="on"/>'),          # the firmware needs SMM: it is written down
    ("<acpi/><smm state='on' x='1'/>", '<smm state="on" x="1"/>'),  # the user's own is kept
])
def test_normalize_writes_the_smm_secure_boot_turned_on(features, smm):
    data = xml(body=feats(secure_boot=True)).replace(b"<features>\n<acpi/>\n\n</features>\n",
                                                      f"<features>{features}</features>\n".encode())
    out = _normalized(data)
    assert out.count("<smm") == 1 and smm in out
    assert out.index("<features>") < out.index("<smm") < out.index("</features>") < out.index("<devices")
    # and normalizing again changes nothing
    assert _normalized(out.encode()) == out


def test_uefi_needs_acpi():
    for body, machine in ((feats(secure_boot=False), "q35"),
                          ("<loader readonly='yes' type='pflash'>/x/CODE.fd</loader>", "pc")):
        os_attrs = "firmware='efi'" if machine == "q35" else ""
        data = xml(os_attrs, body, machine).replace(b"<acpi/>", b"")
        with pytest.raises(DomcError, match=r"error\[uefi-acpi\]: UEFI firmware requires ACPI"):
            compile_(data)


def test_normalize_adds_no_smm_where_the_argv_has_none():
    assert "smm" not in _normalized(xml(body=feats(secure_boot=False)))


# the variable store as libvirt 9.0 writes each <nvram> form (checked with the oracle)
CODE = "<loader readonly='yes' type='pflash'>/x/CODE.fd</loader>"


@pytest.mark.parametrize("nvram, store", [
    ("<nvram>/v/a_VARS.fd</nvram>", {"driver": "file", "filename": "/v/a_VARS.fd"}),
    ("<nvram type='file'><source file='/v/b_VARS.fd'/></nvram>",
     {"driver": "file", "filename": "/v/b_VARS.fd"}),
    ("<nvram type='block'><source dev='/dev/vg/vars'/></nvram>",
     {"driver": "host_device", "filename": "/dev/vg/vars"}),
    ("<nvram type='network'><source protocol='nbd' name='bar'><host name='example.org' "
     "port='6000'/></source></nvram>",
     {"driver": "nbd", "server": {"type": "inet", "host": "example.org", "port": "6000"},
      "export": "bar"}),
])
def test_every_nvram_form_becomes_pflash1(nvram, store):
    argv = _argv(xml("", CODE + nvram, "pc"))
    nodes = [json.loads(v) for o, v in zip(argv, argv[1:]) if o == "-blockdev"]
    (storage,) = [n for n in nodes if n["node-name"] == "libvirt-pflash1-storage"]
    assert storage == {**store, "node-name": "libvirt-pflash1-storage", "auto-read-only": True,
                       "discard": "unmap"}
    assert "pflash1=libvirt-pflash1-format" in argv[argv.index("-machine") + 1]


def test_a_network_nvram_with_credentials_reads_its_password_from_the_secrets_dir():
    """The iSCSI login of a network NVRAM store: the user in the node, the password in a
    secret object that names the secret's file (libvirt's ids), no warning."""
    nvram = ("<nvram type='network'><source protocol='iscsi' name='iqn.x:y/0'>"
             "<host name='example.com' port='3260'/><auth username='me'><secret type='iscsi' "
             "usage='s'/></auth></source></nvram>")
    dom, env = compile_(xml("", CODE + nvram, "pc"))
    assert env.diag.warnings == []
    argv = emit_argv(dom, env)
    objects = [json.loads(v) for o, v in zip(argv, argv[1:]) if o == "-object"]
    assert {"qom-type": "secret", "id": "libvirt-pflash1-storage-auth-secret0", "format": "raw",
            "file": "/var/lib/domc/secrets/iscsi-s"} in objects
    nodes = [json.loads(v) for o, v in zip(argv, argv[1:]) if o == "-blockdev"]
    (storage,) = [n for n in nodes if n["node-name"] == "libvirt-pflash1-storage"]
    assert (storage["user"], storage["password-secret"]) == (
        "me", "libvirt-pflash1-storage-auth-secret0")
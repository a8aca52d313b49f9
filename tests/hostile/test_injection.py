"""Hostile strings reach QEMU as exactly one value: commas doubled in QemuOpts, JSON
where JSON is used, and the shell form quotes every word.

HOSTILE x FIELDS cases: each hostile string is put into each field that reaches the
argv, and the test decodes the argv the way QEMU does and finds the string intact and
no extra key.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from xml.sax.saxutils import quoteattr, escape as xml_escape

import pytest

from .conftest import assert_clean_error, domain_xml, run_domc

HOSTILE = {
    "ssh-injection": "a.img,file.driver=ssh;rm -rf ~",
    "double-comma": "x,,y,",
    "command-subst": "$(touch /tmp/pwned)`id`",
    "quotes": "it's \"quoted\" \\ back",
    "spaces": " lead and trail ",
    "json-ish": '{"driver":"ssh"}',
    "equals": "key=value=more",
    "newline": "line1\nline2",
    "unicode": "caf\u00e9-\u2603-\U0001f600",
    "dash-option": "-readconfig /etc/passwd",
}


def qemuopts(value: str, implied: str | None = None) -> list[tuple[str | None, str]]:
    """QEMU's QemuOpts reader (util/qemu-option.c get_opt_value): ',,' is a literal
    comma, a single comma ends the value."""
    out, i, first = [], 0, True
    while i <= len(value):
        # get_opt_name_value: the first item takes the implied key unless an '=' comes
        # before the first comma
        cut = min([p for p in (value.find("=", i), value.find(",", i)) if p >= 0],
                  default=len(value))
        use_implied = first and implied is not None and (cut == len(value) or value[cut] == ",")
        j, buf = i, []
        while j < len(value):
            if value[j] == ",":
                if value[j + 1:j + 2] == ",":
                    buf.append(",")
                    j += 2
                    continue
                break
            buf.append(value[j])
            j += 1
        item = "".join(buf)
        if use_implied:
            out.append((implied, item))
        else:
            k, _, v = item.partition("=")
            out.append((k, v))
        first = False
        i = j + 1
    return out


def test_qemuopts_reader_itself():
    assert qemuopts("guest=a,,b,debug-threads=on") == [("guest", "a,b"), ("debug-threads", "on")]
    assert qemuopts("file,id=c,path=x,,y") == [("file", ""), ("id", "c"), ("path", "x,y")]
    assert qemuopts("a,,b=c,d=e", "vnc") == [("vnc", "a,b=c"), ("d", "e")]
    assert qemuopts("a=b,,c", "vnc") == [("a", "b,c")]


def _x(s: str) -> str:
    """An XML attribute value; newlines as character references so they survive."""
    return quoteattr(s, {"\n": "&#10;"})


def _t(s: str) -> str:
    return xml_escape(s).replace("\n", "&#10;")


def _compile(write, xml: str) -> list[str]:
    """In-process (fast); test_cli_shell_form_matches_argv covers the subprocess."""
    from compiler.api import compile_file, make_env
    from compiler.commands.compile import shell_lines

    path = write(xml)
    argv = list(compile_file(str(path), make_env()).argv)
    # the shell form is one word per argument, whatever the value holds
    # (a backslash-newline is a line continuation in sh; shlex does not know that)
    assert shlex.split(shell_lines(argv).replace("\\\n", " ")) == argv
    return argv


def test_cli_shell_form_matches_argv(write):
    path = write(_disk(HOSTILE["ssh-injection"]).replace("<devices>", "<devices>" +
                 _chardev_file(HOSTILE["command-subst"]).split("<devices>")[1].split(
                     "</devices>")[0]))
    shell = run_domc("compile", str(path))
    js = run_domc("compile", "--format", "json", str(path))
    assert shell.returncode == 0 and js.returncode == 0, shell.stderr
    argv = json.loads(js.stdout)["argv"]
    # let a real shell read it: the emulator word replaced by printf, one NUL per word
    text = shell.stdout.decode()
    first, rest = text.split(" \\\n", 1)
    assert first == shlex.quote(argv[0])
    words = subprocess.run(["bash", "-c", "printf '%s\\0' \\\n" + rest],
                           capture_output=True, check=True).stdout.decode().split("\0")[:-1]
    assert words == argv[1:]
    assert any(HOSTILE["ssh-injection"] in a for a in argv)


def _options(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]


def _json_objs(argv, flag):
    return [json.loads(v) for v in _options(argv, flag)]


def _one(items, **match):
    found = [o for o in items if all(o.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, items)
    return found[0]


# field name -> (XML builder, checker(argv, s))
def _disk(s):
    return domain_xml(f"<disk type='file' device='disk'><source file={_x(s)}/>"
                      f"<target dev='vda' bus='virtio'/></disk>")


def _check_disk(argv, s):
    node = _one(_json_objs(argv, "-blockdev"), driver="file", filename=s)
    assert set(node) == {"driver", "filename", "node-name", "auto-read-only", "discard"}


def _cdrom(s):
    return domain_xml(f"<disk type='file' device='cdrom'><source file={_x(s)}/>"
                      f"<target dev='hdc' bus='ide'/><readonly/></disk>")


def _name(s):
    return domain_xml(name=_t(s))


def _check_name(argv, s):
    assert qemuopts(_options(argv, "-name")[0]) == [("guest", s), ("debug-threads", "on")]


def _chardev_file(s):
    return domain_xml(f"<serial type='file'><source path={_x(s)}/><target port='0'/></serial>")


def _check_chardev_file(argv, s):
    assert qemuopts(_options(argv, "-chardev")[0]) == [("file", ""), ("id", "charserial0"),
                                                        ("path", s)]


def _chardev_unix(s):
    return domain_xml(f"<channel type='unix'><source mode='bind' path={_x(s)}/>"
                      f"<target type='virtio' name='org.qemu.guest_agent.0'/></channel>")


def _check_chardev_unix(argv, s):
    assert qemuopts(_options(argv, "-chardev")[0]) == [
        ("socket", ""), ("id", "charchannel0"), ("path", s), ("server", "on"), ("wait", "off")]


def _chardev_tcp(s):
    return domain_xml(f"<serial type='tcp'><source mode='connect' host={_x(s)} service={_x(s)}/>"
                      f"</serial>")


def _check_chardev_tcp(argv, s):
    assert qemuopts(_options(argv, "-chardev")[0]) == [
        ("socket", ""), ("id", "charserial0"), ("host", s), ("port", s)]


def _vnc_socket(s):
    return domain_xml(f"<graphics type='vnc' socket={_x(s)}/>")


def _check_vnc_socket(argv, s):
    assert qemuopts(_options(argv, "-vnc")[0], "vnc") == [("vnc", "unix:" + s),
                                                          ("audiodev", "audio1")]


def _vnc_listen(s):
    return domain_xml(f"<graphics type='vnc' port='5901' autoport='no' listen={_x(s)}/>")


def _check_vnc_listen(argv, s):
    opts = qemuopts(_options(argv, "-vnc")[0], "vnc")
    assert [k for k, _ in opts] == ["vnc", "audiodev"]
    host = s if ":" not in s else f"[{s}]"
    assert opts[0][1] == f"{host}:1"


def _spice_listen(s):
    return domain_xml(f"<graphics type='spice' port='5903' listen={_x(s)}/>")


def _check_spice_listen(argv, s):
    opts = dict(qemuopts(_options(argv, "-spice")[0]))
    assert opts["addr"] == s
    assert sorted(opts) == ["addr", "disable-ticketing", "port", "seamless-migration"]


def _kernel(s):
    return domain_xml().replace("<os><type arch='x86_64' machine='pc'>hvm</type></os>",
                                f"<os><type arch='x86_64' machine='pc'>hvm</type>"
                                f"<kernel>{_t(s)}</kernel><initrd>{_t(s)}</initrd>"
                                f"<cmdline>{_t(s)}</cmdline></os>")


def _check_kernel(argv, s):
    s = s.strip()  # element text is stripped (libvirt trims too)
    assert _options(argv, "-kernel") == [s]
    assert _options(argv, "-initrd") == [s]
    assert _options(argv, "-append") == [s]


def _bridge(s):
    return domain_xml(f"<interface type='bridge'><source bridge={_x(s)}/>"
                      f"<mac address='52:54:00:00:00:01'/></interface>")


def _check_bridge(argv, s):
    nd = _json_objs(argv, "-netdev")[0]
    assert nd == {"type": "bridge", "br": s, "id": "hostnet0"}


def _rng(s):
    return domain_xml(f"<rng model='virtio'><backend model='random'>{_t(s)}</backend></rng>")


def _check_rng(argv, s):
    obj = _one(_json_objs(argv, "-object"), **{"qom-type": "rng-random"})
    assert obj == {"qom-type": "rng-random", "id": "objrng0", "filename": s.strip()}


def _serial(s):
    return domain_xml(f"<disk type='file' device='disk'><source file='/x.img'/>"
                      f"<target dev='vda' bus='virtio'/><serial>{_t(s)}</serial></disk>")


def _check_serial(argv, s):
    dev = _one(_json_objs(argv, "-device"), driver="virtio-blk-pci")
    assert dev["serial"] == s.strip()


def _sysinfo(s):
    return domain_xml().replace(
        "<os><type arch='x86_64' machine='pc'>hvm</type></os>",
        f"<sysinfo type='smbios'><bios><entry name='vendor'>{_t(s)}</entry></bios>"
        f"<oemStrings><entry>{_t(s)}</entry></oemStrings></sysinfo>"
        f"<sysinfo type='fwcfg'><entry name={_x('opt/' + s)}>{_t(s)}</entry></sysinfo>"
        f"<os><type arch='x86_64' machine='pc'>hvm</type><smbios mode='sysinfo'/></os>")


def _check_sysinfo(argv, s):
    # entry text is not trimmed (libvirt keeps it as written)
    assert [qemuopts(v) for v in _options(argv, "-smbios")] == [
        [("type", "0"), ("vendor", s)], [("type", "11"), ("value", s)]]
    assert [qemuopts(v) for v in _options(argv, "-fw_cfg")] == [
        [("name", "opt/" + s), ("string", s)]]


FIELDS = {
    "disk-source": (_disk, _check_disk),
    "cdrom-source": (_cdrom, _check_disk),
    "domain-name": (_name, _check_name),
    "chardev-file": (_chardev_file, _check_chardev_file),
    "chardev-unix": (_chardev_unix, _check_chardev_unix),
    "chardev-tcp": (_chardev_tcp, _check_chardev_tcp),
    "vnc-socket": (_vnc_socket, _check_vnc_socket),
    "vnc-listen": (_vnc_listen, _check_vnc_listen),
    "spice-listen": (_spice_listen, _check_spice_listen),
    "kernel-initrd-cmdline": (_kernel, _check_kernel),
    "bridge": (_bridge, _check_bridge),
    "rng-path": (_rng, _check_rng),
    "disk-serial": (_serial, _check_serial),
    "sysinfo-smbios-fwcfg": (_sysinfo, _check_sysinfo),
}


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize("value", sorted(HOSTILE))
def test_hostile_value_is_one_value(field, value, write):
    build, check = FIELDS[field]
    s = HOSTILE[value]
    if field == "domain-name" and s != s.strip():
        pytest.skip("element text is trimmed")
    argv = _compile(write, build(s))
    check(argv, s)


# ----------------------------------------------------------- regression: refused values
REFUSED_VALUES = {
    # -cpu has no ',,' escape in QEMU: these used to inject 'kvm=off' / 'y=1'
    "cpu-model-comma": ("<cpu mode='custom'><model>qemu64,kvm=off</model></cpu>", "",
                        "bad-cpu-name"),
    "cpu-feature-comma": ("<cpu mode='custom'><model>qemu64</model>"
                          "<feature policy='require' name='x,y=1'/></cpu>", "", "bad-cpu-name"),
    "hyperv-vendor-comma": ("<features><hyperv><vendor_id state='on' value='ab,cd=1'/></hyperv>"
                            "</features>", "", "bad-hyperv-vendor-id"),
    # user aliases land in -chardev ids
    "user-alias-comma": ("", "<serial type='pty'><alias name='ua-x,path=/etc/shadow'/></serial>",
                         "bad-alias"),
    # used to be tracebacks
    "wwn-not-hex": ("", "<disk type='file' device='disk'><source file='/a'/>"
                    "<target dev='sda' bus='scsi'/><wwn>zz</wwn></disk>", "bad-wwn"),
    "isa-iobase-not-hex": ("", "<panic model='isa'><address type='isa' iobase='zz'/></panic>",
                           "bad-number"),
    "virtio-serial-address-not-int": ("", "<channel type='pty'><target type='virtio' name='a'/>"
                                      "<address type='virtio-serial' controller='x'/></channel>",
                                      "bad-number"),
    "virtio-serial-model-unknown": ("", "<controller type='virtio-serial' index='0' "
                                    "model='bogus'/>", "unsupported-controller"),
    # used to emit nothing for the controller: a silent lie
    "pci-model-unknown": ("", "<controller type='pci' index='1' model='bogus'/>",
                          "unsupported-controller"),
    # used to give the id 'virtio-diskNone'
    "virtio-target-not-a-disk-name": ("", "<disk type='file' device='disk'><source file='/a'/>"
                                      "<target dev='xyz' bus='virtio'/></disk>", "disk-target"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_VALUES))
def test_refused_value(case, write):
    top, devices, code = REFUSED_VALUES[case]
    xml = domain_xml(devices).replace("<devices>", top + "<devices>", 1)
    path = write(xml)
    assert_clean_error(run_domc("compile", str(path)), path, code)

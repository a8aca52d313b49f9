"""Graphics and audio: VNC and SPICE listen addresses, ports, TLS and options, the
-display of the other types, and the audio backends' settings (issue 10).

The expected values were read from libvirt 9.0's argv for the same domains
(../shared/tools/libvirt-oracle argv); where libvirt's domxml-to-native prints a dummy
port (5901/5902 for ports it would allocate at start) domc prints the first port of
libvirt's range, which the launcher replaces.  ``test_matches_libvirt`` repeats the
comparison against the live oracle when it answers.  The SPICE defaults are proven
on QEMU: a compiled default SPICE domain listens on 127.0.0.1 only."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys

import pytest

from compiler.api import compile_file, make_env
from compiler.commands._launch import choose_ports, free_port, launch_argv, port_is_free, \
    split_opts
from compiler.diagnostics import DomcError
from compiler.emit.shell import shell_launcher

from .conftest import ROOT
from .libvirt import NO_LIBVIRT, libvirt_answers
from .qemu import NO_QEMU, QEMU, ask_paused, bootable

ORACLE = ROOT.parent / "shared" / "tools" / "libvirt-oracle"


def domain(devices: str, name: str = "g") -> str:
    return (f"<domain type='kvm'><name>{name}</name><memory>1048576</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
            f"<emulator>/usr/bin/qemu-system-x86_64</emulator>{devices}</devices></domain>")


def compiled(tmp_path, devices: str, name: str = "g"):
    path = tmp_path / f"{name}.xml"
    path.write_text(domain(devices, name))
    return compile_file(str(path), make_env())


def graphics_opts(argv) -> list[str]:
    """-spice/-vnc/-display/-k (with their values) and -full-screen, in argv order."""
    out = []
    for i, a in enumerate(argv):
        if a in ("-spice", "-vnc", "-display", "-k"):
            out.append(f"{a} {argv[i + 1]}")
        elif a == "-full-screen":
            out.append(a)
    return out


# (graphics XML, what libvirt 9.0 writes; ports it allocates at start as 5900/5901)
CASES = [
    ("<graphics type='spice' autoport='yes'/>",
     ["-spice port=5900,addr=127.0.0.1,disable-ticketing=on,seamless-migration=on"]),
    # what virt-install writes for every SPICE guest
    ("<graphics type='spice' port='-1' tlsPort='-1' autoport='yes'><image compression='off'/>"
     "</graphics>",
     ["-spice port=5900,addr=127.0.0.1,disable-ticketing=on,image-compression=off,"
      "seamless-migration=on"]),
    ("<graphics type='spice'/>", ["-spice port=0,disable-ticketing=on,seamless-migration=on"]),
    ("<graphics type='spice' autoport='no'><listen type='address' address='127.0.0.1'/>"
     "</graphics>", ["-spice port=0,disable-ticketing=on,seamless-migration=on"]),
    ("<graphics type='spice' port='-1'/>",
     ["-spice port=5900,addr=127.0.0.1,disable-ticketing=on,seamless-migration=on"]),
    ("<graphics type='spice' port='5905'/>",
     ["-spice port=5905,addr=127.0.0.1,disable-ticketing=on,seamless-migration=on"]),
    ("<graphics type='spice' autoport='yes' listen='::'/>",
     ["-spice port=5900,addr=::,disable-ticketing=on,seamless-migration=on"]),
    ("<graphics type='spice' autoport='yes'><listen type='address' address='0.0.0.0'/>"
     "</graphics>",
     ["-spice port=5900,addr=0.0.0.0,disable-ticketing=on,seamless-migration=on"]),
    ("<graphics type='spice' autoport='yes'><listen type='none'/></graphics>",
     ["-spice port=0,disable-ticketing=on,seamless-migration=on"]),
    ("<graphics type='spice' port='5905'><listen type='socket' socket='/tmp/s.sock'/>"
     "</graphics>",
     ["-spice unix=on,addr=/tmp/s.sock,disable-ticketing=on,seamless-migration=on"]),
    ("<graphics type='spice' autoport='yes'><image compression='auto_glz'/><jpeg "
     "compression='never'/><zlib compression='always'/><playback compression='off'/>"
     "<streaming mode='all'/><clipboard copypaste='no'/><filetransfer enable='no'/>"
     "<mouse mode='client'/></graphics>",
     ["-spice port=5900,addr=127.0.0.1,agent-mouse=on,disable-ticketing=on,"
      "image-compression=auto_glz,jpeg-wan-compression=never,zlib-glz-wan-compression=always,"
      "playback-compression=off,streaming-video=all,disable-copy-paste=on,"
      "disable-agent-file-xfer=on,seamless-migration=on"]),
    ("<graphics type='spice' autoport='yes'><clipboard copypaste='yes'/><filetransfer "
     "enable='yes'/><mouse mode='server'/><streaming mode='off'/></graphics>",
     ["-spice port=5900,addr=127.0.0.1,agent-mouse=off,disable-ticketing=on,"
      "streaming-video=off,seamless-migration=on"]),
    ("<graphics type='spice' autoport='yes' defaultMode='insecure'><channel name='main' "
     "mode='insecure'/><channel name='inputs' mode='any'/></graphics>",
     ["-spice port=5900,addr=127.0.0.1,disable-ticketing=on,plaintext-channel=default,"
      "plaintext-channel=main,seamless-migration=on"]),
    ("<graphics type='spice' port='5905'><channel name='main' mode='insecure'/></graphics>",
     ["-spice port=5905,addr=127.0.0.1,disable-ticketing=on,plaintext-channel=main,"
      "seamless-migration=on"]),
    # TLS where the XML asks for it (libvirt's default certificate directory)
    ("<graphics type='spice' autoport='yes'><channel name='main' mode='secure'/></graphics>",
     ["-spice port=5900,tls-port=5901,addr=127.0.0.1,disable-ticketing=on,"
      "x509-dir=/etc/pki/qemu,tls-channel=main,seamless-migration=on"]),
    ("<graphics type='spice' autoport='yes' defaultMode='secure'/>",
     ["-spice tls-port=5900,addr=127.0.0.1,disable-ticketing=on,x509-dir=/etc/pki/qemu,"
      "tls-channel=default,seamless-migration=on"]),
    ("<graphics type='spice' autoport='yes'><gl enable='yes' rendernode='/dev/dri/renderD128'/>"
     "</graphics>",
     ["-spice port=5900,addr=127.0.0.1,disable-ticketing=on,gl=on,"
      "rendernode=/dev/dri/renderD128,seamless-migration=on"]),
    ("<graphics type='spice' autoport='yes' passwd='abc' keymap='de'/>",
     ["-spice port=5900,addr=127.0.0.1,seamless-migration=on", "-k de"]),
    # VNC: QEMU searches the display itself (to=99), libvirt allocates it
    ("<graphics type='vnc'/>", ["-vnc 127.0.0.1:0,to=99,audiodev=audio1"]),
    ("<graphics type='vnc' port='5907'/>", ["-vnc 127.0.0.1:7,audiodev=audio1"]),
    ("<graphics type='vnc' port='5907' websocket='5701' sharePolicy='ignore' passwd='x' "
     "powerControl='yes' keymap='de'/>",
     ["-vnc 127.0.0.1:7,websocket=5701,share=ignore,password=on,power-control=on,"
      "audiodev=audio1", "-k de"]),
    ("<graphics type='vnc' port='5907'><listen type='none'/></graphics>",
     ["-vnc none,audiodev=audio1"]),
    ("<graphics type='vnc' autoport='no' port='5907'><listen type='socket' "
     "socket='/tmp/v.sock'/></graphics>", ["-vnc vnc=unix:/tmp/v.sock,audiodev=audio1"]),
    ("<graphics type='vnc' port='5907' listen='0.0.0.0'><listen type='address' "
     "address='0.0.0.0'/></graphics>", ["-vnc 0.0.0.0:7,audiodev=audio1"]),
    ("<graphics type='sdl' display=':0' xauth='/root/.Xauthority' fullscreen='yes'><gl "
     "enable='yes'/></graphics>", ["-full-screen", "-display sdl,gl=on"]),
    ("<graphics type='egl-headless'><gl rendernode='/dev/dri/renderD129'/></graphics>"
     "<graphics type='vnc' port='5907'/>",
     ["-display egl-headless,rendernode=/dev/dri/renderD129",
      "-vnc 127.0.0.1:7,audiodev=audio1"]),
]


@pytest.mark.parametrize("xml, want", CASES)
def test_graphics_options(tmp_path, xml, want):
    result = compiled(tmp_path, xml)
    assert graphics_opts(result.argv) == want
    assert not [w for w in result.warnings if "warning[ignored]" in w]


def test_default_spice_listens_on_localhost_only(tmp_path):
    """No listen address: 127.0.0.1, never every interface."""
    for xml in ("<graphics type='spice' autoport='yes'/>", "<graphics type='spice' port='5905'/>",
                "<graphics type='vnc'/>", "<graphics type='vnc' port='5905'/>"):
        argv = compiled(tmp_path, xml).argv
        value = argv[argv.index("-spice" if "spice" in xml else "-vnc") + 1]
        assert "127.0.0.1" in value, (xml, value)


def test_sdl_environment(tmp_path):
    result = compiled(tmp_path, "<graphics type='sdl' display=':0' xauth='/x/.Xauthority'/>"
                                "<audio id='1' type='sdl' driver='alsa'/>")
    assert result.env == (("SDL_AUDIODRIVER", "alsa"), ("XAUTHORITY", "/x/.Xauthority"),
                          ("DISPLAY", ":0"))


@pytest.mark.parametrize("xml, code", [
    ("<graphics type='vnc' port='5800'/>", "graphics-port"),
    ("<graphics type='vnc' autoport='no'/>", "graphics-port"),
    ("<graphics type='spice' port='5905' autoport='no'><channel name='main' mode='secure'/>"
     "</graphics>", "spice-tls"),
    ("<graphics type='spice' autoport='yes'><listen type='address' address='127.0.0.1'/>"
     "<listen type='address' address='0.0.0.0'/></graphics>", "unsupported-graphics"),
    ("<graphics type='spice' port='5905' listen='0.0.0.0'><listen type='address' "
     "address='127.0.0.1'/></graphics>", "unsupported-graphics"),
    ("<graphics type='spice' autoport='yes'><listen type='network' network='default'/>"
     "</graphics>", "unsupported-graphics"),
    ("<graphics type='spice' port='5905'><channel name='bogus' mode='insecure'/></graphics>",
     "bad-value"),
    ("<graphics type='spice' port='5905'><image compression='bogus'/></graphics>", "bad-value"),
    ("<graphics type='spice' autoport='yes'/><graphics type='spice' autoport='yes'/>",
     "unsupported-graphics"),
    ("<graphics type='vnc' port='5907'><audio id='2'/></graphics>", "audio-ref"),
])
def test_graphics_refused(tmp_path, xml, code):
    with pytest.raises(DomcError) as exc:
        compiled(tmp_path, xml)
    assert f"error[{code}]" in str(exc.value)


def test_password_is_not_set_and_says_so(tmp_path):
    result = compiled(tmp_path, "<graphics type='vnc' autoport='yes' passwd='x' "
                                "passwdValidTo='2030-01-01T00:00:00' connected='keep'/>")
    [w] = [w for w in result.warnings if "graphics-password" in w]
    assert "2030-01-01T00:00:00" in w and "'x'" not in w
    assert not any("x" == a for a in result.argv)


def test_automatic_sockets_are_named_after_the_domain(tmp_path):
    argv = compiled(tmp_path, "<graphics type='vnc'><listen type='socket'/></graphics>"
                              "<graphics type='spice'><listen type='socket'/></graphics>",
                    name="web-1").argv
    assert graphics_opts(argv) == [
        "-vnc vnc=unix:/run/domc/graphics/web-1/vnc.sock,audiodev=audio1",
        "-spice unix=on,addr=/run/domc/graphics/web-1/spice.sock,disable-ticketing=on,"
        "seamless-migration=on"]


# ------------------------------------------------------------------ audio
AUDIO_CASES = [
    ("<audio id='1' type='oss' timerPeriod='50' tryMMap='yes' exclusive='yes' dspPolicy='3'>"
     "<input mixingEngine='yes' fixedSettings='yes' voices='1' bufferLength='100' "
     "dev='/dev/dsp0' bufferCount='50' tryPoll='yes'><settings frequency='44100' channels='2' "
     "format='s16'/></input><output voices='2' dev='/dev/dsp1' tryPoll='no'/></audio>",
     {"id": "audio1", "driver": "oss", "timer-period": 50, "try-mmap": True, "exclusive": True,
      "dsp-policy": 3,
      "in": {"mixing-engine": True, "fixed-settings": True, "voices": 1, "buffer-length": 100,
             "frequency": 44100, "channels": 2, "format": "s16", "dev": "/dev/dsp0",
             "buffer-count": 50, "try-poll": True},
      "out": {"voices": 2, "dev": "/dev/dsp1", "try-poll": False}}),
    ("<audio id='1' type='pulseaudio' serverName='acme.example.org'><input name='fish' "
     "streamName='food' latency='100'/></audio>",
     {"id": "audio1", "driver": "pa", "server": "acme.example.org",
      "in": {"name": "fish", "stream-name": "food", "latency": 100}}),
    ("<audio id='1' type='jack'><input serverName='fish' clientName='food' "
     "connectPorts='yum' exactName='yes'/></audio>",
     {"id": "audio1", "driver": "jack", "in": {"server-name": "fish", "client-name": "food",
                                               "connect-ports": "yum", "exact-name": True}}),
    ("<audio id='1' type='coreaudio'><output bufferCount='42'/></audio>",
     {"id": "audio1", "driver": "coreaudio", "out": {"buffer-count": 42}}),
    ("<audio id='1' type='file' path='audio.wav'/>",
     {"id": "audio1", "driver": "wav", "path": "audio.wav"}),
    ("<audio id='1' type='alsa'><input dev='hw:0'/><output dev='hw:1'/></audio>",
     {"id": "audio1", "driver": "alsa", "in": {"dev": "hw:0"}, "out": {"dev": "hw:1"}}),
]


@pytest.mark.parametrize("xml, want", AUDIO_CASES)
def test_audio_settings(tmp_path, xml, want):
    result = compiled(tmp_path, xml)
    [value] = [v for o, v in zip(result.argv, result.argv[1:]) if o == "-audiodev"]
    assert json.loads(value) == want
    assert list(json.loads(value)) == list(want)  # libvirt's key order
    assert not result.warnings


def test_devices_play_through_the_backend_they_name(tmp_path):
    """audio-many-backends: a card or VNC without <audio id> takes the first backend."""
    argv = compiled(tmp_path, "<graphics type='vnc' port='5907'><audio id='2'/></graphics>"
                              "<sound model='ac97'/><sound model='ich6'><audio id='2'/></sound>"
                              "<sound model='pcspk'><audio id='3'/></sound>"
                              "<audio id='3' type='none'/><audio id='2' type='alsa'/>").argv
    devices = [json.loads(v) for o, v in zip(argv, argv[1:]) if o == "-device"]
    by_id = {d["id"]: d.get("audiodev") for d in devices if "id" in d}
    assert by_id["sound0"] == "audio3" and by_id["sound1-codec0"] == "audio2"
    assert "audiodev=audio2" in argv[argv.index("-vnc") + 1]
    assert "pcspk-audiodev=audio3" in argv[argv.index("-machine") + 1]


# ------------------------------------------------------------------ the live oracle
def _mask_ports(opts: list[str]) -> list[str]:
    return [re.sub(r"(port|tls-port)=59\d\d", r"\1=N", o) for o in opts]


@pytest.mark.parametrize("xml, want", CASES[:18])
def test_matches_libvirt(tmp_path, xml, want):
    """The same comparison against libvirt itself, ports masked (domxml-to-native
    prints dummies for the ports it would allocate), and the unix= spelling and
    QEMU's own VNC display search apart."""
    if not libvirt_answers() or not ORACLE.exists():
        pytest.skip(NO_LIBVIRT)
    path = tmp_path / "g.xml"
    path.write_text(domain(xml))
    out = subprocess.run([str(ORACLE), "argv", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    sys.path.insert(0, str(ORACLE.parent))
    import parity
    theirs = _mask_ports(graphics_opts(parity.split_cmdline(out.stdout)))
    ours = _mask_ports(graphics_opts(compile_file(str(path), make_env()).argv))
    assert [o.replace("unix=on,", "unix,") for o in ours] == theirs


# ------------------------------------------------------------------ ports at start
def test_port_search_skips_a_port_in_use():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        assert not port_is_free(busy)
        assert free_port(busy, busy + 50) != busy
        assert free_port(busy, busy + 50, {busy + 1}) not in (busy, busy + 1)


def test_launch_replaces_the_placeholders(tmp_path):
    result = compiled(tmp_path, "<graphics type='spice' autoport='yes'>"
                                "<channel name='main' mode='secure'/></graphics>"
                                "<graphics type='vnc' websocket='-1'/>")
    assert [(a.option, a.key, a.placeholder) for a in result.autoports] == [
        ("-spice", "port", 5900), ("-spice", "tls-port", 5901), ("-vnc", "websocket", 5700)]
    argv = launch_argv(result.argv, (("A", "1"),), result.autoports)
    assert argv[:2] == ["env", "A=1"]
    spice = dict(p.split("=", 1) for p in split_opts(argv[argv.index("-spice") + 1])
                 if "=" in p)
    assert int(spice["port"]) != int(spice["tls-port"])
    assert port_is_free(int(spice["port"])) and port_is_free(int(spice["tls-port"]))
    # an explicit port of the same server is never chosen for the other
    fixed = compiled(tmp_path, "<graphics type='spice' port='5900' tlsPort='-1'/>")
    [ap] = fixed.autoports
    assert ap.avoid == (5900,)
    chosen = launch_argv(fixed.argv, (), fixed.autoports)
    assert "port=5900,tls-port=5900" not in chosen[chosen.index("-spice") + 1]
    assert split_opts("unix=on,addr=/a,,port=5900,port=5900") == \
        ["unix=on", "addr=/a,,port=5900", "port=5900"]


def test_shell_launcher_chooses_the_ports(tmp_path):
    """The --format shell launcher runs its own search: a fake emulator prints what it
    was started with."""
    fake = tmp_path / "qemu"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    fake.chmod(0o755)
    path = tmp_path / "g.xml"
    path.write_text(domain("<graphics type='spice' autoport='yes' defaultMode='secure'>"
                           "<channel name='main' mode='insecure'/></graphics>")
                    .replace("/usr/bin/qemu-system-x86_64", str(fake)))
    result = compile_file(str(path), make_env())
    script = tmp_path / "run.sh"
    script.write_text(shell_launcher(list(result.argv), result.plan, result.env,
                                     result.autoports))
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", 5900))
            s.listen()
        except OSError:
            pass  # something already listens on 5900: the search must skip it all the same
        out = subprocess.run(["sh", str(script)], capture_output=True, text=True, check=True)
    args = out.stdout.splitlines()
    spice = dict(p.split("=", 1) for p in args[args.index("-spice") + 1].split(","))
    assert spice["port"] != "5900" and spice["tls-port"] != "5900"
    assert spice["port"] != spice["tls-port"]
    assert spice["addr"] == "127.0.0.1"


# ------------------------------------------------------------------ on QEMU
@pytest.mark.skipif(QEMU is None, reason=NO_QEMU)
def test_default_spice_domain_listens_on_localhost_on_qemu(tmp_path):
    """virt-install's SPICE graphics, compiled with its defaults and started the way
    the launchers start it: QEMU's SPICE server is bound to 127.0.0.1, on the port
    the launcher chose."""
    result = compiled(tmp_path, "<graphics type='spice' port='-1' tlsPort='-1' autoport='yes'>"
                                "<image compression='off'/></graphics>"
                                "<video><model type='qxl'/></video>")
    argv = choose_ports(list(result.argv), result.autoports)
    port = int(dict(p.split("=", 1) for p in argv[argv.index("-spice") + 1].split(","))["port"])
    run, _ = bootable(argv, tmp_path)

    async def ask(qmp):
        return await qmp.execute("query-spice")

    info = ask_paused(run, ask)
    assert info["enabled"] and info["host"] == "127.0.0.1" and info["port"] == port
    assert "tls-port" not in info and info["auth"] == "none"

"""The settings of an <audio> backend: its -audiodev JSON beyond id and driver.

libvirt 9.0 (qemuBuildAudioCommandLineArg): ``timerPeriod`` and the backend's own
attributes at the top, the <input> and <output> directions as QEMU's ``in`` and
``out`` objects (common settings first, then the backend's own).  The SDL
backend's ``driver`` is not an audiodev property: libvirt hands it to QEMU in the
SDL_AUDIODRIVER environment variable.
"""

from __future__ import annotations

from ..xmlread import Reader

# (XML attribute, QEMU key, reader) -- reader: "bool", "int" or "str"
_COMMON = (("mixingEngine", "mixing-engine", "bool"), ("fixedSettings", "fixed-settings", "bool"),
           ("voices", "voices", "int"), ("bufferLength", "buffer-length", "int"))
_SETTINGS = (("frequency", "frequency", "int"), ("channels", "channels", "int"),
             ("format", "format", ("s8", "u8", "s16", "u16", "s32", "u32", "f32")))
# per backend: the attributes of <input>/<output>, and of <audio> itself
DIRECTION = {
    "alsa": (("dev", "dev", "str"),),
    "coreaudio": (("bufferCount", "buffer-count", "int"),),
    "jack": (("serverName", "server-name", "str"), ("clientName", "client-name", "str"),
             ("connectPorts", "connect-ports", "str"), ("exactName", "exact-name", "bool")),
    "oss": (("dev", "dev", "str"), ("bufferCount", "buffer-count", "int"),
            ("tryPoll", "try-poll", "bool")),
    "pulseaudio": (("name", "name", "str"), ("streamName", "stream-name", "str"),
                   ("latency", "latency", "int")),
    "pipewire": (("name", "name", "str"), ("streamName", "stream-name", "str"),
                 ("latency", "latency", "int")),
    "sdl": (("bufferCount", "buffer-count", "int"),),
}
TOP = {
    "file": (("path", "path", "str"),),
    "oss": (("tryMMap", "try-mmap", "bool"), ("exclusive", "exclusive", "bool"),
            ("dspPolicy", "dsp-policy", "int")),
    "pulseaudio": (("serverName", "server", "str"),),
    "pipewire": (("runtimeDir", "runtime-dir", "str"),),
}
SDL_DRIVERS = ("esd", "alsa", "arts", "pulseaudio")


def _read(r: Reader, table) -> tuple[tuple[str, object], ...]:
    out = []
    for attr, key, how in table:
        if how == "bool":
            v = r.attr_bool(attr)
        elif how == "int":
            v = r.attr_int(attr, hi=2**32 - 1)
        elif how == "str":
            v = r.attr(attr)
        else:
            v = r.attr_choice(attr, how)
        if v is not None:
            out.append((key, v))
    return tuple(out)


def read_direction(r: Reader | None, backend: str) -> tuple[tuple[str, object], ...]:
    """<input> or <output> of an <audio>: QEMU's in/out properties, in libvirt's order."""
    if r is None:
        return ()
    settings = r.child("settings")
    return (_read(r, _COMMON) + (_read(settings, _SETTINGS) if settings is not None else ())
            + _read(r, DIRECTION.get(backend, ())))


def read_top(r: Reader, backend: str) -> tuple[tuple[str, object], ...]:
    """timer-period and the backend's own <audio> attributes."""
    period = r.attr_int("timerPeriod", hi=2**32 - 1)
    return ((("timer-period", period),) if period is not None else ()) + \
        _read(r, TOP.get(backend, ()))


def read_sdl_driver(r: Reader, backend: str) -> str | None:
    return r.attr_choice("driver", SDL_DRIVERS) if backend == "sdl" else None


def first_audio_id(devices) -> int:
    """The backend a sound card or VNC without <audio id=.../> uses: the first
    <audio> (libvirt's audios[0]), else the default backend audio1."""
    return next((d.id for d in devices if d.kind_tag == "audio"), 1)


def check_audio_ref(audio_id: int | None, what: str, devices, span, diag) -> None:
    """<audio id=N/> inside a device names one of the domain's <audio> backends."""
    if audio_id is not None and not any(d.kind_tag == "audio" and d.id == audio_id
                                        for d in devices):
        diag.error("audio-ref", f"<audio id='{audio_id}'/> of the {what} names no <audio> "
                   "backend", span)

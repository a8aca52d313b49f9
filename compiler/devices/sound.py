"""<sound model=...>: sound cards (the HDA ones with their codecs), all fed by the
audio backend their <audio id=N/> names (else the first); pcspk is a -machine property."""

from __future__ import annotations

from ..record import evolve, frozen

from ..model import Device, MachineFamily, PciAddr
from ..xmlread import Reader
from .audiodev import check_audio_ref, first_audio_id
from .base import DeviceKind, EmitCtx, FixedSlot, PciConnect, PciGroup, UsbOrder, device_arg, \
    pci_props, read_common, usb_props


SOUND_DRIVERS = {"es1370": "ES1370", "ac97": "AC97", "ich6": "intel-hda", "ich9": "ich9-intel-hda",
                 "sb16": "sb16", "usb": "usb-audio", "ich7": "intel-hda"}
CODEC_DRIVERS = {"duplex": "hda-duplex", "micro": "hda-micro", "output": "hda-output"}


@frozen(kw_only=True)
class Sound(Device):
    tag = "sound"
    model: str
    codecs: tuple[str, ...] = ()
    audio_id: int | None = None  # <audio id=N/>: its backend (filled in: the first one)


def from_xml(r: Reader) -> Sound:
    model = r.attr_choice("model", tuple(SOUND_DRIVERS) + ("pcspk",))
    if model is None:
        raise r.error("missing-attribute", "<sound> needs the attribute 'model' (one of: "
                      f"{', '.join(sorted(SOUND_DRIVERS))}, pcspk)")
    codecs = tuple(c.attr_choice("type", tuple(CODEC_DRIVERS), "duplex") for c in r.children("codec"))
    audio = r.child("audio")
    return Sound(model=model, codecs=codecs,
                 audio_id=audio.attr_int("id", lo=1) if audio is not None else None,
                 **read_common(r))


def validate(s: Sound, dom, diag) -> None:
    check_audio_ref(s.audio_id, f"sound {s.model}", dom.devices, s.span, diag)


def implicit(devices: tuple, dom, family: MachineFamily) -> tuple:
    """A sound card without <audio id=.../> plays through the first backend."""
    first = first_audio_id(devices)
    return tuple(evolve(d, audio_id=first) if isinstance(d, Sound) and d.audio_id is None
                 else d for d in devices)


def emit(s: Sound, ctx: EmitCtx) -> list[str]:
    if s.model == "pcspk":
        return []  # machine property, see emit.argv
    props = {"id": s.alias}
    if s.model not in ("ich6", "ich9", "ich7"):
        props["audiodev"] = f"audio{s.audio_id or 1}"  # libvirt: before the address
    props.update(pci_props(s, ctx))
    props.update(usb_props(s, ctx))
    argv = device_arg(SOUND_DRIVERS[s.model], props)
    if s.model in ("ich6", "ich9", "ich7"):
        for n, codec in enumerate(s.codecs or ("duplex",)):
            argv += device_arg(CODEC_DRIVERS[codec], {"id": f"{s.alias}-codec{n}",
                                                      "bus": f"{s.alias}.0", "cad": n,
                                                      "audiodev": f"audio{s.audio_id or 1}"})
    return argv


# the ICH9's own HDA controller, on q35
ICH9_SOUND = PciAddr(0, 0, 0x1B, 0)


def fixed_slot(s: Sound, nth: int, family: MachineFamily) -> FixedSlot | None:
    return FixedSlot((ICH9_SOUND,)) if family is MachineFamily.Q35 and s.model == "ich9" else None


KIND = DeviceKind(tag="sound", cls=Sound, from_xml=from_xml, emit=emit,
                  wants_pci=lambda s, dom: s.model not in ("sb16", "pcspk", "usb"),
                  wants_usb=lambda s, dom: s.model == "usb", usb_order=UsbOrder.SOUND,
                  pci_group=lambda d: PciGroup.SOUND, alias=lambda s, n, dom: f"sound{n}",
                  pci_connect=lambda s: PciConnect.PCI, fixed_slot=fixed_slot,
                  validate=validate, implicit=implicit,
                  # the PC speaker is the machine's own, fed by the audio backend
                  machine_opts=lambda s: (f"pcspk-audiodev=audio{s.audio_id or 1}",)
                  if s.model == "pcspk" else ())

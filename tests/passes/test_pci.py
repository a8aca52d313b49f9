"""PCI slot assignment on i440fx: table-driven."""

from __future__ import annotations

import pytest

from compiler.diagnostics import DomcError
from compiler.model import PciAddr

from ._domains import disk, normalized


def nic(model: str = "e1000", slot: int | None = None) -> str:
    addr = f"<address type='pci' domain='0' bus='0' slot='{slot}' function='0'/>" \
        if slot is not None else ""
    return f"<interface type='user'><model type='{model}'/>{addr}</interface>"


def slots(dom) -> dict[str, tuple[int, int]]:
    return {d.alias: (d.address.slot, d.address.function) for d in dom.devices
            if isinstance(d.address, PciAddr)}


def test_chipset_functions_video_and_order():
    dom = normalized(disk("hda", "ide") + disk("vda", "virtio") + nic() + "<graphics type='vnc'/>"
                     "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>")
    assert slots(dom) == {
        "ide": (1, 1), "usb": (1, 2),  # PIIX3 functions
        "video0": (2, 0),              # primary video
        "net0": (3, 0),                # NICs come before disks ...
        "virtio-disk0": (4, 0),        # ... disks before the balloon ...
        "balloon0": (5, 0),            # ... and the balloon before the RNG
        "rng0": (6, 0),
    }


def test_user_address_is_kept_and_skipped():
    dom = normalized(nic(slot=3) + disk("vda", "virtio"))
    assert slots(dom)["net0"] == (3, 0)
    assert slots(dom)["virtio-disk0"] == (2, 0)   # no video: slot 2 is free
    assert slots(dom)["balloon0"] == (4, 0)


def test_video_moves_when_slot_2_is_taken():
    dom = normalized(nic(slot=2) + "<video><model type='vga'/></video>")
    assert slots(dom)["video0"] == (3, 0)


def test_slot_exhaustion_is_an_error():
    nics = "".join(nic() for _ in range(30))  # slots 2..31 hold 30 devices; the balloon has none
    with pytest.raises(DomcError) as exc:
        normalized(nics)
    assert [d.code for d in exc.value.diagnostics] == ["pci-slots-exhausted"]
    assert "memballoon" in exc.value.diagnostics[0].message


@pytest.mark.parametrize("devices, code, names", [
    (nic(slot=5) + nic("rtl8139", slot=5), "pci-address-conflict", ("interface",)),
    (nic(slot=5) + disk("vda", "virtio", "<address type='pci' slot='5'/>"),
     "pci-address-conflict", ("disk 'vda'", "interface")),
    (nic(slot=1), "pci-address-reserved", ("PIIX3",)),
    (nic(slot=0), "pci-address-reserved", ()),
    (nic().replace("</interface>", "<address type='pci' bus='3' slot='4'/></interface>"),
     "pci-address-range", ("bus 3",)),
    ("<controller type='ide' index='0'><address type='pci' slot='4'/></controller>",
     "pci-address-reserved", ("built into the chipset",)),
    ("<input type='mouse' bus='ps2'><address type='pci' slot='4'/></input>", "address-type",
     ("not a PCI device",)),
])
def test_conflicts(devices, code, names):
    with pytest.raises(DomcError) as exc:
        normalized(devices)
    (diag,) = [d for d in exc.value.diagnostics if d.code == code]
    for n in names:
        assert n in diag.message
    assert diag.span.line > 0


@pytest.mark.parametrize("attrs", ["slot='0x20'", "function='8'", "bus='256'"])
def test_out_of_range_numbers_name_the_limit(attrs):
    with pytest.raises(DomcError) as exc:
        normalized(f"<interface type='user'><address type='pci' {attrs}/></interface>")
    assert exc.value.diagnostics[0].code == "number-range"
    assert "maximum" in exc.value.diagnostics[0].message


def test_function_beside_a_single_function_device_is_refused():
    with pytest.raises(DomcError) as exc:
        normalized(nic().replace("</interface>", "<address type='pci' slot='5' function='0' "
                                 "multifunction='off'/></interface>")
                   + nic().replace("</interface>", "<address type='pci' slot='5' "
                                   "function='1'/></interface>"))
    assert [d.code for d in exc.value.diagnostics] == ["pci-multifunction"]

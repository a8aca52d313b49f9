"""vsock, iommu, smartcard, tpm, redirdev, genid: snippet -> device dict, bad -> located error."""

import pytest

from .helpers import compile_snippet, devices_of, assert_error_at, options

Q35 = {"machine": "q35"}
ACPI = "  <features><acpi/></features>\n"

GOOD = [
    ("vsock", "<vsock model='virtio'><cid auto='no' address='4'/></vsock>", {},
     {"driver": "vhost-vsock-pci", "id": "vsock0", "guest-cid": 4, "bus": "pci.0",
      "addr": "0x3"}),  # after the implicit balloon, as libvirt assigns
    ("intel-iommu", "<iommu model='intel'><driver intremap='on' iotlb='on'/></iommu>", Q35,
     {"driver": "intel-iommu", "id": "iommu0", "intremap": "on", "device-iotlb": True}),
    ("virtio-iommu", "<iommu model='virtio'/>", {**Q35, "extra": ACPI},
     {"driver": "virtio-iommu", "id": "iommu0", "bus": "pcie.0"}),
    ("smartcard-host", "<smartcard mode='host'/>", {},
     {"driver": "ccid-card-emulated", "backend": "nss-emulated", "id": "smartcard0",
      "bus": "ccid0.0"}),
    ("smartcard-certs", "<smartcard mode='host-certificates'><certificate>a,b</certificate>"
     "<certificate>c</certificate><certificate>d</certificate></smartcard>", {},
     {"driver": "ccid-card-emulated", "backend": "certificates", "cert1": "a,b", "cert2": "c",
      "cert3": "d", "db": "/etc/pki/nssdb", "id": "smartcard0", "bus": "ccid0.0"}),
    ("tpm-crb", "<tpm model='tpm-crb'><backend type='passthrough'><device path='/dev/tpm0'/>"
     "</backend></tpm>", {}, {"driver": "tpm-crb", "tpmdev": "tpm-tpm0", "id": "tpm0"}),
    ("redirdev", "<redirdev bus='usb' type='unix'><source mode='connect' path='/tmp/s'/>"
     "</redirdev>", {},
     {"driver": "usb-redir", "chardev": "charredir0", "id": "redir0", "bus": "usb.0",
      "port": "1"}),
]


@pytest.mark.parametrize("snippet,kw,expected", [g[1:] for g in GOOD], ids=[g[0] for g in GOOD])
def test_emit(tmp_path, snippet, kw, expected):
    got = devices_of(compile_snippet(tmp_path, snippet, **kw), expected["driver"])
    assert len(got) == 1
    if expected["driver"] == "virtio-iommu":
        got[0].pop("addr")
    assert got == [expected]


def test_smartcard_brings_usb_ccid(tmp_path):
    argv = compile_snippet(tmp_path, "<smartcard mode='host'/>")
    assert devices_of(argv, "usb-ccid") == [
        {"driver": "usb-ccid", "id": "ccid0", "bus": "usb.0", "port": "1"}]


def test_every_ccid_controller_is_a_usb_ccid(tmp_path):
    """A CCID controller is a reader of its own, card or not; the smartcard's implicit
    controller 0 comes after the written ones, so they take USB ports first (libvirt:
    controllers in list order, then the USB input devices)."""
    argv = compile_snippet(tmp_path, "<input type='tablet' bus='usb'/><smartcard mode='host'/>"
                           "<controller type='ccid' index='2'/><controller type='ccid' index='1'/>"
                           "<controller type='usb' index='0' model='ich9-ehci1'/>")
    assert devices_of(argv, "usb-ccid") == [
        {"driver": "usb-ccid", "id": f"ccid{i}", "bus": "usb.0", "port": port}
        for i, port in ((0, "3"), (1, "1"), (2, "2"))]
    assert devices_of(argv, "usb-tablet")[0]["port"] == "4"
    assert devices_of(argv, "ccid-card-emulated")[0]["bus"] == "ccid0.0"


def test_ccid_controller_alias_and_address_are_the_cards_bus(tmp_path):
    argv = compile_snippet(tmp_path, "<controller type='ccid' index='0'><alias name='ua-r'/>"
                           "<address type='usb' bus='0' port='2'/></controller>"
                           "<smartcard mode='host'/>")
    assert devices_of(argv, "usb-ccid") == [
        {"driver": "usb-ccid", "id": "ua-r", "bus": "usb.0", "port": "2"}]
    assert devices_of(argv, "ccid-card-emulated")[0]["bus"] == "ua-r.0"


@pytest.mark.parametrize("vsock, cid, auto", [
    ("<vsock model='virtio'/>", 3, True),  # no <cid>: libvirt chooses one
    ("<vsock model='virtio'><cid/></vsock>", 3, True),
    ("<vsock model='virtio'><cid auto='yes'/></vsock>", 3, True),
    # libvirt searches from 3 whatever address an automatic CID names
    ("<vsock model='virtio'><cid auto='yes' address='7'/></vsock>", 3, True),
    ("<vsock model='virtio'><cid address='7'/></vsock>", 7, False),
    ("<vsock model='virtio'><cid auto='no' address='7'/></vsock>", 7, False),
])
def test_vsock_cid_automatic_or_fixed(tmp_path, vsock, cid, auto):
    """An automatic CID is chosen by the launcher: the argv carries the first of
    libvirt's range, and the compile lists the device for the launcher."""
    from compiler.api import compile_file, make_env
    from compiler.devices.vsock import AutoCid

    from .helpers import write

    result = compile_file(write(tmp_path, vsock), make_env())
    [dev] = devices_of(list(result.argv), "vhost-vsock-pci")
    assert dev["guest-cid"] == cid
    assert [(a.device, a.placeholder, a.first) for a in result.autocids] == \
        ([("vsock0", 3, 3)] if auto else [])
    assert all(isinstance(a, AutoCid) and a.where.line for a in result.autocids)


def test_tpm_and_intremap_options(tmp_path):
    argv = compile_snippet(tmp_path, "<tpm><backend type='passthrough'/></tpm>")
    assert options(argv, "-tpmdev") == ["passthrough,id=tpm-tpm0,path=/dev/tpm0"]
    argv = compile_snippet(tmp_path, "<iommu model='intel'><driver intremap='on'/></iommu>", **Q35)
    assert "kernel_irqchip=split" in options(argv, "-machine")[0].split(",")


def test_genid(tmp_path):
    argv = compile_snippet(tmp_path, "", extra="  <genid>E9392370-2917-565e-692b-d057f46512d6</genid>\n")
    assert devices_of(argv, "vmgenid") == [
        {"driver": "vmgenid", "guid": "e9392370-2917-565e-692b-d057f46512d6", "id": "vmgenid0"}]


BAD = [
    ("vsock-no-cid", "<vsock><cid auto='no'/></vsock>", {}, "<vsock", "needs the address"),
    ("vsock-low-cid", "<vsock><cid address='2'/></vsock>", {}, "<cid", "minimum is 3"),
    ("intel-iommu-i440fx", "<iommu model='intel'/>", {}, "<iommu", "Q35"),
    ("virtio-iommu-mmio", "<iommu model='virtio'>\n<address type='virtio-mmio'/></iommu>",
     {**Q35, "extra": ACPI}, "<iommu", "needs a PCI address"),
    ("virtio-iommu-no-acpi", "<iommu model='virtio'/>", Q35, "<iommu", "ACPI"),
    ("tpm-emulator-two", "<tpm><backend type='emulator'/></tpm><tpm><backend "
     "type='emulator'/></tpm>", {}, "<tpm", "only one emulated TPM"),
    ("smartcard-2-certs", "<smartcard mode='host-certificates'><certificate>a</certificate>"
     "</smartcard>", {}, "<smartcard", "exactly three"),
    ("smartcard-two", "<smartcard mode='host'/>\n<smartcard mode=\"host\"/>", {},
     "<smartcard mode=\"host\"", "a second smartcard"),
    ("smartcard-controller-1", "<smartcard mode='host'>\n<address type='ccid' controller='1' "
     "slot='0'/></smartcard>", {}, "<smartcard", "CCID controller 1"),
    ("smartcard-slot-1", "<smartcard mode='host'>\n<address type='ccid' controller='0' "
     "slot='1'/></smartcard>", {}, "<smartcard", "slot 1"),
    ("smartcard-usb-address", "<smartcard mode='host'>\n<address type='usb' bus='0' "
     "port='1'/></smartcard>", {}, "<smartcard", "type 'ccid'"),
    ("genid-empty", "", {"extra": "  <genid/>\n"}, "<genid", "give the GUID"),
]


@pytest.mark.parametrize("snippet,kw,needle,message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_errors(tmp_path, snippet, kw, needle, message):
    assert_error_at(tmp_path, snippet, needle, message, **kw)

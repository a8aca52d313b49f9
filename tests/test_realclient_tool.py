"""The real-client tool's own logic, without virt-install or libvirt: the generator is
reproducible and the comparison finds (and only finds) guest-ABI differences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.realclient import check, gen

ENV = gen.Env(images=Path("/var/lib/libvirt/images"))


def test_a_domain_depends_only_on_seed_and_index():
    assert gen.virt_install_args(7, 3, ENV) == gen.virt_install_args(7, 3, ENV)
    assert gen.virt_install_args(7, 3, ENV) != gen.virt_install_args(8, 3, ENV)
    assert gen.virt_install_args(7, 3, ENV) != gen.virt_install_args(7, 4, ENV)


def test_virt_install_never_picks_anything_at_random_or_defines_anything():
    for mode in ("options", "virt-manager"):
        for i in range(40):
            args = gen.virt_install_args(1, i, ENV, mode)
            assert "--print-xml" in args and "--import" in args
            assert "--uuid" in args
            nets = [args[j + 1] for j, a in enumerate(args) if a == "--network"]
            assert all("mac=" in n for n in nets if n != "none")


def test_ide_only_on_an_explicit_pc_machine():
    for i in range(200):
        args = gen.virt_install_args(2, i, ENV)
        disks = [args[j + 1] for j, a in enumerate(args) if a == "--disk"]
        if any("bus=ide" in d for d in disks):
            assert args[args.index("--machine") + 1] == "pc"


def test_virt_manager_mode_leaves_devices_to_the_defaults():
    args = gen.virt_install_args(1, 0, ENV, "virt-manager")
    options = {a for a in args if a.startswith("--")}
    assert options == {"--connect", "--print-xml", "--import", "--noautoconsole", "--name",
                       "--uuid", "--osinfo", "--memory", "--vcpus", "--disk", "--network"}


def _argv(cpu: str, *devices: dict) -> list[str]:
    argv = ["qemu-system-x86_64", "-machine", "pc-q35-7.2,usb=off", "-cpu", cpu,
            "-m", "1024", "-smp", "1,sockets=1,cores=1,threads=1"]
    for d in devices:
        argv += ["-device", json.dumps(d)]
    return argv


@pytest.fixture
def tools():
    if check.shared_tools() is None:
        pytest.skip(f"parity.py and propdiff.py not found in {check.SHARED_TOOLS}")


BLK = {"driver": "virtio-blk-pci", "bus": "pci.4", "addr": "0x0", "drive": "libvirt-1-format",
       "id": "virtio-disk0", "bootindex": 1}
SCSI = {"driver": "scsi-hd", "bus": "scsi0.0", "scsi-id": 0, "device_id": "drive-scsi0-0-0",
        "drive": "libvirt-2-format", "id": "scsi0-0-0"}


def test_host_side_names_are_not_differences(tools):
    ours = dict(BLK, drive="other-node")
    assert check.compare_argv(_argv("host", BLK), _argv("host", ours)) == []


def test_each_kind_of_difference_has_its_class(tools):
    lib = _argv("host,migratable=on", BLK, SCSI,
                {"driver": "virtconsole", "chardev": "c1", "id": "console1"})
    ours = _argv("host", dict(BLK, addr="0x1"), {k: v for k, v in SCSI.items()
                                                  if k != "device_id"},
                 {"driver": "virtconsole", "chardev": "c0", "id": "console0"},
                 {"driver": "usb-tablet", "id": "input0", "bus": "usb.0", "port": "1"})
    classes = {c for c, _ in check.compare_argv(lib, ours)}
    assert classes == {
        "-cpu host: only libvirt has migratable=True",
        "-device virtio-blk-pci: addr differs",
        "-device scsi-hd: property device_id only libvirt sets",
        "-device virtconsole: id differs",
        "-device usb-tablet only in domc",
    }


def test_verdict_counts_both_refusing_as_agreement():
    res = check.Result(0, "x", [], libvirt_error="error: no", domc_codes=["c"])
    assert check.verdict(res) == []
    res = check.Result(0, "x", [], libvirt_argv=["q"], domc_codes=["c"], domc_errors="f:1: e")
    assert check.verdict(res) == [("domc refuses: c", "f:1: e")]


def test_unmasking_gives_usb2_companions_their_masters_index():
    xml = ("<domain><devices><controller type='usb' model='ich9-ehci1'/>"
           "<controller type='usb' model='ich9-uhci1'><master startport='0'/></controller>"
           "<tpm model='tpm-crb'><backend type='emulator'/></tpm></devices></domain>")
    out = check.unmasked_xml(xml, ["usb-companion-master", "tpm-emulator"])
    assert out.count('index="0"') == 2 and "<tpm" not in out

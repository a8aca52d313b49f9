"""domc refuses at compile time what QEMU 7.2 refuses at start-up, at QEMU's boundary.

For each rule: the last domain domc accepts boots on the real QEMU (paused, TCG), the
first one it refuses is refused by domc with the rule's code, and the argv that domain
would have had (the accepted argv changed the least) is refused by QEMU with the
message the rule names.  So the boundary is QEMU's own, not a guess.
"""

from __future__ import annotations

import pytest

from compiler.api import compile_file, make_env
from compiler.diagnostics import DomcError

from .qemu import NO_QEMU, QEMU, QemuRefused, ask_paused, bootable

pytestmark = pytest.mark.skipif(QEMU is None, reason=NO_QEMU)

DOMAIN = """<domain type='qemu'>
  <name>boundary</name>
  <memory unit='MiB'>256</memory>
  <vcpu{vcpu_attrs}>{vcpus}</vcpu>
  <os><type arch='x86_64' machine='{machine}'>hvm</type></os>
  {cpu}{extra}
  <devices>
{devices}
  </devices>
</domain>
"""


def _xml(tmp_path, name="d.xml", vcpus=1, vcpu_attrs="", machine="pc", cpu="", devices="",
         extra=""):
    path = tmp_path / name
    path.write_text(DOMAIN.format(vcpus=vcpus, vcpu_attrs=vcpu_attrs, machine=machine, cpu=cpu,
                                  devices=devices, extra=extra))
    return str(path)


async def _nothing(qmp):
    return await qmp.execute("query-status")


def _boots(argv, tmp_path) -> None:
    argv, _ = bootable(list(argv), tmp_path)
    try:
        ask_paused(argv, _nothing)
    except QemuRefused as e:
        pytest.fail(f"QEMU refused the argv domc accepted: {str(e)[-400:]}")


def _qemu_refuses(argv, tmp_path, message: str) -> None:
    argv, _ = bootable(list(argv), tmp_path)
    with pytest.raises(QemuRefused) as exc:
        ask_paused(argv, _nothing)
    assert message in str(exc.value)


def _domc_refuses(path: str, code: str) -> None:
    with pytest.raises(DomcError) as exc:
        compile_file(path, make_env())
    assert code in {d.code for d in exc.value.diagnostics}


def _replace(argv, option: str, value: str) -> list[str]:
    out = list(argv)
    out[out.index(option) + 1] = value
    return out


EHCI = "<controller type='usb' model='ich9-ehci1'/>"
UHCI1 = "<controller type='usb' model='ich9-uhci1'><master startport='0'/></controller>"
UHCI2 = "<controller type='usb' model='ich9-uhci2'><master startport='2'/></controller>"


def test_usb_companion_before_its_master(tmp_path):
    """virt-install's USB2 set without indexes boots; written companion first, every part
    still gets index 0, the companion goes first on the command line, and QEMU finds no
    bus usb.0 for it."""
    argv = list(compile_file(_xml(tmp_path, devices=EHCI + UHCI1 + UHCI2), make_env()).argv)
    _boots(argv, tmp_path)
    devices = [i for i, a in enumerate(argv) if a == "-device"]
    ehci = next(i for i in devices if "ich9-usb-ehci1" in argv[i + 1])
    uhci1 = next(i for i in devices if "ich9-usb-uhci1" in argv[i + 1])
    assert ehci < uhci1
    swapped = list(argv)
    swapped[ehci + 1], swapped[uhci1 + 1] = argv[uhci1 + 1], argv[ehci + 1]
    _qemu_refuses(swapped, tmp_path, "USB bus 'usb.0' not found")
    _domc_refuses(_xml(tmp_path, "refused.xml", devices=UHCI1 + EHCI + UHCI2),
                  "usb-companion-order")


@pytest.mark.parametrize("machine, most", [("pc", 255), ("q35", 255)])
def test_vcpus_above_the_machine_limit(tmp_path, machine, most):
    """pc-i440fx-7.2 takes 255 vCPUs (q35 288, but more than 255 need the IOMMU's
    extended interrupt mode, which TCG cannot give)."""
    argv = compile_file(_xml(tmp_path, vcpus=most, vcpu_attrs=" current='1'", machine=machine),
                        make_env()).argv
    _boots(argv, tmp_path)
    over = f"1,maxcpus={most + 1},sockets={most + 1},cores=1,threads=1"
    _qemu_refuses(_replace(argv, "-smp", over), tmp_path,
                  "max CPUs supported by machine" if machine == "pc" else "X2APIC")
    _domc_refuses(_xml(tmp_path, "refused.xml", vcpus=most + 1, vcpu_attrs=" current='1'",
                       machine=machine), "vcpu-max")


def _topology(sockets: int) -> str:
    return f"<cpu><topology sockets='{sockets}' dies='1' cores='3' threads='1'/></cpu>"


def test_tcg_apic_ids_above_254(tmp_path):
    """Three cores per socket take two bits of the APIC ID: 64 sockets end at APIC ID
    254 and boot under TCG; 65 sockets (195 vCPUs, fewer than 255) end at 258."""
    argv = compile_file(_xml(tmp_path, vcpus=192, vcpu_attrs=" current='1'", machine="q35",
                             cpu=_topology(64)), make_env()).argv
    _boots(argv, tmp_path)
    _qemu_refuses(_replace(argv, "-smp", "1,maxcpus=195,sockets=65,cores=3,threads=1"),
                  tmp_path, "X2APIC")
    _domc_refuses(_xml(tmp_path, "refused.xml", vcpus=195, vcpu_attrs=" current='1'",
                       machine="q35", cpu=_topology(65)), "vcpu-max")


def test_disk_without_source(tmp_path):
    """An empty cdrom boots; a disk without storage is a block device with no drive,
    which QEMU refuses (libvirt: "missing source information")."""
    import json

    cdrom = "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>"
    disk = "<disk type='file' device='disk'>{}<target dev='vda' bus='virtio'/></disk>"
    _boots(compile_file(_xml(tmp_path, devices=cdrom), make_env()).argv, tmp_path)
    argv = list(compile_file(_xml(tmp_path, devices=disk.format("<source file='/a.img'/>")),
                             make_env()).argv)
    _boots(argv, tmp_path)
    at = next(i for i, a in enumerate(argv) if a.startswith('{"driver":"virtio-blk-pci"'))
    dev = json.loads(argv[at])
    del dev["drive"]
    argv[at] = json.dumps(dev)
    _qemu_refuses(argv, tmp_path, "drive property not set")
    _domc_refuses(_xml(tmp_path, "refused.xml", devices=disk.format("")), "disk-source")


RNG = ("<rng model='{}'><backend model='random'>/dev/urandom</backend><driver iommu='on'/>"
       "</rng>")
MODERN_ONLY = ("<input type='tablet' bus='virtio'><driver iommu='on'/></input>"
               "<video><driver iommu='on'/><model type='virtio'/></video>"
               "<video><driver iommu='on'/><model type='virtio'/></video>")


def test_virtio_iommu_on_conventional_pci(tmp_path):
    """On the i440fx root bus the virtio types QEMU makes modern-only (input, GPU) take
    iommu_platform, and so does a legacy-capable one (rng) as virtio-non-transitional;
    its generic device is transitional there and QEMU refuses it."""
    argv = list(compile_file(_xml(tmp_path, devices=MODERN_ONLY + RNG.format(
        "virtio-non-transitional")), make_env()).argv)
    assert sum('"iommu_platform":true' in a for a in argv) == 4
    _boots(argv, tmp_path)
    at = next(i for i, a in enumerate(argv) if '"virtio-rng-pci-non-transitional"' in a)
    generic = argv[:at] + [argv[at].replace("-non-transitional", "")] + argv[at + 1:]
    _qemu_refuses(generic, tmp_path, "supported by neither legacy nor transitional")
    _domc_refuses(_xml(tmp_path, "refused.xml", devices=MODERN_ONLY + RNG.format("virtio")),
                  "virtio-iommu-transitional")


NUMATUNE = "<numatune><memory mode='{}' nodeset='{}'/></numatune>"


@pytest.mark.parametrize("mode", ["strict", "interleave", "preferred"])
def test_host_node_above_qemus_limit(tmp_path, mode):
    """A memory policy on host node 0 boots; QEMU names host nodes 0-127 and refuses
    128 on any host (nodes in between exist or not by host)."""
    argv = list(compile_file(_xml(tmp_path, extra=NUMATUNE.format(mode, 0)), make_env()).argv)
    _boots(argv, tmp_path)
    at = next(i for i, a in enumerate(argv) if '"host-nodes":[0]' in a)
    over = argv[:at] + [argv[at].replace('"host-nodes":[0]', '"host-nodes":[128]')] + argv[at + 1:]
    _qemu_refuses(over, tmp_path, "Invalid host-nodes value: 128")
    _domc_refuses(_xml(tmp_path, "refused.xml", extra=NUMATUNE.format(mode, "0,128")),
                  "numatune-node")


def test_restrictive_host_nodes_never_reach_qemu(tmp_path):
    argv = compile_file(_xml(tmp_path, extra=NUMATUNE.format("restrictive", 200)),
                        make_env()).argv
    assert not any("host-nodes" in a for a in argv)


SEV = ("<launchSecurity type='sev'><cbitpos>47</cbitpos><reducedPhysBits>1</reducedPhysBits>"
       "<policy>0x0001</policy></launchSecurity>")


def test_sev_under_tcg(tmp_path):
    """SEV encrypts through KVM; QEMU 7.2 aborts a TCG guest given a sev-guest object
    (it cannot make the confidential guest support ready), so domc compiles SEV for
    type='kvm' only."""
    path = tmp_path / "kvm.xml"
    path.write_text(DOMAIN.format(vcpus=1, vcpu_attrs="", machine="pc", cpu="", extra=SEV,
                                  devices="").replace("<domain type='qemu'>",
                                                      "<domain type='kvm'>"))
    argv = list(compile_file(str(path), make_env()).argv)
    assert "kvm" in argv
    assert "-object" in argv and any('"qom-type":"sev-guest"' in a for a in argv)
    _qemu_refuses(argv, tmp_path, "cgs->ready")  # bootable() runs it under TCG
    _domc_refuses(_xml(tmp_path, "refused.xml", extra=SEV), "launch-security")

"""Whether the reference libvirt 9.0 answers here (../shared/tools/libvirt-oracle setup
installs and starts it); the differential tests skip with NO_LIBVIRT when it does not."""

from __future__ import annotations

import re
import shutil
import subprocess

URI = "qemu:///system"
NO_LIBVIRT = f"no libvirt 9.0 daemon at {URI} (../shared/tools/libvirt-oracle setup starts one)"


def libvirt_answers() -> bool:
    virsh = shutil.which("virsh")
    if virsh is None:
        return False
    p = subprocess.run([virsh, "-c", URI, "version"], capture_output=True, text=True, check=False)
    return p.returncode == 0 and "libvirt 9.0." in p.stdout


def virsh(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["virsh", "-c", URI, *args], capture_output=True, text=True, check=False)


def cpu_answer(xml: str):
    """(model, fallback, vendor, sorted (policy, feature)) of a <cpu> answer of virsh."""
    model = re.search(r"<model fallback='(\w+)'>([^<]+)</model>", xml)
    vendor = re.search(r"<vendor>([^<]+)</vendor>", xml)
    feats = sorted(re.findall(r"<feature policy='(\w+)' name='([^']+)'/>", xml))
    return (model.group(2), model.group(1), vendor and vendor.group(1), feats)

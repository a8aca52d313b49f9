"""<tpm model='tpm-tis|tpm-crb'>: -tpmdev + the TPM interface device.

  backend passthrough  -tpmdev passthrough,id=tpm-tpmN,path=DEV; libvirt opens DEV and
                       its sysfs cancel file and passes fds (-add-fd); without them QEMU
                       opens both itself
  backend external     -chardev socket,id=chrtpm,path=SOCK + -tpmdev emulator (a swtpm
                       someone else started)
  backend emulator     libvirt starts swtpm itself: domc starts nothing, so this is an
                       error pointing at type='external'

Only tpm-tis and tpm-crb exist on x86, and a CRB TPM must be the guest's only TPM
(checked by ``validate``).
"""

from __future__ import annotations

from ..record import frozen

from ..model import Device
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, device_arg, read_common
from .chardev import qemu_opt_value

MODELS = ("tpm-tis", "tpm-crb", "tpm-spapr", "spapr-tpm-proxy")


@frozen(kw_only=True)
class Tpm(Device):
    tag = "tpm"

    model: str = "tpm-tis"
    backend: str = "passthrough"
    path: str | None = None

    def describe(self) -> str:
        return f"TPM ({self.model})"


def from_xml(r: Reader) -> Tpm:
    model = r.attr_choice("model", MODELS, "tpm-tis")
    b = r.child("backend")
    if b is None:
        raise r.error("tpm-backend", "<tpm> needs a <backend>")
    backend = b.attr_choice("type", ("passthrough", "emulator", "external"))
    if backend is None:
        raise b.error("missing-attribute", "<backend> of <tpm> needs the attribute 'type'")
    path = None
    if backend == "passthrough":
        dev = b.child("device")
        path = dev.attr("path") if dev is not None else None
        path = path or "/dev/tpm0"
    elif backend == "external":
        src = b.child("source")
        if src is None or src.attr("path") is None:
            raise b.error("tpm-backend", "an external TPM backend needs <source type='unix' "
                          "mode='connect' path=.../>")
        path = src.attr("path")
    return Tpm(model=model, backend=backend, path=path, **read_common(r))


def validate(t: Tpm, dom, diag) -> None:
    if t.model not in ("tpm-tis", "tpm-crb"):
        diag.error("unsupported-device", f"TPM model '{t.model}' exists only on PowerPC", t.span)
    elif t.model == "tpm-crb" and len(dom.devices_of(Tpm)) > 1:
        diag.error("unsupported-device", "a CRB TPM must be the only TPM", t.span)
    if t.backend == "emulator":
        diag.error("tpm-emulator", "TPM backend 'emulator': libvirt starts swtpm itself, domc "
                   "starts no helper processes; run swtpm yourself and use <backend "
                   "type='external'><source type='unix' mode='connect' path=.../></backend>",
                   t.span)


def emit(t: Tpm, ctx: EmitCtx) -> list[str]:
    tid = f"tpm-{t.alias}"
    if t.backend == "passthrough":
        argv = ["-tpmdev", f"passthrough,id={tid},path={qemu_opt_value(t.path)}"]
    else:
        assert t.backend == "external", t.backend
        argv = ["-chardev", f"socket,id=chrtpm,path={qemu_opt_value(t.path)}",
                "-tpmdev", f"emulator,id={tid},chardev=chrtpm"]
    return argv + device_arg(t.model, {"tpmdev": tid, "id": t.alias})


KIND = DeviceKind(tag="tpm", cls=Tpm, from_xml=from_xml, emit=emit, validate=validate,
                  alias=lambda t, n, dom: f"tpm{n}", pci_group=lambda d: PciGroup.NONE,
                  pci_connect=lambda d: PciConnect.NONE)

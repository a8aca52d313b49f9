"""<tpm model='tpm-tis|tpm-crb'>: -tpmdev + the TPM interface device.

  backend passthrough  -tpmdev passthrough,id=tpm-tpmN,path=DEV; libvirt opens DEV and
                       its sysfs cancel file and passes fds (-add-fd); without them QEMU
                       opens both itself
  backend external     -chardev socket,id=chrtpm,path=SOCK + -tpmdev emulator (a swtpm
                       someone else started)
  backend emulator     -chardev socket,id=chrtpm,path=SOCK + -tpmdev emulator, as libvirt
                       writes it once it has started swtpm; domc puts swtpm in the plan
                       (``helpers``): its socket under the domain's run directory, its
                       state under the state directory (<uuid>/tpm2, libvirt's layout),
                       made by swtpm_setup when absent and never overwritten

Only tpm-tis and tpm-crb exist on x86, and a CRB TPM must be the guest's only TPM
(checked by ``validate``).
"""

from __future__ import annotations

from ..record import frozen

from ..model import Device
from ..runtime import Helper, HostDirs, SecretNeed, SecretRef, Setup, StateFile, \
    unsafe_component
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciConnect, PciGroup, device_arg, read_common
from .blockdev import check_uuid
from .chardev import qemu_opt_value

MODELS = ("tpm-tis", "tpm-crb", "tpm-spapr", "spapr-tpm-proxy")


@frozen(kw_only=True)
class Tpm(Device):
    tag = "tpm"

    model: str = "tpm-tis"
    backend: str = "passthrough"
    path: str | None = None
    # emulator: the TPM version, the PCR banks swtpm_setup activates, the state's key
    version: str | None = None
    pcr_banks: tuple[str, ...] = ()
    key: SecretRef | None = None

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
    elif backend == "emulator":
        return _emulator(r, b, model)
    return Tpm(model=model, backend=backend, path=path, **read_common(r))


VERSIONS = ("1.2", "2.0")
PCR_BANKS = ("sha1", "sha256", "sha384", "sha512")
SWTPM, SWTPM_SETUP = "swtpm", "swtpm_setup"


def _emulator(r: Reader, b: Reader, model: str) -> Tpm:
    """<backend type='emulator' version=...>: libvirt 9.0 defaults the version to 2.0
    for a CRB TPM and 1.2 otherwise."""
    version = b.attr_choice("version", VERSIONS) or ("2.0" if model == "tpm-crb" else "1.2")
    b.attr_bool("persistent_state")  # domc never removes the state
    banks = b.child("active_pcr_banks")
    pcr = tuple(name for name in PCR_BANKS if banks is not None and banks.has(name))
    enc = b.child("encryption")
    key = None
    if enc is not None:
        uuid = check_uuid(enc, "secret")
        key = SecretRef(type="vtpm", uuid=uuid, span=enc.span)
    if model == "tpm-crb" and version != "2.0":
        raise b.error("tpm-version", "a CRB TPM is a TPM 2.0: use version='2.0'")
    if pcr and version != "2.0":
        raise banks.error("tpm-version", "<active_pcr_banks> exists only for a TPM 2.0")
    return Tpm(model=model, backend="emulator", version=version, pcr_banks=pcr, key=key,
               **read_common(r))


def validate(t: Tpm, dom, diag) -> None:
    if t.model not in ("tpm-tis", "tpm-crb"):
        diag.error("unsupported-device", f"TPM model '{t.model}' exists only on PowerPC", t.span)
    elif t.model == "tpm-crb" and len(dom.devices_of(Tpm)) > 1:
        diag.error("unsupported-device", "a CRB TPM must be the only TPM", t.span)
    if t.backend == "emulator":
        why = unsafe_component(dom.name, comma=True)
        if why is not None:
            diag.error("unsafe-name", f"{t.describe()}: the domain name {why}; swtpm's socket "
                       "and state live in directories named after it", t.span)
        if sum(1 for d in dom.devices_of(Tpm) if d.backend == "emulator") > 1:
            diag.error("unsupported-device", "a domain can have only one emulated TPM", t.span)


def socket_path(t: Tpm, dom, dirs: HostDirs) -> str:
    """libvirt: /run/libvirt/qemu/swtpm/<id>-<name>-swtpm.sock; domc: RUN/<name>/."""
    return f"{dirs.domain_run_dir(dom.name)}/{t.alias}-swtpm.sock"


def emit(t: Tpm, ctx: EmitCtx) -> list[str]:
    tid = f"tpm-{t.alias}"
    if t.backend == "passthrough":
        argv = ["-tpmdev", f"passthrough,id={tid},path={qemu_opt_value(t.path)}"]
    else:
        assert t.backend in ("external", "emulator"), t.backend
        path = t.path if t.backend == "external" else socket_path(t, ctx.dom, ctx.dirs)
        argv = ["-chardev", f"socket,id=chrtpm,path={qemu_opt_value(path)}",
                "-tpmdev", f"emulator,id={tid},chardev=chrtpm"]
    return argv + device_arg(t.model, {"tpmdev": tid, "id": t.alias})


def _state(t: Tpm, dom, dirs: HostDirs) -> str:
    return dirs.tpm_state_dir(dom.name, dom.uuid, t.version)


def helpers(t: Tpm, dom, dirs: HostDirs) -> tuple[Helper, ...]:
    """swtpm as libvirt 9.0 runs it (qemuTPMEmulatorBuildCommand), and swtpm_setup for
    a state that does not exist yet (qemuTPMEmulatorRunSetup, --not-overwrite)."""
    if t.backend != "emulator":
        return ()
    run = dirs.domain_run_dir(dom.name)
    state, sock = _state(t, dom, dirs), socket_path(t, dom, dirs)
    log = f"{run}/{t.alias}-swtpm.log"
    tpm2 = t.version == "2.0"
    argv = [SWTPM, "socket", "--ctrl", f"type=unixio,path={sock},mode=0600",
            "--tpmstate", f"dir={state},mode=0600", "--log", f"file={log}", "--terminate"]
    setup = [SWTPM_SETUP, "--tpm-state", state, "--vmid", f"{dom.name}:{dom.uuid or ''}",
             "--logfile", f"{run}/{t.alias}-swtpm-setup.log", "--createek", "--create-ek-cert",
             "--create-platform-cert", "--lock-nvram", "--not-overwrite"]
    if tpm2:
        argv.append("--tpm2")
        setup.insert(1, "--tpm2")
        if t.pcr_banks:
            setup += ["--pcr-banks", ",".join(t.pcr_banks)]
    if t.key is not None:
        key = dirs.secret_file(t.key)
        argv += ["--key", f"pwdfile={key},mode=aes-256-cbc"]
        setup += ["--pwdfile", key, "--cipher", "aes-256-cbc"]
    creates = f"{state}/{'tpm2-00.permall' if tpm2 else 'tpm-00.permall'}"
    return (Helper(kind="swtpm", device=t.alias, argv=tuple(argv), socket=sock, log=log,
                   setup=Setup(creates=creates, argv=tuple(setup)), where=t.span,
                   chardev="chrtpm"),)


def secrets(t: Tpm, dom, dirs: HostDirs) -> tuple[SecretNeed, ...]:
    if t.backend != "emulator" or t.key is None:
        return ()
    return (SecretNeed(f"{t.describe()} state", t.key, t.key.span),)


def state(t: Tpm, dom, dirs: HostDirs) -> tuple[StateFile, ...]:
    if t.backend != "emulator":
        return ()
    return (StateFile(f"TPM {t.version} state of {t.alias}", _state(t, dom, dirs),
                      where=t.span, made_by=SWTPM_SETUP),)


KIND = DeviceKind(tag="tpm", cls=Tpm, from_xml=from_xml, emit=emit, validate=validate,
                  alias=lambda t, n, dom: f"tpm{n}", pci_group=lambda d: PciGroup.NONE,
                  pci_connect=lambda d: PciConnect.NONE, helpers=helpers, secrets=secrets,
                  state=state)

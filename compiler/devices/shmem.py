"""<shmem>: memory shared between the guest and the host (or other guests) through an
ivshmem PCI device, as libvirt 9.0 builds it (qemuBuildShmemCommandLine): the
doorbell-less ``ivshmem-plain`` over a shared file backend in /dev/shm (Looking Glass
frames, say), or ``ivshmem-doorbell`` connected to an ivshmem server's socket.  The
legacy ``ivshmem`` model (libvirt's default) is gone from QEMU 7.2.
"""

from __future__ import annotations

from ..record import frozen

from ..model import Device
from ..xmlread import Reader
from .base import ArgvPosition, DeviceKind, EmitCtx, PciConnect, PciGroup, device_arg, \
    pci_props, qjson, read_common

MODELS = ("ivshmem", "ivshmem-plain", "ivshmem-doorbell")
DEFAULT_SIZE = 4 * 1024 * 1024  # libvirt's, when <size> is left out
SHM_DIR = "/dev/shm"


@frozen(kw_only=True)
class Shmem(Device):
    tag = "shmem"

    name: str
    model: str = "ivshmem"
    size: int | None = None  # bytes
    server: bool = False  # <server>: the doorbell's ivshmem server
    server_path: str | None = None
    vectors: int | None = None
    ioeventfd: bool | None = None

    def describe(self) -> str:
        return f"shmem '{self.name}'"


def from_xml(r: Reader) -> Shmem:
    m = r.child("model")
    size = r.child("size")
    server = r.child("server")
    msi = r.child("msi")
    msi_on = msi.attr_bool("enabled") if msi is not None else None
    return Shmem(name=r.require("name"),
                 model=m.attr_choice("type", MODELS, "ivshmem") if m is not None else "ivshmem",
                 size=size.memory_kib(default_unit="b") * 1024 if size is not None else None,
                 server=server is not None,
                 server_path=server.attr("path") if server is not None else None,
                 vectors=msi.attr_int("vectors", lo=1) if msi is not None and msi_on is not False
                 else None,
                 ioeventfd=msi.attr_bool("ioeventfd") if msi is not None else True,
                 **read_common(r))


def validate(s: Shmem, dom, diag) -> None:
    if "/" in s.name or s.name in (".", ".."):
        # the name is a file name in /dev/shm: it never leaves that directory
        diag.error("shmem-name", f"shmem name {s.name!r} cannot contain '/' nor be '.' or '..' "
                   f"(it names the file {SHM_DIR}/NAME)", s.span)
    if s.model == "ivshmem":
        diag.error("unsupported-device", f"{s.describe()}: the legacy 'ivshmem' model (the "
                   "default) is gone from QEMU 7.2; write <model type='ivshmem-plain'/> (or "
                   "'ivshmem-doorbell' with a <server>)", s.span)
    elif s.model == "ivshmem-plain" and s.server:
        diag.error("shmem-server", f"{s.describe()}: ivshmem-plain has no doorbell: a <server> "
                   "needs <model type='ivshmem-doorbell'/>", s.span)
    size = s.size if s.size is not None else DEFAULT_SIZE
    if s.model != "ivshmem" and (size & (size - 1)):
        diag.error("shmem-size", f"{s.describe()}: size {size} bytes is not a power of two, "
                   "which QEMU's ivshmem needs", s.span)


def emit(s: Shmem, ctx: EmitCtx) -> list[str]:
    if s.model == "ivshmem-doorbell":
        cid = f"char{s.alias}"
        # libvirt's default is /var/lib/libvirt/shmem-NAME-sock; domc's is in its run
        # directory (the ivshmem server is started by whoever runs the guests)
        path = s.server_path or f"{ctx.dirs.run_dir}/shmem-{s.name}-sock"
        props = {"id": s.alias, "chardev": cid, "vectors": s.vectors, "ioeventfd": s.ioeventfd,
                 **pci_props(s, ctx)}
        return device_arg("ivshmem-doorbell", props) + ["-chardev",
                                                        f"socket,id={cid},path={path}"]
    mem = f"shmmem-{s.alias}"
    size = s.size if s.size is not None else DEFAULT_SIZE
    return (["-object", qjson({"qom-type": "memory-backend-file", "id": mem,
                               "mem-path": f"{SHM_DIR}/{s.name}", "size": size, "share": True})]
            + device_arg("ivshmem-plain", {"id": s.alias, "memdev": mem, **pci_props(s, ctx)}))


KIND = DeviceKind(tag="shmem", cls=Shmem, from_xml=from_xml, emit=emit, validate=validate,
                  wants_pci=lambda s, dom: True, pci_group=lambda d: PciGroup.SHMEM,
                  alias=lambda s, n, dom: f"shmem{n}", pci_connect=lambda s: PciConnect.PCI,
                  argv_position=ArgvPosition.LATE)

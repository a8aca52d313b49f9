"""<filesystem>: a host directory shared with the guest.

libvirt 9.0 + QEMU 7.2 (qemuBuildFilesystemCommandLine):

  9p (driver type path/handle, the default)
      -fsdev local,security_model=...,id=fsdev-fsN,path=DIR
      -device virtio-9p-pci {"id":"fsN","fsdev":"fsdev-fsN","mount_tag":TARGET,...}
  virtiofs (driver type='virtiofs')
      -chardev socket,id=chr-vu-fsN,path=SOCKET
      -device vhost-user-fs-pci {"id":"fsN","chardev":"chr-vu-fsN","tag":TARGET,...}
      With <source dir=...> libvirt starts virtiofsd on <libDir>/fsN-fs.sock; domc
      puts virtiofsd in the plan (``helpers``) on RUN/<name>/fsN-fs.sock.  With
      <source socket=...> a virtiofsd someone else started serves it.

Aliases fs0.. in document order, PCI slots in the FILESYSTEM group.
"""

from __future__ import annotations

from ..record import frozen

from ..model import Device
from ..placement.tuning import MemoryAccess
from ..runtime import Helper, HostDirs, unsafe_component
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, PciGroup, device_arg, pci_props, read_common, \
    virtio_connect
from .chardev import qemu_opt_value

DRIVERS = ("path", "handle", "virtiofs", "loop", "nbd", "ploop")
ACCESS_MODES = {"passthrough": "passthrough", "mapped": "mapped", "squash": "none"}
MULTIDEVS = ("default", "remap", "forbid", "warn")
MODELS_9P = {
    "virtio": "virtio-9p-pci",
    "virtio-transitional": "virtio-9p-pci-transitional",
    "virtio-non-transitional": "virtio-9p-pci-non-transitional",
}


@frozen(kw_only=True)
class Filesystem(Device):
    tag = "filesystem"

    type: str = "mount"
    driver: str = "path"
    accessmode: str = "passthrough"
    model: str = "virtio"
    source_dir: str | None = None
    source_socket: str | None = None
    target_dir: str = ""
    readonly: bool = False
    wrpolicy: str | None = None
    multidevs: str | None = None
    fmode: int | None = None
    dmode: int | None = None
    queue: int | None = None
    # virtiofsd domc runs (<binary path=... xattr=...><cache mode><sandbox mode>
    # <thread_pool size>)
    binary: str | None = None
    xattr: bool | None = None
    cache: str | None = None
    sandbox: str | None = None
    thread_pool: int | None = None

    def describe(self) -> str:
        return f"filesystem '{self.target_dir}'"


def _octal(r: Reader, name: str) -> int | None:
    v = r.attr(name)
    if v is None:
        return None
    try:
        n = int(v, 8)
    except ValueError:
        raise r.error("bad-number", f"'{name}' of <{r.tag}> must be an octal mode such as "
                      f"0644, not {v!r}") from None
    if not 0 <= n <= 0o777:
        raise r.error("number-range", f"'{name}' of <{r.tag}> is {v!r}; the maximum is 0777")
    return n


def from_xml(r: Reader) -> Filesystem:
    t = r.attr_choice("type", ("mount", "block", "file", "template", "ram", "bind", "volume"),
                      "mount")
    drv = r.child("driver")
    driver = drv.attr_choice("type", DRIVERS, "path") if drv is not None else "path"
    src = r.child("source")
    tgt = r.child("target")
    if tgt is None or tgt.attr("dir") is None:
        raise r.error("filesystem-target", "<filesystem> needs <target dir=.../> (the mount tag "
                      "the guest uses)")
    model = r.attr_choice("model", tuple(MODELS_9P), "virtio")
    return Filesystem(**_binary(r),
        type=t, driver=driver,
        accessmode=r.attr_choice("accessmode", tuple(ACCESS_MODES), "passthrough"),
        model=model,
        source_dir=src.attr("dir") if src is not None else None,
        source_socket=src.attr("socket") if src is not None else None,
        target_dir=tgt.attr("dir"),
        readonly=r.has("readonly"),
        wrpolicy=drv.attr_choice("wrpolicy", ("immediate",)) if drv is not None else None,
        multidevs=r.attr_choice("multidevs", MULTIDEVS),
        fmode=_octal(r, "fmode"), dmode=_octal(r, "dmode"),
        queue=drv.attr_int("queue", lo=1, hi=32768) if drv is not None else None,
        **read_common(r))


VIRTIOFSD = "virtiofsd"
# libvirt's cache modes -> virtiofsd's (--cache auto|always|never)
CACHE_MODES = {"default": None, "none": "never", "always": "always"}


def _binary(r: Reader) -> dict:
    b = r.child("binary")
    if b is None:
        return {}
    cache, sandbox, pool = b.child("cache"), b.child("sandbox"), b.child("thread_pool")
    return {"binary": b.attr("path"), "xattr": b.attr_bool("xattr"),
            "cache": cache.attr_choice("mode", tuple(CACHE_MODES)) if cache is not None else None,
            "sandbox": sandbox.attr_choice("mode", ("namespace", "chroot"))
            if sandbox is not None else None,
            "thread_pool": pool.attr_int("size", lo=1, hi=2**31 - 1) if pool is not None
            else None}


def wants_pci(f: Filesystem, dom) -> bool:
    return True


def validate(f: Filesystem, dom, diag) -> None:
    """A directory QEMU itself can share: type mount, a 9p driver with its <source dir>,
    or virtiofs with a running virtiofsd's socket and shared guest memory."""
    if f.type != "mount":
        diag.error("unsupported-filesystem", f"{f.describe()}: type '{f.type}' is for "
                   "containers; a QEMU guest shares directories with type='mount'", f.span)
        return
    if f.driver == "virtiofs":
        if f.source_socket is None and f.source_dir is None:
            diag.error("virtiofs-socket", f"{f.describe()}: virtiofs needs the directory "
                       "virtiofsd shares (<source dir=.../>) or the socket of a running one "
                       "(<source socket=.../>)", f.span)
        elif f.source_socket is None and unsafe_component(dom.name) is not None:
            diag.error("unsafe-name", f"{f.describe()}: the domain name "
                       f"{unsafe_component(dom.name)}; virtiofsd's socket lives in a "
                       "directory named after it", f.span)
        if f.accessmode != "passthrough":
            diag.error("unsupported-filesystem", f"{f.describe()}: virtiofs supports only "
                       "accessmode='passthrough'", f.span)
        if f.readonly:
            diag.error("unsupported-filesystem", f"{f.describe()}: virtiofs does not support "
                       "read-only mode", f.span)
        if not _shared_memory(dom):
            diag.error("virtiofs-memory", f"{f.describe()}: virtiofs needs shared guest memory "
                       "(<memoryBacking><access mode='shared'/></memoryBacking>)", f.span)
    elif f.driver not in ("path", "handle"):
        diag.error("unsupported-filesystem", f"{f.describe()}: driver '{f.driver}' is not "
                   "available with QEMU; use path, handle or virtiofs", f.span)
    elif f.source_dir is None:
        diag.error("filesystem-source", f"{f.describe()} needs <source dir=.../>", f.span)


def _emit_9p(f: Filesystem, ctx: EmitCtx) -> list[str]:
    assert f.driver in ("path", "handle") and f.source_dir is not None, "checked by validate"
    if f.driver == "handle":
        opts = ["handle"]
    else:
        opts = ["local", f"security_model={ACCESS_MODES[f.accessmode]}"]
        if f.multidevs not in (None, "default"):
            opts.append(f"multidevs={f.multidevs}")
        if f.fmode is not None:
            opts.append(f"fmode={f.fmode:04o}")
        if f.dmode is not None:
            opts.append(f"dmode={f.dmode:04o}")
    if f.wrpolicy:
        opts.append(f"writeout={f.wrpolicy}")
    fsdev = f"fsdev-{f.alias}"
    opts += [f"id={fsdev}", f"path={qemu_opt_value(f.source_dir)}"]
    if f.readonly:
        opts.append("readonly=on")
    props = {**dict(f.virtio_options), "id": f.alias, "fsdev": fsdev,
             "mount_tag": f.target_dir, **pci_props(f, ctx)}
    return ["-fsdev", ",".join(opts)] + device_arg(MODELS_9P[f.model], props)


def _shared_memory(dom) -> bool:
    """vhost-user backends map guest RAM: it must be shared (libvirt's
    qemuValidateDomainDefVhostUserRequireSharedMemory)."""
    if dom.tuning.backing.access is MemoryAccess.SHARED:
        return True
    cells = dom.cpu.numa if dom.cpu else ()
    return bool(cells) and all(c.memaccess == "shared" for c in cells)


def socket_path(f: Filesystem, dom, dirs: HostDirs) -> str:
    """The given socket, else the one of the virtiofsd domc starts (libvirt:
    <libDir>/fsN-fs.sock)."""
    if f.source_socket is not None:
        return f.source_socket
    return f"{dirs.domain_run_dir(dom.name)}/{f.alias}-fs.sock"


def helpers(f: Filesystem, dom, dirs: HostDirs) -> tuple[Helper, ...]:
    """virtiofsd serving <source dir> (the Rust virtiofsd's options)."""
    if f.driver != "virtiofs" or f.source_socket is not None:
        return ()
    sock = socket_path(f, dom, dirs)
    argv = [f.binary or VIRTIOFSD, f"--socket-path={sock}", f"--shared-dir={f.source_dir}"]
    if CACHE_MODES.get(f.cache or "default"):
        argv.append(f"--cache={CACHE_MODES[f.cache]}")
    if f.xattr:
        argv.append("--xattr")
    if f.sandbox is not None:
        argv.append(f"--sandbox={f.sandbox}")
    if f.thread_pool is not None:
        argv.append(f"--thread-pool-size={f.thread_pool}")
    log = f"{dirs.domain_run_dir(dom.name)}/{f.alias}-virtiofsd.log"
    return (Helper(kind="virtiofsd", device=f.alias, argv=tuple(argv), socket=sock, log=log,
                   where=f.span, chardev=f"chr-vu-{f.alias}"),)


def _emit_virtiofs(f: Filesystem, ctx: EmitCtx) -> list[str]:
    assert f.source_socket or f.source_dir, "checked by validate"
    assert _shared_memory(ctx.dom), "checked by validate"
    cid = f"chr-vu-{f.alias}"
    props = {"id": f.alias, "chardev": cid, "queue-size": f.queue, "tag": f.target_dir,
             "bootindex": f.boot_order, **dict(f.virtio_options), **pci_props(f, ctx)}
    path = socket_path(f, ctx.dom, ctx.dirs)
    return ["-chardev", f"socket,id={cid},path={qemu_opt_value(path)}"] + \
        device_arg("vhost-user-fs-pci", props)


def emit(f: Filesystem, ctx: EmitCtx) -> list[str]:
    assert f.type == "mount", "checked by validate"
    if f.driver == "virtiofs":
        return _emit_virtiofs(f, ctx)
    return _emit_9p(f, ctx)


KIND = DeviceKind(tag="filesystem", cls=Filesystem, from_xml=from_xml, emit=emit,
                  validate=validate, wants_pci=wants_pci, pci_group=lambda d: PciGroup.FILESYSTEM,
                  alias=lambda f, n, dom: f"fs{n}", pci_connect=lambda f: virtio_connect(f.model),
                  lock_key=lambda f: f.target_dir or None, helpers=helpers,
                  virtio_legacy=lambda f: f.driver != "virtiofs")

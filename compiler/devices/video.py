"""<video>: the primary and secondary display adapters.

<driver name='vhostuser'> with a virtio model: the GPU runs in a vhost-user-gpu
process (libvirt starts it on one end of a socketpair and passes QEMU the other,
``-chardev socket,id=chr-vu-videoN,fd=N``); domc puts it in the plan (``helpers``)
listening on RUN/<name>/videoN-gpu.sock and gives QEMU that path:

  -chardev socket,id=chr-vu-videoN,path=SOCK
  -device vhost-user-vga (primary) | vhost-user-gpu-pci (secondary)
"""

from __future__ import annotations

from ..record import evolve, frozen

from ..model import Device, MachineFamily, PciAddr, VirtType
from ..runtime import Helper, HostDirs, unsafe_component
from ..xmlread import Reader
from .base import DeviceKind, EmitCtx, FixedSlot, PciConnect, PciGroup, XNode, address_xnode, \
    device_arg, pci_props, read_common, xnode
from .chardev import qemu_opt_value
from .graphics import Graphics

MODELS = ("vga", "cirrus", "vmvga", "xen", "vbox", "qxl", "parallels", "virtio", "gop", "none",
          "bochs", "ramfb")
# model -> (primary device, secondary device)
DRIVERS = {
    "vga": ("VGA", None),
    "cirrus": ("cirrus-vga", None),
    "vmvga": ("vmware-svga", None),
    "qxl": ("qxl-vga", "qxl"),
    "virtio": ("virtio-vga", "virtio-gpu-pci"),
    "bochs": ("bochs-display", None),  # libvirt: only qxl and virtio may be secondary
    "ramfb": ("ramfb", None),
}


@frozen(kw_only=True)
class Video(Device):
    tag = "video"

    model: str = "cirrus"
    vram: int | None = None
    ram: int | None = None
    vgamem: int | None = None
    vram64: int | None = None
    heads: int | None = None
    primary: bool = False
    accel3d: bool | None = None
    backend: str | None = None  # <driver name='qemu|vhostuser'>
    rendernode: str | None = None  # <acceleration rendernode=...>

    def describe(self) -> str:
        return f"video {self.model}"


def from_xml(r: Reader) -> Video:
    m = r.child("model")
    drv = r.child("driver")
    backend = drv.attr_choice("name", ("qemu", "vhostuser")) if drv is not None else None
    if m is None:
        return Video(backend=backend, **_defaults("cirrus", {}), **read_common(r))
    accel = m.child("acceleration")
    model = m.attr_choice("type", MODELS, "cirrus")
    given = {k: m.attr_int(k) for k in ("vram", "ram", "vgamem", "vram64")}
    given["heads"] = m.attr_int("heads", lo=1, hi=16)
    return Video(model=model, **_defaults(model, given), primary=m.attr_bool("primary", False),
                 accel3d=accel.attr_bool("accel3d") if accel is not None else None,
                 rendernode=accel.attr("rendernode") if accel is not None else None,
                 backend=backend, **read_common(r))


# the video memory libvirt gives a model that does not say (KiB), and thereby QEMU
VRAM_DEFAULT = {"vga": 16384, "cirrus": 16384, "vmvga": 16384, "bochs": 16384, "qxl": 65536}
QXL_DEFAULTS = {"ram": 65536, "vgamem": 16384}


def _defaults(model: str, given: dict) -> dict:
    """Sizes and heads as libvirt 9.0 completes them: one head, and video memory for the
    models that have it configurable."""
    out = {**given}
    if out.get("heads") is None and model != "none":
        out["heads"] = 1
    if out.get("vram") is None:
        out["vram"] = VRAM_DEFAULT.get(model)
    if model == "qxl":
        for k, v in QXL_DEFAULTS.items():
            if out.get(k) is None:
                out[k] = v
    return out


def is_primary(v: Video, dom) -> bool:
    videos = dom.devices_of(Video)
    return bool(videos) and videos[0] is v


def wants_pci(v: Video, dom) -> bool:
    return v.model not in ("none", "ramfb")


# QEMU's primary VGA is the first device after the chipset
PRIMARY_SLOT = {MachineFamily.I440FX: 2, MachineFamily.Q35: 1}


def fixed_slot(v: Video, nth: int, family: MachineFamily) -> FixedSlot | None:
    """The first video (in document order) is the primary one: its slot, else the first
    free one, before every other device."""
    if nth != 0:
        return None
    return FixedSlot((PciAddr(0, 0, PRIMARY_SLOT[family], 0),), first=True)


def alias(v: Video, nth: int, dom) -> str:
    return f"video{nth}"


def validate(v: Video, dom, diag) -> None:
    """The model exists on x86 and, as a secondary adapter, has a secondary device.
    No pass reorders the videos, so the first one written is the primary."""
    if v.model == "none":
        if len(dom.devices_of(Video)) > 1:
            diag.error("unsupported-device", "a video of model 'none' must be the only video "
                       "device of the domain (libvirt 9.0)", v.span)
        return
    if v.backend == "vhostuser":
        if v.model != "virtio":
            diag.error("unsupported-device", f"video model '{v.model}': only a virtio video "
                       "device can have a vhost-user backend", v.span)
        why = unsafe_component(dom.name)
        if why is not None:
            diag.error("unsafe-name", f"{v.describe()}: the domain name {why}; the "
                       "vhost-user-gpu socket lives in a directory named after it", v.span)
        if dom.type is not VirtType.KVM:
            diag.warning("vhost-user-kvm", f"{v.describe()}: QEMU 7.2 connects a vhost-user "
                         "GPU only under KVM (<domain type='kvm'>); with TCG it refuses to "
                         "start ('vhost initialization failed: requires kvm')", v.span)
        if v.accel3d and not v.rendernode:
            diag.error("vhost-user-gpu-rendernode", f"{v.describe()}: 3D acceleration in "
                       "vhost-user-gpu needs <acceleration accel3d='yes' rendernode=.../>: "
                       "libvirt picks this host's first DRM render node, a compile cannot",
                       v.span)
    if v.model not in DRIVERS:
        diag.error("unsupported-device", f"video model '{v.model}' is not supported by QEMU on "
                   "x86", v.span)
    elif not is_primary(v, dom) and DRIVERS[v.model][1] is None:
        diag.error("unsupported-device", f"video model '{v.model}' can only be the primary video "
                   "device", v.span)


VHOST_USER_GPU = "/usr/lib/qemu/vhost-user-gpu"  # Debian's qemu-system-gui


def socket_path(v: Video, dom, dirs: HostDirs) -> str:
    return f"{dirs.domain_run_dir(dom.name)}/{v.alias}-gpu.sock"


def helpers(v: Video, dom, dirs: HostDirs) -> tuple[Helper, ...]:
    """vhost-user-gpu as libvirt runs it (qemuVhostUserGPUStart), on a socket path."""
    if v.backend != "vhostuser":
        return ()
    sock = socket_path(v, dom, dirs)
    argv = [VHOST_USER_GPU, f"--socket-path={sock}"]
    if v.accel3d:
        argv.append("--virgl")
    if v.rendernode:
        argv.append(f"--render-node={v.rendernode}")
    return (Helper(kind="vhost-user-gpu", device=v.alias, argv=tuple(argv), socket=sock,
                   log=f"{dirs.domain_run_dir(dom.name)}/{v.alias}-gpu.log", where=v.span,
                   chardev=f"chr-vu-{v.alias}"),)


def _emit_vhost_user(v: Video, ctx: EmitCtx) -> list[str]:
    """libvirt 9.0 writes the virtio transport options of a secondary vhost-user GPU
    first and leaves them out for the primary vhost-user-vga."""
    primary = is_primary(v, ctx.dom)
    cid = f"chr-vu-{v.alias}"
    props = {} if primary else dict(v.virtio_options)
    props.update({"id": v.alias, "max_outputs": v.heads, "chardev": cid})
    props.update({k: val for k, val in pci_props(v, ctx).items()
                  if k not in dict(v.virtio_options)})
    chardev = f"socket,id={cid},path={qemu_opt_value(socket_path(v, ctx.dom, ctx.dirs))}"
    return ["-chardev", chardev] + \
        device_arg("vhost-user-vga" if primary else "vhost-user-gpu-pci", props)


def emit(v: Video, ctx: EmitCtx) -> list[str]:
    if v.model == "none":
        return []
    if v.backend == "vhostuser":
        return _emit_vhost_user(v, ctx)
    primary_drv, secondary_drv = DRIVERS[v.model]
    driver = primary_drv if is_primary(v, ctx.dom) else secondary_drv
    assert driver is not None, v.model
    if v.model == "virtio" and v.accel3d:
        driver = "virtio-vga-gl" if driver == "virtio-vga" else "virtio-gpu-gl-pci"
    props = {"id": v.alias}
    if v.model in ("qxl", "virtio") and v.heads is not None:
        props["max_outputs"] = v.heads
    if v.model == "qxl":
        props["ram_size"] = v.ram * 1024
        props["vram_size"] = v.vram * 1024
        props["vram64_size_mb"] = (v.vram64 or 0) // 1024
        props["vgamem_mb"] = v.vgamem // 1024
    elif v.model in ("vga", "vmvga") and v.vram is not None:
        props["vgamem_mb"] = v.vram // 1024
    elif v.model == "bochs" and v.vram is not None:
        props["vgamem"] = v.vram * 1024
    props.update(pci_props(v, ctx))
    return device_arg(driver, props)


def to_xml(v: Video) -> XNode:
    children = [xnode("model", type=v.model, vram=v.vram, heads=v.heads,
                      primary="yes" if v.primary else None)]
    addr = address_xnode(v.address)
    if addr is not None:
        children.append(addr)
    return xnode("video", *children)


# video models that are PCI Express devices
EXPRESS_VIDEO = ("virtio", "bochs")

DEFAULT_MODEL = "cirrus"


def implicit(devices: tuple, dom, family: MachineFamily) -> tuple:
    """Graphics without a video card bring one (caused by the first <graphics>);
    a video without a model gets libvirt's default one."""
    out = tuple(evolve(d, model=DEFAULT_MODEL) if isinstance(d, Video) and d.model is None
                else d for d in devices)
    graphics = next((d for d in out if isinstance(d, Graphics)), None)
    if graphics is not None and not any(isinstance(d, Video) for d in out):
        out += (Video(model=DEFAULT_MODEL, span=graphics.span),)
    return out


KIND = DeviceKind(tag="video", cls=Video, from_xml=from_xml, emit=emit, validate=validate,
                  wants_pci=wants_pci,
                  pci_group=lambda d: PciGroup.VIDEO, alias=alias, to_xml=to_xml,
                  pci_connect=lambda v: PciConnect.PCIE if v.model in EXPRESS_VIDEO
                  else PciConnect.PCI, fixed_slot=fixed_slot, implicit=implicit, helpers=helpers)

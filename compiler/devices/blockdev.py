"""Disk sources (<source>) and their -blockdev node pairs (storage + format)."""

from __future__ import annotations

import json

from ..record import evolve, frozen

from ..runtime import HostDirs, SecretRef
from ..xmlread import Reader
from .base import EmitCtx, qjson

NETWORK_PROTOCOLS = ("nbd", "iscsi", "rbd", "gluster", "http", "https", "ftp", "ftps", "ssh",
                     "tftp", "sheepdog", "vxhs", "nfs")
# protocols whose node is an "url" style driver in QEMU
_URL_PROTOCOLS = ("http", "https", "ftp", "ftps", "tftp")
_DEFAULT_PORTS = {"nbd": 10809, "iscsi": 3260, "gluster": 24007, "ssh": 22}
# protocols protocol_node turns into a QEMU storage node
COMPILED_PROTOCOLS = ("nfs", "nbd", *_URL_PROTOCOLS, "iscsi", "rbd", "gluster", "ssh")
# disk source types storage_node compiles (vhost-user disks have no -blockdev)
COMPILED_SOURCE_TYPES = ("file", "block", "network", "nvme")


@frozen
class Host:
    name: str | None = None
    port: int | None = None
    transport: str | None = None
    socket: str | None = None


@frozen
class BlockSource:
    path: str | None = None  # file / block / dir
    protocol: str | None = None  # network
    name: str | None = None
    hosts: tuple[Host, ...] = ()
    pool: str | None = None  # volume
    volume: str | None = None
    auth_user: str | None = None  # <auth username=...>
    auth_secret: SecretRef | None = None  # ... and its <secret>
    encryption: "Encryption | None" = None  # <encryption> (of the source or the disk)
    nfs_user: int | None = None  # <identity user='+N' group='+N'> of an NFS source
    nfs_group: int | None = None
    reconnect: int | None = None  # vhost-user: <reconnect enabled='yes' timeout=N>
    nvme_device: str | None = None  # nvme: host PCI address DDDD:BB:SS.F
    nvme_namespace: int | None = None
    slice: tuple[int, int] | None = None  # <slices><slice type='storage' offset size>
    # see read_source_extras
    query: str | None = None  # http(s)/ftp(s): the URL's query string
    tls: bool | None = None  # nbd: TLS with libvirt's default client certificates
    tls_hostname: str | None = None
    rbd_snapshot: str | None = None
    rbd_conf: str | None = None
    initiator: str | None = None  # iscsi: the initiator IQN
    pr_path: str | None = None  # persistent reservations: qemu-pr-helper's socket
    pr_managed: bool = False  # ... a helper libvirt starts itself
    fdgroup: str | None = None  # files libvirt's client passed as descriptors
    seclabel: bool = False  # a <seclabel> for libvirt's security drivers


@frozen
class Encryption:
    """<encryption format='luks'><secret type='passphrase' uuid=|usage=/>: QEMU opens
    the LUKS layer itself with the passphrase from the secret's file."""

    format: str
    secret: SecretRef


ENCRYPTION_FORMATS = ("default", "qcow", "luks", "luks2", "luks-any")


def check_uuid(r: Reader, name: str) -> str:
    """A required uuid attribute, in its canonical form."""
    v = r.require(name)
    hexd = v.replace("-", "").lower()
    if len(hexd) != 32 or any(c not in "0123456789abcdef" for c in hexd):
        raise r.error("bad-uuid", f"'{name}' of <{r.tag}> is {v!r}, not a uuid")
    return f"{hexd[:8]}-{hexd[8:12]}-{hexd[12:16]}-{hexd[16:20]}-{hexd[20:]}"


def read_secret(s: Reader, stype: str) -> SecretRef:
    """<secret uuid=... | usage=...> (its type checked by the caller)."""
    if s.attr("uuid") is not None:
        return SecretRef(type=stype, uuid=check_uuid(s, "uuid"), span=s.span)
    usage = s.attr("usage")
    if not usage:
        raise s.error("missing-attribute", "<secret> needs usage=... or uuid=...")
    return SecretRef(type=stype, usage=usage, span=s.span)


def _read_encryption(r: Reader | None, s: Reader) -> Encryption | None:
    """libvirt keeps one <encryption> per source, written in the <source> or (the old
    way, a disk's top image only: ``r`` its <disk>) in the <disk>."""
    inner, outer = s.child("encryption"), r.child("encryption") if r is not None else None
    if inner is not None and outer is not None:
        raise inner.error("disk-encryption", "an <encryption> definition already found for "
                          "disk source")
    enc = inner or outer
    if enc is None:
        return None
    fmt = enc.attr_choice("format", ENCRYPTION_FORMATS, "default")
    engine = enc.attr_choice("engine", ("default", "qemu", "librbd"), "default")
    if engine == "librbd":
        raise enc.error("disk-encryption", "encryption engine 'librbd' (ceph's own LUKS) is "
                        "not supported by domc; use engine='qemu'")
    if fmt != "luks":
        raise enc.error("disk-encryption", f"encryption format '{fmt}' cannot be opened by "
                        "QEMU 7.2 in a guest; domc compiles format='luks'")
    secret = enc.child("secret")
    if secret is None:
        raise enc.error("disk-encryption", "<encryption format='luks'> needs <secret "
                        "type='passphrase' uuid=.../> naming the passphrase")
    stype = secret.attr("type")
    if stype != "passphrase":
        raise secret.error("disk-encryption", f"the <secret> of a LUKS <encryption> needs "
                           f"type='passphrase', not {stype!r}")
    return Encryption(format=fmt, secret=read_secret(secret, "passphrase"))


def read_source(r: Reader, dtype: str) -> BlockSource | None:
    s = r.child("source")
    if s is None:
        return None
    src = _read_source(r, s, dtype)
    if src is not None:
        src = evolve(src, **read_source_extras(s, dtype))
    return None if src is None else read_layer_extras(r, s, src)


def read_layer_extras(r: Reader | None, s: Reader, src: BlockSource) -> BlockSource:
    """What an image's <source> says besides where it is, for a disk's top image and
    its backing layers alike: its LUKS <encryption> (``r``: the <disk>, which may hold
    the top image's) and its <slices>."""
    enc = _read_encryption(r, s)
    if enc is not None:
        src = evolve(src, encryption=enc)
    sl = s.child("slices")
    if sl is not None:
        for one in sl.children("slice"):
            one.attr_choice("type", ("storage",))
            src = evolve(src, slice=(one.attr_int("offset", 0, hi=2**63 - 1),
                                     one.attr_int("size", lo=1, hi=2**63 - 1) or 0))
    return src


def _read_source(r: Reader, s: Reader, dtype: str) -> BlockSource | None:
    if dtype == "file":
        p = s.attr("file")
        return None if p is None else BlockSource(path=p)
    if dtype == "block":
        p = s.attr("dev")
        return None if p is None else BlockSource(path=p)
    if dtype == "dir":
        return BlockSource(path=s.attr("dir"))
    if dtype == "network":
        proto = s.attr_choice("protocol", NETWORK_PROTOCOLS)
        auth = s.child("auth") or r.child("auth")
        user, secret = read_auth(auth, proto) if auth is not None else (None, None)
        hosts = tuple(
            Host(h.attr("name"), h.attr_int("port", hi=65535), h.attr("transport"), h.attr("socket"))
            for h in s.children("host"))
        ident = s.child("identity")
        return BlockSource(protocol=proto, name=s.attr("name"), hosts=hosts, auth_user=user,
                           auth_secret=secret,
                           nfs_user=_numeric_id(ident, "user") if ident is not None else None,
                           nfs_group=_numeric_id(ident, "group") if ident is not None else None)
    if dtype == "vhostuser":
        if s.attr_choice("type", ("unix",), "unix") and not s.attr("path"):
            raise s.error("disk-source", "a vhost-user disk needs <source type='unix' path=...>")
        rc = s.child("reconnect")
        timeout = None
        if rc is not None and rc.attr_bool("enabled"):
            timeout = rc.attr_int("timeout", lo=1, hi=2**31 - 1)
        return BlockSource(path=s.attr("path"), reconnect=timeout)
    if dtype == "volume":
        # how the pool's volume is reached (host: its local path, direct: the iSCSI LUN)
        # is the pool's to say; the disk is refused for want of one (check_disk_source)
        s.attr_choice("mode", ("host", "direct"))
        return BlockSource(pool=s.attr("pool"), volume=s.attr("volume"))
    if dtype == "nvme":
        s.attr_choice("type", ("pci",), "pci")
        s.attr_bool("managed")  # detaching the device from its host driver is the host's job
        a = s.child("address")
        if a is None:
            raise s.error("disk-source", "an nvme disk needs the host controller's "
                          "<address domain= bus= slot= function=/>")
        dev = (f"{a.attr_int('domain', 0, hi=0xFFFF):04x}:{a.attr_int('bus', 0, hi=0xFF):02x}:"
               f"{a.attr_int('slot', 0, hi=0x1F):02x}.{a.attr_int('function', 0, hi=7):x}")
        return BlockSource(nvme_device=dev,
                           nvme_namespace=s.attr_int("namespace", 1, lo=1, hi=2**32 - 1))
    return BlockSource()


def read_source_extras(s: Reader, dtype: str) -> dict:
    """What a <source> says besides where the data is (libvirt 9.0's
    qemuBlockStorageSourceGetBackendProps): BlockSource fields to set."""
    s.attr("index")  # numbers the image for libvirt's block jobs; QEMU never sees it
    out: dict = {}
    proto = s.attr("protocol") if dtype == "network" else None
    if proto in _URL_PROTOCOLS:
        out["query"] = s.attr("query")
    if proto == "nbd":
        out["tls"] = s.attr_bool("tls")
        out["tls_hostname"] = s.attr("tlsHostname")
    if proto == "rbd":
        snap, conf = s.child("snapshot"), s.child("config")
        out["rbd_snapshot"] = snap.attr("name") if snap is not None else None
        out["rbd_conf"] = conf.attr("file") if conf is not None else None
    if proto == "iscsi":
        ini = s.child("initiator")
        iqn = ini.child("iqn") if ini is not None else None
        out["initiator"] = iqn.attr("name") if iqn is not None else None
    res = s.child("reservations")
    if res is not None:
        out["pr_managed"] = bool(res.attr_bool("managed"))
        sock = res.child("source")
        if sock is not None:
            sock.attr_choice("type", ("unix",))
            sock.attr_choice("mode", ("client",))
            out["pr_path"] = sock.attr("path")
    if dtype == "file":
        out["fdgroup"] = s.attr("fdgroup")
    for sl in s.children("seclabel"):
        sl.mark_all()
        sl.text("label")
        out["seclabel"] = True
    return {k: v for k, v in out.items() if v is not None}


def check_source_extras(what: str, src: BlockSource, span, diag) -> None:
    if src.pr_managed:
        diag.error("disk-reservations", f"{what}: <reservations managed='yes'> needs the "
                   "qemu-pr-helper process libvirt starts; domc starts no helpers: run one and "
                   "give its socket with <reservations managed='no'><source type='unix' "
                   "path=... mode='client'/>", span)
    if src.seclabel:
        diag.warning("disk-seclabel", f"{what}: the image's <seclabel> tells libvirt's "
                     "security driver how to relabel the file; domc changes no file labels",
                     span)
    if src.fdgroup is not None:
        diag.warning("disk-fdgroup", f"{what}: fdgroup '{src.fdgroup}' names file "
                     "descriptors libvirt's client hands over; domc has none, so QEMU opens "
                     f"{src.path} itself", span)


def _numeric_id(ident: Reader, name: str) -> int | None:
    """NFS identities are numeric ids written '+N' (libvirt resolves names on the host;
    a compile cannot)."""
    v = ident.attr(name)
    if v is None:
        return None
    if not (v.startswith("+") and v[1:].isdigit()):
        raise ident.error("nfs-identity", f"NFS {name} {v!r}: domc needs a numeric id written "
                          f"'+N' (looking up a {name} name needs the host's account database)")
    return int(v[1:])


# the libvirt secret type a protocol authenticates with: ceph for RBD, iscsi (libvirt's
# generic user/password secret) for every other protocol
AUTH_SECRET_CEPH, AUTH_SECRET_DEFAULT = "ceph", "iscsi"


def read_auth(auth: Reader, proto: str) -> tuple[str, SecretRef]:
    """<auth username=...><secret type=... usage=|uuid=/></auth>: the user and secret."""
    user = auth.require("username")
    secret = auth.child("secret")
    if secret is None:
        raise auth.error("disk-auth", "<auth> needs a <secret usage=... or uuid=...>")
    want = AUTH_SECRET_CEPH if proto == "rbd" else AUTH_SECRET_DEFAULT
    stype = secret.attr("type")
    if stype is None:
        raise secret.error("disk-auth", f"the <secret> of an {proto} <auth> needs type='{want}'")
    if stype != want:
        raise secret.error("disk-auth", f"secret type {stype!r} does not fit protocol '{proto}'; "
                           f"expected '{want}'")
    if secret.attr("usage") is None and secret.attr("uuid") is None:
        raise secret.error("disk-auth", "<secret> needs usage=... or uuid=...")
    return user, read_secret(secret, stype)


def _server(h: Host, proto: str) -> dict:
    if h.transport == "unix" or h.socket:
        return {"type": "unix", "path": h.socket}
    port = h.port if h.port is not None else _DEFAULT_PORTS.get(proto)
    return {"type": "inet", "host": h.name, "port": None if port is None else str(port)}


# protocols whose QEMU driver takes a user and a secret (qemuBlockStorageSourceGetBackendProps)
AUTH_PROTOCOLS = ("iscsi", "rbd", *_URL_PROTOCOLS)


def warn_credentials(what: str, src: BlockSource, span, diag) -> None:
    """A source with <auth username=...> whose QEMU driver takes no credentials."""
    if src.auth_user is not None and src.protocol not in AUTH_PROTOCOLS:
        diag.warning("disk-auth", f"{what}: QEMU's {src.protocol} driver takes no password; "
                     f"the <auth> of user '{src.auth_user}' is not used", span)


def secret_object(sid: str, ref: SecretRef, dirs: HostDirs) -> list[str]:
    """-object secret reading the secret from its file: the secret itself is never on
    the command line (libvirt passes it encrypted with a per-guest master key)."""
    return ["-object", qjson({"qom-type": "secret", "id": sid, "format": "raw",
                              "file": dirs.secret_file(ref)})]


def auth_props(src: BlockSource, secret_id: str | None) -> dict:
    """The user and the id of the secret object, as each driver names them."""
    if secret_id is None or src.auth_user is None or src.protocol not in AUTH_PROTOCOLS:
        return {}
    if src.protocol == "rbd":
        return {"user": src.auth_user, "auth-client-required": ["cephx", "none"],
                "key-secret": secret_id}
    if src.protocol == "iscsi":
        return {"user": src.auth_user, "password-secret": secret_id}
    return {"username": src.auth_user, "password-secret": secret_id}


def check_network_source(what: str, src: BlockSource, span, diag) -> None:
    """The checks protocol_node relies on, reported to ``diag``; ``what`` names the
    source's owner (a disk's describe(), or the NVRAM store)."""
    proto = src.protocol
    if not src.hosts and proto not in ("nbd", "rbd"):  # rbd may take its monitors from ceph.conf
        diag.error("disk-source", f"{what}: network source '{proto}' needs a <host>", span)
    elif not src.hosts and proto == "nbd":
        diag.error("disk-source", f"{what}: nbd source needs a <host>", span)
    elif proto not in COMPILED_PROTOCOLS:
        diag.error("unsupported-disk", f"{what}: network protocol '{proto}' is not supported "
                   "by domc yet", span)


def check_encryption(d, diag) -> None:
    """QEMU opens LUKS in a raw image (the luks driver) or inside qcow2: the disk's
    image and each backing layer."""
    images = [(d.source, d.format or "raw", d.span, "")]
    images += [(b.source, b.format, b.span, f" (backing image {n})")
               for n, b in enumerate(getattr(d, "backing", ()), 1)]
    for src, fmt, span, which in images:
        if src is not None and src.encryption is not None and fmt not in ("raw", "qcow2"):
            diag.error("disk-encryption", f"{d.describe()}{which}: LUKS encryption needs "
                       f"format 'raw' or 'qcow2', not {fmt!r}", span)


def check_disk_source(d, diag) -> None:
    """The checks storage_node relies on for disk ``d`` (its describe() and span name
    the errors)."""
    src: BlockSource | None = d.source
    if src is None or d.type == "vhostuser":
        return
    if d.type == "network":
        check_network_source(d.describe(), src, d.span, diag)
    elif d.type not in COMPILED_SOURCE_TYPES:
        diag.error("unsupported-disk", f"{d.describe()}: source type '{d.type}' needs a storage "
                   "daemon to resolve; domc compiles only file, block and network disks", d.span)


def protocol_node(src: BlockSource, secret_id: str | None = None) -> dict:
    """The storage node of a network source (checked by check_network_source), with its
    credentials when ``secret_id`` names the secret object of its <auth>."""
    return {**_protocol_node(src), **auth_props(src, secret_id)}


def _protocol_node(src: BlockSource) -> dict:
    proto = src.protocol
    assert src.hosts or proto in ("nbd", "rbd"), "checked by check_network_source"
    if proto == "nfs":
        node = {"driver": "nfs", "server": {"host": src.hosts[0].name, "type": "inet"},
                "path": src.name}
        if src.nfs_user is not None:
            node["user"] = src.nfs_user
        if src.nfs_group is not None:
            node["group"] = src.nfs_group
        return node
    if proto == "nbd":
        assert src.hosts, "checked by check_network_source"
        node = {"driver": "nbd", "server": _server(src.hosts[0], proto)}
        if src.name:
            node["export"] = src.name
        return node
    if proto in _URL_PROTOCOLS:
        h = src.hosts[0]
        port = f":{h.port}" if h.port else ""
        path = src.name or ""
        if not path.startswith("/"):
            path = "/" + path
        query = f"?{src.query}" if src.query else ""
        return {"driver": proto, "url": f"{proto}://{h.name}{port}{path}{query}"}
    if proto == "iscsi":
        target, _, lun = (src.name or "").partition("/")
        h = src.hosts[0]
        port = h.port or _DEFAULT_PORTS["iscsi"]
        return {"driver": "iscsi", "portal": f"{h.name}:{port}", "target": target,
                "lun": int(lun) if lun.isdigit() else 0, "transport": "tcp",
                "initiator-name": src.initiator}
    if proto == "rbd":
        pool, _, image = (src.name or "").partition("/")
        node = {"driver": "rbd", "pool": pool, "image": image, "snapshot": src.rbd_snapshot}
        servers = [{"host": h.name, "port": str(h.port or 6789)} for h in src.hosts if h.name]
        if servers:
            node["server"] = servers
        node["conf"] = src.rbd_conf
        return node
    if proto == "gluster":
        volume, _, path = (src.name or "").strip("/").partition("/")
        return {"driver": "gluster", "volume": volume, "path": path,
                "server": [_server(h, proto) for h in src.hosts]}
    assert proto == "ssh", f"protocol {proto!r}: checked by check_network_source"
    h = src.hosts[0]
    return {"driver": "ssh", "path": src.name,
            "server": {"host": h.name, "port": str(h.port or 22)}}


def storage_node(d, ctx: EmitCtx, secret_id: str | None = None) -> dict | None:
    """The protocol/storage node for a disk, or None for an empty drive (checked by
    check_disk_source)."""
    if d.source is None:
        return None
    return source_node(d.type, d.source, d.device, secret_id)


def source_node(dtype: str, src: BlockSource, device: str = "disk",
                secret_id: str | None = None) -> dict:
    """The storage node of one image of a disk (its top or a backing layer)."""
    if dtype == "file":
        # an fdgroup's descriptors are libvirt's client's: QEMU opens the path (warned)
        return {"driver": "file", "filename": src.path}
    if dtype == "block":
        return {"driver": "host_cdrom" if device == "cdrom" else "host_device",
                "filename": src.path}
    if dtype == "network":
        return protocol_node(src, secret_id)
    assert dtype == "nvme", f"source type {dtype!r}: checked by check_disk_source"
    return {"driver": "nvme", "device": src.nvme_device, "namespace": src.nvme_namespace}


_CACHE = {  # libvirt cache mode -> (cache.direct, cache.no-flush)
    "none": (True, False),
    "writeback": (False, False),
    "writethrough": (False, False),
    "directsync": (True, False),
    "unsafe": (False, True),
}
# formats that may have a backing image (libvirt: those after VIR_STORAGE_FILE_BACKING)
BACKING_FORMATS = ("cow", "qcow", "qcow2", "qed", "vmdk")


def _source_objects(src: BlockSource, sname: str, storage: dict) -> list[str]:
    """The objects a storage node refers to, written before it: NBD's TLS credentials
    (libvirt's default client directory, peers verified) and the socket of a
    persistent-reservation helper."""
    argv = []
    if src.tls:
        cid = f"obj{sname}_tls0"
        argv += ["-object", qjson({"qom-type": "tls-creds-x509", "id": cid,
                                   "dir": "/etc/pki/qemu", "endpoint": "client",
                                   "verify-peer": True})]
        storage["tls-creds"] = cid
        storage["tls-hostname"] = src.tls_hostname
    if src.pr_path is not None:
        pid = f"pr-helper-{sname}"
        argv += ["-object", qjson({"qom-type": "pr-manager-helper", "id": pid,
                                   "path": src.pr_path})]
        storage["pr-manager"] = pid
    return argv


def _image_nodes(d, n: int, dtype: str, src: BlockSource, fmt: str, readonly: bool,
                 top: bool, backing, dirs) -> list[str]:
    """-blockdev words of one image of disk ``d`` (node number ``n``), after the secret
    objects of its credentials and its LUKS passphrase: its storage node, a slice node
    when a non-raw format sits on a slice, and its format node, whose backing is
    ``backing`` (a node name, None for 'no backing', ... for QEMU's choice)."""
    sname, fname = f"libvirt-{n}-storage", f"libvirt-{n}-format"
    argv: list[str] = []
    auth_id = enc_id = None
    if src.auth_secret is not None and src.protocol in AUTH_PROTOCOLS:
        auth_id = f"{sname}-auth-secret0"
        argv += secret_object(auth_id, src.auth_secret, dirs)
    if getattr(src, "encryption", None) is not None:
        enc_id = f"{fname}-encryption-secret0"
        argv += secret_object(enc_id, src.encryption.secret, dirs)
    storage = source_node(dtype, src, d.device, auth_id)
    argv += _source_objects(src, sname, storage)
    # libvirt's order: the protocol's own properties (aio among them), then node-name,
    # cache, auto-read-only and discard (source_node made the dict for this image)
    if d.io in ("native", "threads", "io_uring") and dtype in ("file", "block"):
        storage["aio"] = d.io
    storage["node-name"] = sname
    cache = _CACHE.get(d.cache or "")
    if cache is not None:
        storage["cache"] = {"direct": cache[0], "no-flush": cache[1]}
    storage.update({"auto-read-only": True, "discard": "unmap"})
    if fmt == "aio":
        fmt = "raw"  # libvirt's old name for raw
    argv += ["-blockdev", qjson(storage)]
    # the format node in libvirt's order: node-name, read-only, discard, detect-zeroes,
    # cache; then the format (driver and its own properties) and the file below
    fnode = {"node-name": fname, "read-only": readonly}
    if d.discard in ("unmap", "ignore"):
        fnode["discard"] = d.discard
    if top and d.detect_zeroes in ("on", "unmap"):
        # QEMU unmaps zeroes only where discards are passed down; otherwise 'on'
        unmap = d.detect_zeroes == "unmap" and d.discard == "unmap"
        fnode["detect-zeroes"] = "unmap" if unmap else "on"
    if cache is not None:
        fnode["cache"] = storage["cache"]
    fnode["driver"] = fmt
    if enc_id is not None:
        assert fmt in ("raw", "qcow2"), "checked by check_encryption"
        if fmt == "raw":  # the LUKS layer is the format node
            fnode.update(driver="luks", **{"key-secret": enc_id})
        else:
            fnode["encrypt"] = {"format": "luks", "key-secret": enc_id}
    if src.slice is not None:
        offset, size = src.slice
        if fnode["driver"] == "raw":  # not a LUKS layer: the format node cuts the slice
            fnode.update(offset=offset, size=size)
        else:  # a raw slice node between the storage and the format layer
            slice_name = f"libvirt-{n}-slice-sto"
            argv += ["-blockdev", qjson({"driver": "raw", "node-name": slice_name,
                                         "offset": offset, "size": size, "file": sname,
                                         "auto-read-only": True, "discard": "unmap",
                                         "cache": storage.get("cache")})]
            sname = slice_name
    fnode["file"] = sname
    if backing is not ... and fmt in BACKING_FORMATS:
        fnode["backing"] = backing  # None: json null, no backing image
    # json.dumps, not qjson: a "backing" of None is JSON null, QEMU's "no backing image"
    return argv + ["-blockdev", json.dumps(fnode, separators=(",", ":"), ensure_ascii=False)]


def node_count(d) -> int:
    """The node numbers a disk takes: one per image, backing layers included."""
    return 1 + len(getattr(d, "backing", ()))


def blockdev_args(d, ctx: EmitCtx) -> tuple[list[str], str | None]:
    """-blockdev words for a disk, its backing chain bottom first, and the node name its
    -device refers to.  Node numbers count down from the last disk (libvirt numbers
    the images of the domain's disks from the last one, each disk top-down)."""
    storage = storage_node(d, ctx)
    if storage is None:
        ctx.blockdev_index -= node_count(d)  # an empty drive keeps its number (libvirt)
        return [], None
    layers = getattr(d, "backing", ())
    top = ctx.blockdev_index - len(layers)
    ctx.blockdev_index -= 1 + len(layers)
    argv: list[str] = []
    below = None if getattr(d, "backing_end", False) else ...
    for k in range(len(layers), 0, -1):  # the bottom layer first
        layer = layers[k - 1]
        argv += _image_nodes(d, top + k, layer.type, layer.source, layer.format, True, False,
                             below, ctx.dirs)
        below = f"libvirt-{top + k}-format"
    argv += _image_nodes(d, top, d.type, d.source, d.format or "raw",
                         d.readonly or d.device == "cdrom", True, below, ctx.dirs)
    return argv, f"libvirt-{top}-format"

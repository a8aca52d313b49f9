"""check_qemu_overrides: a <qemu:override> names a device by its QEMU id; once the ids
are assigned, an override whose id no device has changes nothing (libvirt passes
over it silently): a warning says so."""

from __future__ import annotations

from ..model import Domain
from ..qemu_namespace import check_overrides


def check_qemu_overrides(dom: Domain, env) -> Domain:
    if dom.qemu.overrides:
        ids = {d.alias for d in dom.devices if d.alias}
        # HDA codecs are devices of their own on the command line
        ids |= {f"{d.alias}-codec{n}" for d in dom.devices if d.kind_tag == "sound"
                for n in range(max(1, len(getattr(d, "codecs", ()))))}
        check_overrides(dom.qemu, ids, env.diag)
    return dom

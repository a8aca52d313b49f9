"""select_firmware: resolve <os firmware=...> against the profile's firmware descriptors.

libvirt 9.0 (qemu_firmware.c, domain_validate.c) first checks that the <os> element is
consistent, then walks QEMU's firmware descriptors in file-name order and takes the
first one whose interface, architecture/machine glob, flash mode and features fit
the domain.  The chosen firmware fills in <loader> and <nvram>; one that needs SMM
turns <smm> on (and makes the code flash 'secure', writable only from SMM).

Domains without firmware= keep their manual <loader>/<nvram>; they only get the
checks and the default NVRAM path libvirt gives a read-only pflash loader.

Deviation from libvirt 9.0: firmware='bios' with no BIOS descriptor in the profile
(Debian ships none) is an error in libvirt ("Unable to find any firmware to satisfy
'bios'"); domc uses QEMU's built-in SeaBIOS, the same binary, and warns.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from ..record import evolve

from ..model import Domain, FirmwareKind, Loader, MachineFamily
from ..runtime import unsafe_component

_INTERFACE = {FirmwareKind.EFI: "uefi", FirmwareKind.BIOS: "bios"}


def default_nvram_path(dom: Domain, env) -> str:
    """A domain's UEFI variable store: libvirt's <nvramDir>/<name>_VARS.fd, under
    domc's state directory (``--state-dir``)."""
    why = unsafe_component(dom.name)
    if why is not None:
        env.diag.error("unsafe-name", f"the domain name {why}; its UEFI variable store would "
                       "be named after it: give <nvram>PATH</nvram>", dom.os.nvram_span)
    return f"{env.dirs.nvram_dir()}/{dom.name}_VARS.fd"


def select_firmware(dom: Domain, env) -> Domain:
    if not _validate_os(dom, env):
        return dom
    if dom.os.firmware is None:
        return _manual(dom, env)
    candidates = env.profile.firmware
    done = _preselected(dom, candidates)
    if done is not None:
        candidates = (done,)
    elif not _validate_autoselection(dom, env):
        return dom
    fw = next((f for f in candidates if _matches(dom, f)), None)
    if fw is None:
        if dom.os.firmware is FirmwareKind.BIOS:
            env.diag.warning("firmware-builtin-bios",
                             "no BIOS firmware descriptor in the profile matches; QEMU's built-in "
                             "SeaBIOS is used (libvirt 9.0 would refuse this domain)", dom.os.span)
            return dom
        env.diag.error("no-firmware", _no_match_message(dom, env.profile.firmware), dom.os.span)
        return dom
    return _apply(dom, fw, env)


# --------------------------------------------------------------------------- validation


def _validate_os(dom: Domain, env) -> bool:
    """virDomainDefOSValidate plus qemu_validate's secure-boot checks."""
    o, loader, diag = dom.os, dom.os.loader, env.diag
    n = len(diag.errors)
    feats = {f.name: f for f in o.firmware_features}
    if o.firmware is None and o.firmware_features:
        diag.error("firmware-features-manual", "cannot use feature-based firmware autoselection "
                   "(<firmware><feature>) when firmware autoselection is disabled; add "
                   "firmware='efi' to <os>", o.firmware_features[0].span)
    elif ("enrolled-keys" in feats and feats["enrolled-keys"].enabled
          and "secure-boot" in feats and not feats["secure-boot"].enabled):
        diag.error("firmware-features", "firmware feature 'enrolled-keys' cannot be enabled when "
                   "firmware feature 'secure-boot' is disabled", feats["enrolled-keys"].span)
    if loader is not None and loader.stateless is True:
        if o.nvram_template is not None:
            diag.error("nvram-stateless", "NVRAM template is not permitted when loader is "
                       "stateless", o.nvram_span)
        elif o.nvram is not None or o.nvram_network:
            diag.error("nvram-stateless", "NVRAM is not permitted when loader is stateless",
                       o.nvram_span)
    elif loader is not None and loader.stateless is False:
        if o.firmware is None and loader.type != "pflash":
            diag.error("nvram-loader", "only a pflash loader permits NVRAM (stateless='no')",
                       loader.span)
        elif o.firmware is not None and o.firmware is not FirmwareKind.EFI:
            diag.error("nvram-loader", "only EFI firmware permits NVRAM (stateless='no')",
                       loader.span)
    if o.firmware is FirmwareKind.BIOS and (o.nvram is not None or o.nvram_network
                                            or o.nvram_template is not None):
        diag.error("nvram-bios", "firmware type 'bios' does not support nvram", o.nvram_span)
    if loader is not None and loader.secure is True:
        if o.family is not MachineFamily.Q35:
            diag.error("secure-boot-machine", "secure boot is supported with q35 machine types "
                       f"only, not {o.machine}", loader.span)
        elif o.firmware is None and dom.features.smm is not True:
            diag.error("secure-boot-smm", "secure boot (<loader secure='yes'>) requires "
                       "<smm state='on'/> in <features>", loader.span)
    return len(diag.errors) == n


def _validate_autoselection(dom: Domain, env) -> bool:
    """With firmware=, the loader may only say what to select, not what to use."""
    o, loader, diag = dom.os, dom.os.loader, env.diag
    n = len(diag.errors)
    if loader is not None:
        if loader.readonly is not None:
            diag.error("loader-autoselect", "loader attribute 'readonly' cannot be specified when "
                       "firmware autoselection is enabled", loader.span)
        elif loader.type is not None:
            diag.error("loader-autoselect", "loader attribute 'type' cannot be specified when "
                       "firmware autoselection is enabled", loader.span)
        elif loader.path is not None:
            diag.error("loader-autoselect", "a loader path cannot be given when firmware "
                       f"autoselection is enabled (firmware='{o.firmware.value}')", loader.span)
        elif loader.secure is False:
            diag.error("loader-autoselect", "loader attribute 'secure' cannot be specified when "
                       "firmware autoselection is enabled; use <firmware><feature "
                       "name='secure-boot' enabled='no'/>", loader.span)
    if o.nvram_template is not None:
        diag.error("loader-autoselect", "nvram attribute 'template' cannot be specified when "
                   "firmware autoselection is enabled", o.nvram_span)
    return len(diag.errors) == n


def _preselected(dom: Domain, firmware):
    """The descriptor a normalized domain already names: domc's normalized XML keeps
    firmware= and adds the chosen <loader>/<nvram> (as libvirt's live XML does), so
    compiling it again must accept exactly that loader."""
    loader = dom.os.loader
    if loader is None or loader.path is None:
        return None
    for fw in firmware:
        if (fw.executable == loader.path and loader.readonly in (None, True)
                and loader.type == ("pflash" if fw.device == "flash" else "rom")
                and dom.os.nvram_template in (None, fw.nvram_template)):
            return fw
    return None


# --------------------------------------------------------------------------- matching


def _wanted(dom: Domain) -> dict[str, bool]:
    """Feature requirements: <firmware><feature>, and <loader secure='yes'>."""
    want = {f.name: f.enabled for f in dom.os.firmware_features}
    if dom.os.loader is not None and dom.os.loader.secure is True:
        want.setdefault("secure-boot", True)
        want["requires-smm"] = True
    return want


def _matches(dom: Domain, fw) -> bool:
    """qemuFirmwareMatchDomain."""
    o, loader = dom.os, dom.os.loader
    if _INTERFACE[o.firmware] not in fw.interface_types:
        return False
    if not any(t.architecture == o.arch and any(fnmatchcase(o.machine or "", g) for g in t.machines)
               for t in fw.targets):
        return False
    stateless = loader is not None and loader.stateless is True
    if fw.device == "flash":
        if (fw.mode or "split") != ("stateless" if stateless else "split"):
            return False
        if loader is not None and loader.format is not None and fw.executable_format != loader.format:
            return False
    elif fw.device != "memory":
        return False  # 'kernel' firmware is for other architectures
    has = set(fw.features)
    return all((name in has) == on for name, on in _wanted(dom).items())


def _no_match_message(dom: Domain, firmware) -> str:
    o = dom.os
    asked = [f"{n}={'yes' if on else 'no'}" for n, on in sorted(_wanted(dom).items())]
    if o.loader is not None and o.loader.stateless is True:
        asked.append("stateless loader")
    if o.loader is not None and o.loader.format is not None:
        asked.append(f"format={o.loader.format}")
    tail = f" with {', '.join(asked)}" if asked else ""
    known = ", ".join(f.file for f in firmware) or "none"
    return (f"no firmware descriptor satisfies firmware='{o.firmware.value}' for {o.arch} machine "
            f"{o.machine}{tail}; descriptors in the profile: {known}")


# --------------------------------------------------------------------------- result


def _apply(dom: Domain, fw, env) -> Domain:
    o = dom.os
    old = o.loader or Loader(span=o.span)
    features = dom.features
    if "requires-smm" in fw.features:
        if features.smm is False:
            env.diag.error("firmware-smm", f"the chosen firmware {fw.file} requires SMM, but the "
                           "domain has <smm state='off'>", features.span)
            return dom
        features = evolve(features, smm=True)
    if fw.device == "memory":
        loader = evolve(old, path=fw.executable, type="rom")
        return evolve(dom, features=features,
                      os=evolve(o, loader=loader, firmware_file=fw.file))
    stateless = old.stateless is True
    loader = evolve(old, path=fw.executable, type="pflash", readonly=True,
                    secure=True if "requires-smm" in fw.features else old.secure,
                    format=old.format)
    nvram, template = o.nvram, None
    if not stateless:
        if not o.nvram_network:
            nvram = nvram or default_nvram_path(dom, env)
        template = fw.nvram_template
    return evolve(dom, features=features,
                  os=evolve(o, loader=loader, nvram=nvram, nvram_template=template,
                            firmware_file=fw.file))


def _manual(dom: Domain, env) -> Domain:
    """A read-only pflash loader gets a per-domain variable store unless stateless."""
    o, loader = dom.os, dom.os.loader
    if (loader is None or loader.type != "pflash" or loader.readonly is not True
            or loader.stateless is True or o.nvram is not None or o.nvram_network):
        return dom
    return evolve(dom, os=evolve(o, nvram=default_nvram_path(dom, env)))

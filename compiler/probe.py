"""Probe a QEMU binary over QMP and describe what it offers as a JSON profile.

The profile is the compiler's only knowledge of an emulator: machine types (with
their aliases and default CPU types), the named CPU models with the QEMU
properties each one turns on, the boolean properties of the CPU type (the
feature names ``-cpu MODEL,+f`` accepts: a feature not among them is refused), and
what each accelerator can give a guest (``accel_cpus``, host-model's source: TCG's
'max' always; KVM's 'host' when /dev/kvm works on the probing machine, which makes the
profile that machine's).  ``compiler/tables/qemu-7.2.json`` is this module's output
for Debian's QEMU 7.2 binary (without KVM's part), shipped as the embedded default.

QEMU runs paused, without devices or a display, under TCG with ``-machine none``
(the CPU model answers do not depend on a machine type there), and is told to
quit when the questions are answered.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile

from .diagnostics import Span, fail
from .inputs import check_executable, read_json_file
from .qmpclient import NON_FEATURE_PROPS, ask_kvm_host_cpu, expand_accel_cpu, stop

# Models without a definition of their own: the accelerator's CPU ('host') has
# nothing to expand under TCG.
_UNEXPANDABLE = ("host",)
_TIMEOUT = 60.0
DEFAULT_FIRMWARE_DIR = "/usr/share/qemu/firmware"


def _qemu_argv(emulator: str, sock: str) -> list[str]:
    return [
        emulator, "-S", "-nodefaults", "-nographic", "-display", "none",
        "-machine", "none", "-accel", "tcg", "-qmp", f"unix:{sock}",
    ]


def _machine_entry(m: dict) -> dict:
    cpu_type = m.get("default-cpu-type")
    if cpu_type and cpu_type.endswith("-x86_64-cpu"):
        cpu_type = cpu_type[: -len("-x86_64-cpu")]
    return {
        "name": m["name"],
        "alias": m.get("alias"),
        "is_default": bool(m.get("is-default", False)),
        "default_cpu_type": cpu_type,
        "max_cpus": m.get("cpu-max"),
        "deprecated": bool(m.get("deprecated", False)),
    }


def _model_entry(d: dict, static: dict | None) -> dict:
    entry = {
        "name": d["name"],
        "alias_of": d.get("alias-of"),
        "static": bool(d.get("static", False)),
        "migration_safe": bool(d.get("migration-safe", False)),
        "deprecated": bool(d.get("deprecated", False)),
        "unavailable_tcg": sorted(d.get("unavailable-features", [])),
    }
    if static is not None:
        props = static["model"]["props"]
        entry.update(
            vendor=props.get("vendor"),
            family=props.get("family"),
            model=props.get("model"),
            stepping=props.get("stepping"),
            model_id=props.get("model-id"),
            features=sorted(k for k, v in props.items() if v is True and k not in NON_FEATURE_PROPS),
        )
    return entry


# Boolean properties of every QOM device (and the CPU's cache-layout switch) that are
# not CPUID features; device-list-properties leaves them out, qom-list-properties not.
_NOT_FEATURE_BOOLS = ("hotpluggable", "hotplugged", "legacy-cache", "realized")


async def interrogate(execute) -> dict:
    """Ask an emulator the profile's questions and build the profile (without the
    firmware section).  ``execute(command, arguments)`` is an async function that
    returns QEMU's answer; it is QMP for a live binary (``probe``), or a recording of
    one (tools/profiles_from_replies.py) that answers None to a question it did not
    record: a model whose static expansion is unknown then carries no feature list."""
    version = await execute("query-version", None)
    arch = await execute("query-target", None)
    machines = await execute("query-machines", None)
    defs = await execute("query-cpu-definitions", None)
    props = await execute("qom-list-properties", {"typename": f"max-{arch['arch']}-cpu"})
    models = []
    for d in sorted(defs, key=lambda d: d["name"]):
        static = None
        if d["name"] not in _UNEXPANDABLE:
            static = await execute(
                "query-cpu-model-expansion", {"type": "static", "model": {"name": d["name"]}})
        models.append(_model_entry(d, static))
    # TCG's host-model source; its blockers are the models' unavailable_tcg, kept once
    tcg = await expand_accel_cpu(execute, "tcg", with_blockers=False)
    q = version["qemu"]
    profile = {
        "emulator_version": f"{q['major']}.{q['minor']}.{q['micro']}",
        "arch": arch["arch"],
        "machines": sorted((_machine_entry(m) for m in machines), key=lambda m: m["name"]),
        "cpu_models": models,
        # every boolean property of the CPU type: the feature names '-cpu M,+f' accepts
        "cpu_properties": sorted({p["name"] for p in props if p.get("type") == "bool"}
                                 - set(_NOT_FEATURE_BOOLS)),
    }
    if tcg is not None:
        profile["accel_cpus"] = [tcg]
    return profile


async def _ask(emulator: str) -> dict:
    from qemu.qmp import QMPClient

    with tempfile.TemporaryDirectory(prefix="domc-probe.") as tmp:
        sock = os.path.join(tmp, "qmp.sock")
        client = QMPClient("domc-probe")
        await client.start_server(sock)
        proc = subprocess.Popen(
            _qemu_argv(emulator, sock),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            await asyncio.wait_for(client.accept(), _TIMEOUT)

            async def execute(command: str, arguments: dict | None):
                return await client.execute(command, arguments)

            return await interrogate(execute)
        finally:
            await stop(client, proc)


def _firmware_entry(name: str, d: dict) -> dict:
    """One firmware descriptor (QEMU's docs/interop/firmware.json) as profile data."""
    mapping = d.get("mapping") or {}
    device = mapping.get("device")
    entry = {
        "file": name,
        "interface_types": list(d.get("interface-types", [])),
        "device": device,
        "targets": [{"architecture": t["architecture"], "machines": list(t.get("machines", []))}
                    for t in d.get("targets", [])],
        "features": sorted(d.get("features", [])),
    }
    if device == "flash":
        exe = mapping.get("executable") or {}
        tmpl = mapping.get("nvram-template")
        entry.update(
            mode=mapping.get("mode", "split"),
            executable=exe.get("filename"),
            executable_format=exe.get("format", "raw"),
            nvram_template=tmpl.get("filename") if tmpl else None,
            nvram_template_format=tmpl.get("format", "raw") if tmpl else None,
        )
    elif device in ("memory", "kernel"):
        entry["executable"] = mapping.get("filename")
    return entry


def read_firmware_dir(path: str) -> list[dict]:
    """The descriptors in ``path`` in file-name order (the order libvirt tries them).
    A directory that does not exist reads as none."""
    if not os.path.isdir(path):
        return []
    out = []
    for name in sorted(os.listdir(path)):
        if not name.endswith(".json"):
            continue
        full = os.path.join(path, name)
        d = read_json_file(full)
        try:
            out.append(_firmware_entry(name, d))
        except (KeyError, TypeError, AttributeError) as exc:
            raise fail("probe-firmware", f"not a firmware descriptor: {type(exc).__name__}: "
                       f"{exc}", Span(full)) from None
    return out


def probe(emulator: str, firmware_dir: str | None = DEFAULT_FIRMWARE_DIR) -> dict:
    """Run ``emulator`` and return its profile (a JSON-ready dict).  The firmware
    descriptors come from ``firmware_dir`` (None: no firmware section)."""
    check_executable(emulator)
    try:
        profile = asyncio.run(_ask(emulator))
    except (OSError, asyncio.TimeoutError) as exc:
        raise fail("probe-failed", f"probing failed: {str(exc) or type(exc).__name__}",
                   Span(emulator)) from None
    except Exception as exc:  # qemu.qmp raises its own hierarchy (QMPError, ExecuteError ...)
        raise fail("probe-failed", f"probing failed: {type(exc).__name__}: {exc}",
                   Span(emulator)) from None
    kvm = ask_kvm_host_cpu(emulator)
    if kvm is not None:  # this machine's KVM: host-model here
        profile.setdefault("accel_cpus", []).append(kvm)
    if firmware_dir is not None:
        profile["firmware"] = read_firmware_dir(firmware_dir)
    return profile


def dumps(profile: dict) -> str:
    return json.dumps(profile, indent=1, sort_keys=True) + "\n"

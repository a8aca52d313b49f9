"""``domc compile --format shell``: a runnable launcher that applies the plan.

The emulator's CPU set is applied before exec (``taskset -c``), so every QEMU
thread starts inside it.  vCPU and iothread threads are then re-pinned after
start: QEMU names them ``CPU <n>/<accel>`` and ``IO <iothread id>`` when
``-name ...,debug-threads=on`` is given (the launcher adds it if missing), and
the script finds them in ``/proc/$pid/task/*/comm``.  Memory binding needs no
step here: it is in the memory backends' ``host-nodes``/``policy``.

A guest with host needs (runtime.py) gets, before QEMU starts: a check that every
secret file is readable (the script never reads one), the user data created when
absent (UEFI variables copied from their template, TPM state by swtpm_setup) and
never overwritten, and its helpers started, each waited for until its socket
exists.  The helpers are stopped when QEMU exits (or the launcher is stopped).
"""

from __future__ import annotations

import os.path
import shlex

from ..runtime import SECRET_MISSING, STATE_TEMPLATE, secret_missing, template_missing
from .taskset import AffinityPlan, lifecycle_actions

HELPER_WAIT_TRIES = 400  # x 0.05 s: how long a helper may take to open its socket

_HELPERS = r"""
# pin_thread PATTERN CPUS: pin the QEMU thread whose name matches the glob PATTERN
pin_thread() {
    tries=0
    while [ "$tries" -lt 100 ]; do
        for task in /proc/"$pid"/task/*; do
            name=$(cat "$task/comm" 2>/dev/null) || continue
            case "$name" in
                $1) taskset -pc "$2" "${task##*/}" >/dev/null; return 0 ;;
            esac
        done
        kill -0 "$pid" 2>/dev/null || return 1
        tries=$((tries + 1))
        sleep 0.05
    done
    echo "domc: no QEMU thread named '$1'" >&2
    return 1
}
""".strip("\n")

_SERVICES = r"""
# helpers: started before QEMU, stopped when it exits (or this script is stopped)
helpers=
pid=
stop_helpers() {
    # a QEMU still running in the background (this script was stopped) goes first
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || :; fi
    for h in $helpers; do kill "$h" 2>/dev/null || :; done
    for h in $helpers; do wait "$h" 2>/dev/null || :; done
}
trap stop_helpers EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
# start_helper SOCKET LOG COMMAND...: start a helper, wait until it listens on SOCKET
start_helper() {
    sock=$1 log=$2
    shift 2
    if [ -S "$sock" ]; then rm -f "$sock"; fi  # left behind by an earlier run
    "$@" >>"$log" 2>&1 </dev/null &
    h=$!
    helpers="$helpers $h"
    tries=0
    until [ -S "$sock" ]; do
        if ! kill -0 "$h" 2>/dev/null; then
            echo "domc: $1 exited before it opened $sock (its log: $log)" >&2
            exit 1
        fi
        tries=$((tries + 1))
        if [ "$tries" -ge @TRIES@ ]; then
            echo "domc: $1 did not open $sock (its log: $log)" >&2
            exit 1
        fi
        sleep 0.05
    done
}
""".strip("\n").replace("@TRIES@", str(HELPER_WAIT_TRIES))


def with_debug_threads(argv: list[str]) -> list[str]:
    """argv with ``debug-threads=on`` in ``-name`` (added when absent)."""
    out = list(argv)
    for i, arg in enumerate(out[:-1]):
        if arg == "-name":
            if "debug-threads=" not in out[i + 1]:
                value = out[i + 1]
                if "=" not in value.split(",")[0]:
                    value = "guest=" + value
                out[i + 1] = value + ",debug-threads=on"
            return out
    return out[:1] + ["-name", "guest=domc,debug-threads=on"] + out[1:]


# free_port FIRST LAST [TAKEN...]: the first TCP port from FIRST to LAST, none of TAKEN,
# that nothing listens on (the test domc run makes: bind the IPv4 and IPv6 wildcard)
_FREE_PORT = r"""
free_port() {
    python3 - "$@" <<'PY'
import errno, socket, sys
first, last, taken = int(sys.argv[1]), int(sys.argv[2]), set(map(int, sys.argv[3:]))
def free(port):
    for fam, addr in ((socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")):
        try:
            s = socket.socket(fam, socket.SOCK_STREAM)
        except OSError:
            continue
        with s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                s.bind((addr, port))
            except OSError as e:
                if e.errno == errno.EADDRINUSE:
                    return False
    return True
port = next((p for p in range(first, last + 1) if p not in taken and free(p)), None)
if port is None:
    sys.exit(f"domc: no free TCP port from {first} to {last}")
print(port)
PY
}
""".strip("\n")


# free_cid FIRST [TAKEN...]: the first vsock guest CID from FIRST, none of TAKEN, that
# the host kernel has not given out (set on a /dev/vhost-vsock descriptor of our own,
# as domc run and libvirt test it)
_FREE_CID = r"""
free_cid() {
    python3 - "$@" <<'PY'
import errno, fcntl, os, struct, sys
first, taken = int(sys.argv[1]), set(map(int, sys.argv[2:]))
try:
    fd = os.open("/dev/vhost-vsock", os.O_RDWR)
except OSError as e:
    sys.exit(f"domc: cannot open /dev/vhost-vsock to choose a vsock guest CID: {e.strerror} "
             "(is the vhost_vsock module loaded?)")
for cid in range(first, 2**32 - 1):
    if cid in taken:
        continue
    try:
        fcntl.ioctl(fd, 0x4008AF60, struct.pack("=Q", cid))  # VHOST_VSOCK_SET_GUEST_CID
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            continue
        sys.exit(f"domc: cannot choose a vsock guest CID: {e.strerror}")
    print(cid)
    break
else:
    sys.exit("domc: no free vsock guest CID")
PY
}
""".strip("\n")


def _quote_with_ports(word: str, ports: dict[str, str]) -> str:
    """``word`` shell-quoted, with each ``KEY N`` text of ``ports`` (text -> variable;
    ``key=N`` in a QEMU option, ``"guest-cid":N`` in JSON) taking the variable's value
    instead of the number N."""
    out, rest = "", word
    for text, var in ports.items():
        before, _, rest = rest.partition(text)
        out += shlex.quote(before + text.rstrip("0123456789")) + f'"${{{var}}}"'
    return out + (shlex.quote(rest) if rest else "")


def _port_steps(argv: list[str], autoports) -> tuple[list[str], dict[int, dict[str, str]]]:
    """Shell lines choosing each port, and per argv index the texts they replace."""
    lines, subst, taken = [], {}, ""
    for n, ap in enumerate(autoports):
        var = f"port{n}"
        avoid = "".join(f" {p}" for p in ap.avoid)
        lines.append(f"{var}=$(free_port {ap.first} {ap.last}{taken}{avoid})")
        taken += f' "${var}"'
        at = argv.index(ap.option) + 1
        subst.setdefault(at, {})[f"{ap.key}={ap.placeholder}"] = var
    return lines, subst


def _cid_steps(argv: list[str], autocids, subst: dict) -> list[str]:
    """Shell lines choosing each vsock guest CID; ``subst`` gets the texts they replace."""
    lines, taken = [], ""
    for n, ac in enumerate(autocids):
        var = f"cid{n}"
        lines.append(f"{var}=$(free_cid {ac.first}{taken})")
        taken += f' "${var}"'
        at = next(i for i, w in enumerate(argv) if i and argv[i - 1] == "-device"
                  and w.startswith("{") and f'"id":"{ac.device}"' in w)
        subst.setdefault(at, {})[f'"guest-cid":{ac.placeholder}'] = var
    return lines


def _q(words) -> str:
    return " ".join(shlex.quote(w) for w in words)


def _refuse(where, code: str, message: str) -> str:
    line = f"{where}: error[{code}]: {message}"
    return f"{{ echo {shlex.quote(line)} >&2; exit 2; }}"


def host_steps(plan: AffinityPlan) -> list[str]:
    """The launcher lines that prepare the host: secrets, user data, helpers."""
    lines = []
    if plan.secrets:
        lines.append("# secrets: files QEMU and its helpers read; this script only checks them")
    for n in plan.secrets:
        lines.append(f"[ -r {shlex.quote(n.secret.file)} ] || "
                     + _refuse(n.where, SECRET_MISSING, secret_missing(n)))
    files = [f for f in plan.state if f.made_by is None]
    if plan.state:
        lines.append("# user data: created when absent, never overwritten")
    for f in plan.state:
        if f.made_by is not None:
            lines.append(f"# {f.what}: {f.path} (made by {f.made_by})")
    for f in files:
        path = shlex.quote(f.path)
        lines.append(f"# {f.what}: {f.path}")
        if f.template is None:
            lines.append(f"[ -e {path} ] || "
                         + _refuse(f.where, STATE_TEMPLATE, template_missing(f)))
            continue
        lines += [f"if [ ! -e {path} ]; then",
                  f"    [ -r {shlex.quote(f.template)} ] || "
                  + _refuse(f.where, STATE_TEMPLATE, template_missing(f)),
                  f"    mkdir -p {shlex.quote(os.path.dirname(f.path))}",
                  f"    cp -n {shlex.quote(f.template)} {path}",
                  "fi"]
    if plan.files:
        lines.append("# files QEMU reads whose content is in the domain XML: written anew")
    for f in plan.files:
        lines += [f"# {f.what}",
                  f"mkdir -p -m 0700 {shlex.quote(os.path.dirname(f.path))}",
                  f"(umask 077 && printf %s {shlex.quote(f.content)} > {shlex.quote(f.path)})"]
    if not plan.helpers:
        return lines
    lines.append(_SERVICES)
    dirs = dict.fromkeys(os.path.dirname(p) for h in plan.helpers for p in (h.socket, h.log))
    lines += [f"mkdir -p -m 0700 {shlex.quote(d)}" for d in dirs]
    for h in plan.helpers:
        lines.append(f"# {h.kind} for {h.device} ({h.where})")
        if h.setup is not None:
            state = os.path.dirname(h.setup.creates)
            lines += [f"if [ ! -e {shlex.quote(h.setup.creates)} ]; then",
                      f"    mkdir -p -m 0700 {shlex.quote(state)}",
                      f"    {_q(h.setup.argv)} >/dev/null",
                      "fi"]
        lines.append(f"start_helper {shlex.quote(h.socket)} {shlex.quote(h.log)} {_q(h.argv)}")
    return lines


def lifecycle_argv(argv: list[str], plan: AffinityPlan) -> tuple[list[str], list[str]]:
    """The command line with the domain's lifecycle actions in QEMU's own options, for
    a launcher that does not watch the monitor (libvirt's daemon, and ``domc run``, act
    on QEMU's events instead): -no-shutdown goes for on_poweroff='destroy' (QEMU exits
    when the guest powers off), -no-reboot comes for on_reboot='destroy',
    on_crash='preserve' is QEMU's panic=pause, and a panic that destroys the guest
    while -no-shutdown stays is panic=exit-failure.  Returns (argv, comment lines for the
    actions QEMU cannot take itself)."""
    actions = lifecycle_actions(plan)
    notes = []
    out = list(argv)
    if actions["on_poweroff"] == "destroy":
        out = [a for a in out if a != "-no-shutdown"]
    else:
        notes.append("# on_poweroff='restart' needs a monitor (domc run): here QEMU stops "
                     "when the guest powers off")
    if actions["on_reboot"] == "destroy":
        out.append("-no-reboot")
    if actions["on_crash"] == "preserve":
        out += ["-action", "panic=pause"]
    elif actions["on_crash"] in ("destroy", "coredump-destroy") and "-no-shutdown" in out:
        # QEMU's default panic action shuts down, which -no-shutdown turns into a pause
        out += ["-action", "panic=exit-failure"]
    elif actions["on_crash"] in ("restart", "coredump-restart"):
        notes.append(f"# on_crash='{actions['on_crash']}' needs a monitor (domc run): here "
                     "QEMU stops when the guest panics")
    return out, notes


def shell_launcher(argv: list[str], plan: AffinityPlan, env=(), autoports=(),
                   autocids=()) -> str:
    argv, lifecycle_notes = lifecycle_argv(with_debug_threads(argv), plan)
    port_lines, subst = _port_steps(argv, autoports)
    cid_lines = _cid_steps(argv, autocids, subst)
    cmd = " ".join(_quote_with_ports(a, subst[i]) if i in subst else shlex.quote(a)
                   for i, a in enumerate(argv))
    if env:
        cmd = "env " + " ".join(shlex.quote(f"{k}={v}") for k, v in env) + " " + cmd
    lines = ["#!/bin/sh", "# generated by domc: start QEMU with the affinity plan applied", "set -eu"]
    lines += lifecycle_notes
    if port_lines:
        lines += ["# the ports QEMU cannot choose itself (SPICE, VNC websocket)", _FREE_PORT]
        lines += port_lines
    if cid_lines:
        lines += ["# the vsock guest CIDs the host kernel hands out (<cid auto='yes'>)",
                  _FREE_CID]
        lines += cid_lines
    if plan.emulator is not None:
        lines.append(f"# emulator threads: CPUs {plan.emulator} (set before exec)")
        cmd = f"taskset -c {plan.emulator} {cmd}"
    steps = []
    for v in plan.vcpus:
        if v.cpus is not None and v.online and v.cpus != plan.emulator:
            steps.append(f"pin_thread 'CPU {v.id}/*' {v.cpus}")
    for t in plan.iothreads:
        if t.cpus is not None and t.cpus != plan.emulator:
            steps.append(f"pin_thread 'IO iothread{t.id}' {t.cpus}")
    if plan.memory is not None:
        lines.append(f"# memory: {plan.memory.mode.value} on host nodes {plan.memory.nodes} (in the backends)")
    lines += host_steps(plan)
    if not steps:
        # with helpers QEMU runs in the foreground: the helpers stop when it exits
        lines.append(cmd if plan.helpers else f"exec {cmd}")
        return "\n".join(lines) + "\n"
    lines += [_HELPERS, f"{cmd} &", "pid=$!", "# post-start pinning"]
    lines += steps
    lines += ['wait "$pid"']
    return "\n".join(lines) + "\n"

"""``domc run``'s side of the plan's host needs (runtime.py): the secrets checked,
the user data created when absent, the helpers started before QEMU and stopped
after it.  The shell launcher (emit/shell.py) does the same in sh."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time

from ..diagnostics import Diagnostic, DomcError, fail
from ..emit.taskset import AffinityPlan
from ..runtime import SECRET_MISSING, STATE_TEMPLATE, Helper, secret_missing, template_missing

HOST_DIR = "host-dir"
HELPER_TIMEOUT = 20.0
STOP_GRACE = 5.0


def check_secrets(plan: AffinityPlan) -> None:
    """Every secret file the guest needs is readable (its content is never read)."""
    missing = [Diagnostic(SECRET_MISSING, secret_missing(n), n.where) for n in plan.secrets
               if not os.access(n.secret.file, os.R_OK)]
    if missing:
        raise DomcError(missing)


def prepare_state(plan: AffinityPlan) -> list[str]:
    """Create the user data that is absent from its template; never touch what exists.
    Returns the files created."""
    made = []
    for f in plan.state:
        if f.made_by is not None or os.path.lexists(f.path):
            continue
        if f.template is None or not os.access(f.template, os.R_OK):
            raise fail(STATE_TEMPLATE, template_missing(f), f.where)
        try:
            os.makedirs(os.path.dirname(f.path), exist_ok=True)
            with open(f.template, "rb") as src, open(f.path, "xb") as dst:  # x: never overwrite
                shutil.copyfileobj(src, dst)
        except OSError as exc:
            raise fail(HOST_DIR, f"{f.what}: cannot create {f.path} from {f.template}: "
                       f"{exc.strerror} (another place: --state-dir)", f.where) from None
        made.append(f.path)
    return made


def write_files(plan: AffinityPlan) -> list[str]:
    """Write the files QEMU reads whose content the XML holds, anew, owner-only.
    Returns the files written."""
    done = []
    for f in plan.files:
        try:
            os.makedirs(os.path.dirname(f.path), mode=0o700, exist_ok=True)
            fd = os.open(f.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(f.content)
        except OSError as exc:
            raise fail(HOST_DIR, f"{f.what}: cannot write {f.path}: {exc.strerror} (another "
                       "place: --run-dir)", f.where) from None
        done.append(f.path)
    return done


class Helpers:
    """The plan's helpers, started in order (``with Helpers(plan):``), each waited for
    until it listens on its socket, and stopped when the block ends."""

    def __init__(self, plan: AffinityPlan):
        self.plan = plan
        self.procs: list[tuple[Helper, subprocess.Popen]] = []

    def __enter__(self) -> "Helpers":
        try:
            for h in self.plan.helpers:
                self._start(h)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start(self, h: Helper) -> None:
        for d in dict.fromkeys(os.path.dirname(p) for p in (h.socket, h.log)):
            _makedirs(d, h, "--run-dir")
        if h.setup is not None and not os.path.exists(h.setup.creates):
            _makedirs(os.path.dirname(h.setup.creates), h, "--state-dir")
            done = self._run_setup(h)
            if done.returncode != 0:
                raise fail("helper-setup", f"{h.kind} for {h.device}: {h.setup.argv[0]} failed "
                           f"(status {done.returncode}): {_tail(done.stderr)}", h.where)
        if _is_socket(h.socket):
            os.unlink(h.socket)  # left behind by an earlier run
        with open(h.log, "ab") as log:
            try:
                proc = subprocess.Popen(list(h.argv), stdin=subprocess.DEVNULL, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as exc:
                raise fail("helper-missing", f"{h.kind} for {h.device}: cannot run "
                           f"{h.argv[0]}: {exc.strerror}", h.where) from None
        self.procs.append((h, proc))
        deadline = time.monotonic() + HELPER_TIMEOUT
        while not _is_socket(h.socket):
            if proc.poll() is not None:
                raise fail("helper-exited", f"{h.kind} for {h.device} exited with status "
                           f"{proc.returncode} before it opened {h.socket}: "
                           f"{_tail(_read(h.log))}", h.where)
            if time.monotonic() > deadline:
                raise fail("helper-timeout", f"{h.kind} for {h.device} did not open "
                           f"{h.socket} in {HELPER_TIMEOUT:.0f}s (its log: {h.log})", h.where)
            time.sleep(0.02)

    @staticmethod
    def _run_setup(h: Helper) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(list(h.setup.argv), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as exc:
            raise fail("helper-missing", f"{h.kind} for {h.device}: cannot run "
                       f"{h.setup.argv[0]}: {exc.strerror}", h.where) from None

    def running(self) -> list[tuple[Helper, int | None]]:
        """(helper, its exit status or None while it runs)."""
        return [(h, p.poll()) for h, p in self.procs]

    def stop(self) -> None:
        for _, proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for _, proc in self.procs:
            try:
                proc.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []


def helper_mismatches(qmp, plan: AffinityPlan) -> list[str]:
    """What ``--check`` finds wrong with the helpers of a started guest: each helper's
    chardev must be connected and its device present; an emulated TPM must show in
    QMP's query-tpm.  ``qmp(*commands)`` returns their results."""
    if not plan.helpers:
        return []
    chardevs, peripherals, tpms = qmp(
        "query-chardev", ("qom-list", {"path": "/machine/peripheral"}), "query-tpm")
    connected = {c["label"]: not c["filename"].startswith("disconnected") for c in chardevs}
    present = {p["name"] for p in peripherals}
    tpm = {t["id"]: t for t in tpms}  # by the -tpmdev id, tpm-<device id>
    out = []
    for h in plan.helpers:
        if not connected.get(h.chardev, False):
            out.append(f"{h.kind} for {h.device}: chardev {h.chardev} is not connected to "
                       f"{h.socket}")
        if h.device not in present:
            out.append(f"{h.kind} for {h.device}: QEMU has no device {h.device}")
        if h.kind == "swtpm" and tpm.get(f"tpm-{h.device}", {}).get("options", {}).get(
                "type") != "emulator":
            out.append(f"swtpm for {h.device}: query-tpm shows no emulated TPM {h.device}")
    return out


def _makedirs(path: str, h: Helper, option: str) -> None:
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise fail(HOST_DIR, f"{h.kind} for {h.device}: cannot create {path}: {exc.strerror} "
                   f"(another place: {option})", h.where) from None


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def _tail(data: bytes | None, n: int = 300) -> str:
    text = " ".join((data or b"").decode(errors="replace").split())
    return text[-n:] or "no output"

"""What a guest needs on the host besides QEMU: helper processes, secrets, user data.

libvirt serves a TPM emulator, virtiofs and vhost-user video by starting helpers
(swtpm, virtiofsd, vhost-user-gpu) and encrypted or authenticated disks from its
secret store.  domc starts nothing while it compiles: the compile derives every
path from the domain's name (or uuid) under directories the user can set, names
them in the argv, and lists them in the plan; ``domc run`` and the shell launcher
start the helpers and check the secrets.

  run dir      ``--run-dir`` (/run/domc): sockets and logs, one directory per domain
  state dir    ``--state-dir`` (/var/lib/domc): TPM state, UEFI variables (user data:
               created when absent, never overwritten)
  secrets dir  ``--secrets-dir`` (the state dir's ``secrets/``): one file per secret,
               named by its uuid (or its type and usage); ``--secret KEY=FILE`` names
               one file directly.  A compile never reads a secret, only its path.
"""

from __future__ import annotations

import os.path
import urllib.parse

from .record import field, frozen

from .diagnostics import NOWHERE, Span

DEFAULT_RUN_DIR = "/run/domc"
DEFAULT_STATE_DIR = "/var/lib/domc"


@frozen
class HostDirs:
    """Where the host files of compiled guests live (see the module doc)."""

    run_dir: str = DEFAULT_RUN_DIR
    state_dir: str = DEFAULT_STATE_DIR
    secrets_dir: str | None = None  # None: <state_dir>/secrets
    secrets: tuple[tuple[str, str], ...] = ()  # --secret KEY=FILE, KEY a uuid or usage

    @property
    def secrets_root(self) -> str:
        return self.secrets_dir or os.path.join(self.state_dir, "secrets")

    def domain_run_dir(self, name: str) -> str:
        """Sockets, pid and log files of one domain's helpers."""
        return os.path.join(self.run_dir, name)

    def nvram_dir(self) -> str:
        return os.path.join(self.state_dir, "nvram")

    def tpm_state_dir(self, name: str, uuid: str | None, version: str) -> str:
        """libvirt's <swtpm storage>/<uuid>/tpm2 layout; the name stands in for a
        domain without a uuid."""
        return os.path.join(self.state_dir, "swtpm", uuid or name,
                            "tpm2" if version == "2.0" else "tpm1.2")

    def secret_file(self, ref: "SecretRef") -> str:
        """The file QEMU (or a helper) reads the secret from: ``--secret`` first, then
        the secrets directory (by uuid, else by type and usage, percent-encoded so
        that no usage leaves the directory)."""
        given = dict(self.secrets)
        for key in (ref.uuid, ref.usage):
            if key is not None and key in given:
                return given[key]
        if ref.uuid is not None:
            return os.path.join(self.secrets_root, ref.uuid)
        quoted = urllib.parse.quote(ref.usage or "", safe="")
        return os.path.join(self.secrets_root, f"{ref.type}-{quoted}")


def unsafe_component(name: str, comma: bool = False) -> str | None:
    """Why ``name`` cannot be one directory or file name under another (None: it can);
    with ``comma``, in a path swtpm takes: its options have no escape for a comma."""
    if name in ("", ".", ".."):
        return f"{name!r} names no directory of its own"
    if "/" in name or "\0" in name:
        return f"{name!r} contains '/'"
    if comma and "," in name:
        return f"{name!r} contains ',' (swtpm's options cannot carry one)"
    return None


@frozen
class SecretRef:
    """<secret type=... uuid=|usage=...> of an <encryption> or <auth>: which secret,
    and (filled by assign_host_files) the file it is read from."""

    type: str
    uuid: str | None = None
    usage: str | None = None
    file: str | None = None
    span: Span = field(default=NOWHERE, eq=False, repr=False, kw_only=True)

    def describe(self) -> str:
        return f"secret {self.uuid}" if self.uuid else f"{self.type} secret '{self.usage}'"


@frozen
class SecretNeed:
    """A secret the guest needs at start: for whom (``what``, a disk's describe()),
    where in the XML, and the file that must exist."""

    what: str
    secret: SecretRef
    where: Span = NOWHERE


@frozen
class Setup:
    """A command that creates user data when ``creates`` is absent (swtpm_setup)."""

    creates: str
    argv: tuple[str, ...]


@frozen
class Helper:
    """A process that must run before QEMU starts and stop when it exits.

    kind      swtpm, virtiofsd or vhost-user-gpu
    device    the QEMU id of the device it serves
    argv      its command line
    socket    the unix socket it listens on (QEMU connects to it)
    log       where its output goes
    setup     what must exist before it starts, and how it is made
    chardev   the id of the QEMU chardev connected to the socket (``domc run
              --check`` asks QMP whether it is)
    """

    kind: str
    device: str
    argv: tuple[str, ...]
    socket: str
    log: str
    setup: Setup | None = None
    where: Span = NOWHERE
    chardev: str = ""  # the QEMU chardev that connects to ``socket``


@frozen
class StateFile:
    """User data a guest keeps between runs (TPM state, UEFI variables): created when
    absent (from ``template``, or by the helper's setup), never overwritten."""

    what: str
    path: str
    template: str | None = None
    where: Span = NOWHERE
    made_by: str | None = None  # the helper whose setup creates it (None: a file)


@frozen
class GuestFile:
    """A file QEMU reads whose content is in the domain XML (a SEV guest owner's
    Diffie-Hellman certificate and launch session): the launchers write it, anew at
    every start, readable by its owner only, before QEMU starts."""

    what: str
    path: str
    content: str
    where: Span = NOWHERE


# what ``domc run`` and the shell launcher say when the host lacks something (one
# wording, one code, in both)
SECRET_MISSING = "secret-missing"
STATE_TEMPLATE = "state-template"


def secret_missing(n: SecretNeed) -> str:
    return (f"{n.what}: {n.secret.describe()} is not readable at {n.secret.file} (put the "
            "secret there, or name its file with --secret KEY=FILE)")


def template_missing(f: StateFile) -> str:
    if f.template is None:
        return f"{f.what}: {f.path} does not exist and there is no template to create it from"
    return f"{f.what}: {f.path} does not exist and its template {f.template} is not readable"

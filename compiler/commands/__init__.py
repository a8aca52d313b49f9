"""One module per ``domc`` subcommand, registered in :data:`COMMAND_MODULES`.

Each module defines ``NAME`` (the subcommand: the module name with ``_`` written
``-``), ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.  A
module may raise :class:`compiler.diagnostics.DomcError`; the CLI renders it and
exits 2.

Registering a command is one line in the table below: ``(module, help)``, the help
being the module's ``HELP`` word for word.  ``domc --help`` is written from this
table alone and the CLI imports only the module of the command that runs, so a
command costs nothing to the others at start-up.  ``tests/test_cli.py`` checks
every line against its module (name, help) and that every module here has a line.
(A bare module name still works, but then ``domc --help`` has to import that
module for its help; the test asks for the pair.)
"""

# (module, help), in the order of `domc --help`.
COMMAND_MODULES = (
    ("compile", "compile domain XML files to QEMU command lines"),
    ("explain", "show where every argument of the command line comes from (XML line or rule)"),
    ("normalize", "print the domain XML with machine, controllers, addresses and aliases filled in"),
    ("validate", "check domain XML files (or directories of them): every error and warning, "
                 "exit 0 when all are good"),
    ("snapshot", "compare every domain XML below DIR with its golden NAME.args (or NAME.err); "
                 "--update writes them"),
    ("lock", "write every guest-visible fact of a compile (machine, CPU, addresses, ids, MACs) "
             "as a reviewable JSON lockfile"),
    ("abi_diff", "list what the guest sees change between two domains, lockfiles, or one domain "
                 "under two QEMU versions; exit 0 identical, 1 different"),
    ("matrix", "compile a domain against every embedded QEMU profile: per version, whether it "
               "compiles and what the guest sees change from the lockfile's (or the newest) "
               "version"),
    ("probe", "run a QEMU binary over QMP and print its capability profile (JSON)"),
    ("host_cpu", "decode the host CPU (or a CPUID dump) into <cpu> XML: model, vendor, extra "
                 "features"),
    ("capabilities", "print host capabilities XML: host CPU, NUMA topology, guest machine types"),
    ("cpu_compare", "compare a <cpu> with the host CPU: IDENTICAL, SUPERSET or INCOMPATIBLE "
                    "(exit 0/0/1)"),
    ("cpu_baseline", "print the lowest common denominator <cpu> of the <cpu> elements in "
                     "FILE..."),
    ("cpu_matrix", "fleet CPU view of recorded hosts: can a host-model guest of A run on B, "
                   "compatibility classes, and the best common <cpu> (as cpu-baseline)"),
    ("migrate_check", "check offline whether a domain's CPU and machine type can migrate to "
                      "recorded hosts: OK / INCOMPATIBLE per host with the missing features "
                      "(exit 0 all OK, 1 otherwise)"),
    ("nodeinfo", "show host CPU model, CPU count, topology, NUMA cells and memory"),
    ("freecell", "show free memory of one host NUMA cell, of all of them, or in total"),
    ("run", "launch the guest with pinning applied and its helpers (swtpm, virtiofsd, "
            "vhost-user-gpu) started; --check verifies it against the plan and stops"),
    ("vcpupin", "pin a running guest's vCPU to a host CPU set (vcpupin GUEST VCPU CPULIST), or "
                "show the pinning"),
    ("vcpuinfo", "show a running guest's vCPU threads: thread id, current CPU, affinity"),
    ("completion", "print a bash or zsh completion script for domc"),
)


def command_table() -> list[tuple[str, str, str | None]]:
    """(command name, module, help or None when the line is a bare module name)."""
    out = []
    for entry in COMMAND_MODULES:
        module, help_ = entry if isinstance(entry, tuple) else (entry, None)
        out.append((module.replace("_", "-"), module, help_))
    return out

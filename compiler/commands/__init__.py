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
    ("normalize", "print the domain XML with machine, controllers, addresses and aliases filled in"),
    ("validate", "check that domain XML files compile; exit 0 when all are good"),
    ("probe", "run a QEMU binary over QMP and print its capability profile (JSON)"),
    ("host_cpu", "decode the host CPU (or a CPUID dump) into <cpu> XML: model, vendor, extra "
                 "features"),
    ("capabilities", "print host capabilities XML: host CPU, NUMA topology, guest machine types"),
    ("cpu_compare", "compare a <cpu> with the host CPU: IDENTICAL, SUPERSET or INCOMPATIBLE "
                    "(exit 0/0/1)"),
    ("cpu_baseline", "print the lowest common denominator <cpu> of the <cpu> elements in "
                     "FILE..."),
    ("nodeinfo", "show host CPU model, CPU count, topology, NUMA cells and memory"),
    ("freecell", "show free memory of one host NUMA cell, of all of them, or in total"),
    ("run", "launch the guest with pinning applied; --check verifies it against the plan and "
            "stops"),
    ("vcpupin", "pin a running guest's vCPU to a host CPU set, or show the pinning"),
    ("vcpuinfo", "show a running guest's vCPU threads: thread id, current CPU, affinity"),
)


def command_table() -> list[tuple[str, str, str | None]]:
    """(command name, module, help or None when the line is a bare module name)."""
    out = []
    for entry in COMMAND_MODULES:
        module, help_ = entry if isinstance(entry, tuple) else (entry, None)
        out.append((module.replace("_", "-"), module, help_))
    return out

"""One module per ``domc`` subcommand.

Each module defines ``NAME`` (the subcommand), ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``.  A module may raise
:class:`compiler.diagnostics.DomcError`; the CLI renders it and exits 2.
"""

# Order is the order of `domc --help`.
COMMAND_MODULES = (
    "compile",
    "explain",
    "normalize",
    "validate",
    "snapshot",
    "lock",
    "abi_diff",
    "matrix",
    "probe",
    "host_cpu",
    "capabilities",
    "cpu_compare",
    "cpu_baseline",
    "cpu_matrix",
    "migrate_check",
    "nodeinfo",
    "freecell",
    "run",
    "vcpupin",
    "vcpuinfo",
    "completion",
)

"""Located errors of the CPU engine.  :mod:`compiler.diagnostics` is imported when
an error is raised, so the engine's fast path needs nothing beyond the standard
library."""

from __future__ import annotations


def fail(code: str, message: str, file: str = "<input>", line: int = 0):
    """A :class:`compiler.diagnostics.DomcError` (for ``raise``) at FILE:LINE."""
    from ..diagnostics import Span, fail as diag_fail

    return diag_fail(code, message, Span(file, line))

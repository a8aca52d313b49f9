"""Diagnostics: what went wrong, where in the XML, under a stable code.

Passes collect diagnostics in an :class:`Collector`; a stage raises once at its
end (:meth:`Collector.raise_if_errors`).  The CLI renders them one per line as
``FILE:LINE[:COL]: error[code]: message`` and exits 2.
"""

from __future__ import annotations

import enum

from .record import field, frozen


@frozen
class Span:
    """A place in a source document (1-based line and column; 0 = unknown).

    ``lines`` is the text of the document the place is in, when the reader kept it
    (the domain parser does): a later check can then locate a value inside its line
    without reading the file again.  ``path`` is the element's place in the document
    as an XPath (``/domain/devices/disk[2]``), when the place is an element.  Neither
    takes part in equality or in the one-line rendering.

    ``node`` is the element itself, when a reader made the span: working out its path
    costs more than reading it, and almost no span ends in a diagnostic, so a
    :class:`Diagnostic` made of the span fills in ``path`` (and lets the element go)."""

    file: str = "<input>"
    line: int = 0
    column: int = 0
    lines: tuple[str, ...] = field(default=(), eq=False, repr=False)
    path: str = field(default="", eq=False, repr=False)
    node: object = field(default=None, eq=False, repr=False)

    def at_column(self, column: int) -> "Span":
        return Span(self.file, self.line, column, self.lines, self.path, self.node)

    def resolved(self) -> "Span":
        """This span with ``path`` filled in from ``node``, and no node."""
        if self.node is None:
            return self
        return Span(self.file, self.line, self.column, self.lines,
                    self.path or element_path(self.node))

    def source_line(self) -> str | None:
        """The text of this span's line, when the document's text came with it."""
        return self.lines[self.line - 1] if 0 < self.line <= len(self.lines) else None

    def __str__(self) -> str:
        out = self.file
        if self.line:
            out += f":{self.line}"
            if self.column:
                out += f":{self.column}"
        return out


NOWHERE = Span()


def element_path(el) -> str:
    """An lxml element's place in its document, as an XPath (``/domain/devices/disk[2]``)."""
    return el.getroottree().getpath(el)


def span_field():
    """attrs field for a model node's source position: kept out of equality and repr."""
    return field(default=NOWHERE, eq=False, repr=False, kw_only=True)


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@frozen
class Diagnostic:
    code: str
    message: str
    span: Span = NOWHERE
    severity: Severity = Severity.ERROR

    def __post_init__(self) -> None:
        if self.span.node is not None:  # the element's path, now that it is needed
            object.__setattr__(self, "span", self.span.resolved())

    def render(self) -> str:
        # one line, always: a message never carries a newline into the output
        msg = " ".join(self.message.split())
        return f"{self.span}: {self.severity.value}[{self.code}]: {msg}"


class DomcError(Exception):
    """One or more error diagnostics; the CLI turns it into exit status 2."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


def fail(code: str, message: str, span: Span = NOWHERE) -> DomcError:
    """Build (for ``raise``) an error carrying a single diagnostic."""
    return DomcError(Diagnostic(code, message, span))


class Collector:
    """Collects diagnostics for a stage; errors are raised together at its end."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []
        self._clean = 0  # raise_if_errors found no error among the first _clean items

    def error(self, code: str, message: str, span: Span = NOWHERE) -> None:
        self.items.append(Diagnostic(code, message, span))

    def warning(self, code: str, message: str, span: Span = NOWHERE) -> None:
        self.items.append(Diagnostic(code, message, span, Severity.WARNING))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]

    def raise_if_errors(self) -> None:
        # called after every pass: only what was added since the last call is looked at
        items = self.items
        start = self._clean if self._clean <= len(items) else 0
        for d in items[start:]:
            if d.severity is Severity.ERROR:
                raise DomcError(self.errors)
        self._clean = len(items)

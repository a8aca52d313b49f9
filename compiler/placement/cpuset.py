"""CPU and node sets: the value type and its parser front end.

libvirt writes both CPU sets and NUMA node sets in one syntax (``0-7,^2``); the
grammar is ``grammar/cpuset.lark``.  Errors point at the column inside the XML
line when the attribute can be found there (in the document text the span carries),
else at the column inside the value.

The language is regular, so a well-formed value with ids in range is read by one
regular expression and a split (:func:`quick_ids`), without loading lark; anything
else goes to the grammar, which says what is wrong and where.  The quick reader
accepts exactly what the grammar accepts with the same ids, and declines the rest
(``tests/placement/test_cpuset_grammar.py`` checks both on generated strings).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..diagnostics import Span, fail
from ..record import frozen

# libvirt's VIR_DOMAIN_CPUMASK_LEN: ids 0..16383
MAX_ID = 16383


@frozen(order=True)
class CpuSet:
    """A set of CPU (or NUMA node) ids; ``str()`` is libvirt's canonical form."""

    ids: frozenset[int] = frozenset()

    @classmethod
    def of(cls, ids: Iterable[int]) -> "CpuSet":
        return cls(frozenset(ids))

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self.ids))

    def __len__(self) -> int:
        return len(self.ids)

    def __bool__(self) -> bool:
        return bool(self.ids)

    def __contains__(self, item: int) -> bool:
        return item in self.ids

    def __or__(self, other: "CpuSet") -> "CpuSet":
        return CpuSet(self.ids | other.ids)

    def __and__(self, other: "CpuSet") -> "CpuSet":
        return CpuSet(self.ids & other.ids)

    def __sub__(self, other: "CpuSet") -> "CpuSet":
        return CpuSet(self.ids - other.ids)

    def issubset(self, other: "CpuSet") -> bool:
        return self.ids <= other.ids

    def ranges(self) -> list[tuple[int, int]]:
        """Maximal runs of consecutive ids, ascending."""
        out: list[tuple[int, int]] = []
        for i in sorted(self.ids):
            if out and out[-1][1] == i - 1:
                out[-1] = (out[-1][0], i)
            else:
                out.append((i, i))
        return out

    def __str__(self) -> str:
        return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in self.ranges())

    def to_list(self) -> list[int]:
        return sorted(self.ids)


# grammar/cpuset.lark as one expression: SPACE is common.lark's, '^' sticks to its number
_S = r"[ \t\n\v\f\r]*"
_ITEM = rf"(?:\^[0-9]+|[0-9]+(?:{_S}-{_S}[0-9]+)?)"
_SPACES = " \t\n\v\f\r"
_WELL_FORMED = re.compile(f"{_S}{_ITEM}(?:{_S},{_S}{_ITEM})*(?:{_S},)?{_S}")


def quick_ids(text: str, max_id: int = MAX_ID) -> frozenset[int] | None:
    """The ids of a well-formed set whose ranges are in order and ids in range, as the
    grammar reads them; None for anything else (the grammar then tells what is wrong)."""
    if _WELL_FORMED.fullmatch(text) is None:
        return None
    ids: set[int] = set()
    longest = len(str(max_id))
    for item in text.split(","):
        item = item.strip(_SPACES)
        if not item:  # the trailing comma
            continue
        first, _, last = item.partition("-")
        numbers = (first.lstrip("^").rstrip(_SPACES), last.lstrip(_SPACES))
        if any(len(n.lstrip("0")) > longest for n in numbers):
            return None  # too big (and too long for int() to take it)
        if item[0] == "^":
            n = int(item[1:])
            if n > max_id:
                return None
            ids.discard(n)
            continue
        a = int(first)
        b = int(last) if last else a
        if a > max_id or b > max_id or b < a:
            return None
        ids.update(range(a, b + 1))
    return frozenset(ids)


def _match_code(exc, parser) -> str:
    from lark.exceptions import UnexpectedCharacters

    from ..grammars import CPUSET_ERROR_EXAMPLES

    if isinstance(exc, UnexpectedCharacters):
        return "cpuset-character"
    code = exc.match_examples(
        parser.parse, CPUSET_ERROR_EXAMPLES, use_accepts=True, token_type_match_fallback=True
    )
    return code or "cpuset-syntax"


_MESSAGES = {
    "cpuset-character": "unexpected character {char!r}",
    "cpuset-stray-dash": "'-' must follow the first number of a range",
    "cpuset-empty": "empty set: expected an id, a range N-M or ^N",
    "cpuset-negated-range": "'^' removes a single id, not a range",
    "cpuset-incomplete-range": "range without an end: expected a number after '-'",
    "cpuset-double-range": "a range has one '-': N-M",
    "cpuset-separator": "expected ',' between items and an item after ','",
    "cpuset-syntax": "malformed set",
}


def parse_cpuset(text: str, span: Span, what: str = "cpuset", max_id: int = MAX_ID) -> CpuSet:
    """Parse ``text`` (the value of attribute ``what``); errors carry a column."""
    ids = quick_ids(text, max_id)
    if ids is None:
        ids = grammar_ids(text, span, what, max_id)
    if not ids:
        raise _located("cpuset-no-ids", f"{what} {text!r} selects no id at all", span, what, text, 1)
    return CpuSet(ids)


def grammar_ids(text: str, span: Span, what: str = "cpuset", max_id: int = MAX_ID) -> frozenset[int]:
    """``text`` read by grammar/cpuset.lark: its ids, or the located error."""
    from lark.exceptions import UnexpectedInput

    from ..grammars import CpusetTransformer, CpusetValueError, load

    parser = load("cpuset")
    try:
        ids = CpusetTransformer(max_id).transform(parser.parse(text))
    except UnexpectedInput as exc:
        code = _match_code(exc, parser)
        column = getattr(exc, "column", 0) or 0
        token = getattr(exc, "token", None)
        if column <= 0 or getattr(token, "type", None) == "$END":  # end of input
            column = len(text) + 1
        char = text[column - 1] if 0 < column <= len(text) else ""
        detail = _MESSAGES[code].format(char=char)
        raise _located(code, f"{what} {text!r}: {detail}", span, what, text, column) from None
    except CpusetValueError as exc:
        raise _located(exc.code, f"{what} {text!r}: {exc.message}", span, what, text, exc.column) from None
    except Exception as exc:  # lark wraps transformer errors in VisitError
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, CpusetValueError):
            raise _located(
                inner.code, f"{what} {text!r}: {inner.message}", span, what, text, inner.column
            ) from None
        raise
    return ids


def _located(code: str, message: str, span: Span, attr: str, value: str, column: int):
    """The error for ``column`` (1-based) inside attribute ``attr``'s value.

    When the span carries its document's text and the attribute is found on its
    line, the column is made absolute; otherwise it stays relative to the value and
    the message says so.  Nothing is read from disk here.
    """
    start = attribute_value_column(span.source_line(), attr, value)
    if start:
        return fail(code, message, span.at_column(start + column - 1))
    return fail(code, f"{message} (column {column} of the value)", span)


def attribute_value_column(line: str | None, attr: str, value: str) -> int:
    """1-based column where ``attr``'s value starts in the source ``line``, or 0."""
    if not line:
        return 0
    for quote in ("'", '"'):
        needle = f"{attr}={quote}{value}{quote}"
        pos = line.find(needle)
        if pos >= 0:
            return pos + len(attr) + 3
    return 0

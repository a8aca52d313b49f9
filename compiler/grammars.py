"""The lark grammars under ``grammar/`` and the transformers that turn their trees
into attrs values.

The grammar directory is ``compiler/grammar`` in an installed wheel (pyproject
force-includes the top-level ``grammar/`` there) and ``../grammar`` next to the
package in a checkout; both are looked at, in that order.

Importing lark and building an LALR parser costs more than a whole compile, so this
module is imported only where a grammar is used (:mod:`compiler.placement.cpuset`
comes here for a value its quick reader does not accept, to report it).
"""

from __future__ import annotations

import functools
from pathlib import Path

from lark import Lark, Token, Transformer, v_args

_PACKAGE_DIR = Path(__file__).resolve().parent
GRAMMAR_DIRS = (_PACKAGE_DIR / "grammar", _PACKAGE_DIR.parent / "grammar")


def grammar_dir() -> Path:
    for d in GRAMMAR_DIRS:
        if (d / "common.lark").is_file():
            return d
    raise RuntimeError(f"domc grammar files not found in {', '.join(map(str, GRAMMAR_DIRS))}")


@functools.cache
def load(name: str) -> Lark:
    """The LALR parser for ``grammar/<name>.lark`` (built once per process)."""
    d = grammar_dir()
    return Lark.open(f"{name}.lark", rel_to=str(d / "__init__"), parser="lalr", propagate_positions=False)


# --------------------------------------------------------------------------- cpuset


class CpusetValueError(Exception):
    """A cpuset that parses but means nothing: reversed range, id out of range."""

    def __init__(self, code: str, message: str, column: int):
        super().__init__(message)
        self.code = code
        self.message = message
        self.column = column


class CpusetOp:
    """One item of a cpuset in document order: add ``ids`` or (negated) remove them."""

    __slots__ = ("ids", "negated")

    def __init__(self, ids: range, negated: bool):
        self.ids = ids
        self.negated = negated


@v_args(inline=True)
class CpusetTransformer(Transformer):
    """cpuset tree -> frozenset of ids, applying ``^N`` in order as libvirt does."""

    def __init__(self, max_id: int):
        super().__init__()
        self.max_id = max_id

    def _number(self, tok: Token, text: str | None = None) -> int:
        digits = (text if text is not None else str(tok)).lstrip("0") or "0"
        if len(digits) > len(str(self.max_id)):  # too long for int() to take it, too
            shown = digits if len(digits) <= 20 else f"{digits[:8]}...({len(digits)} digits)"
            raise CpusetValueError(
                "cpuset-too-big", f"id {shown} is larger than the maximum {self.max_id}", tok.column
            )
        value = int(digits)
        if value > self.max_id:
            raise CpusetValueError(
                "cpuset-too-big", f"id {value} is larger than the maximum {self.max_id}", tok.column
            )
        return value

    def single(self, tok: Token) -> CpusetOp:
        n = self._number(tok)
        return CpusetOp(range(n, n + 1), False)

    def span(self, first: Token, last: Token) -> CpusetOp:
        a, b = self._number(first), self._number(last)
        if b < a:
            raise CpusetValueError(
                "cpuset-reversed-range", f"range {a}-{b} ends before it starts", first.column
            )
        return CpusetOp(range(a, b + 1), False)

    def negated(self, tok: Token) -> CpusetOp:
        n = self._number(tok, tok[1:])
        return CpusetOp(range(n, n + 1), True)

    def start(self, *ops: CpusetOp) -> frozenset[int]:
        ids: set[int] = set()
        for op in ops:
            if op.negated:
                ids.difference_update(op.ids)
            else:
                ids.update(op.ids)
        return frozenset(ids)


# Bad inputs that stand for each parse-error code (matched by parser state, as in
# lark's examples/advanced/error_reporting_lalr.py).  Order matters: first match wins.
CPUSET_ERROR_EXAMPLES: dict[str, list[str]] = {
    "cpuset-stray-dash": ["-1", "1,-2", "-"],
    "cpuset-empty": ["", "  "],
    "cpuset-negated-range": ["^1-2", "0,^1-2"],
    "cpuset-incomplete-range": ["1-", "1-,2", "1--2", "0,1-"],
    "cpuset-double-range": ["1-2-3", "0,1-2-3"],
    "cpuset-separator": ["1,,2", ",1", "1 2", "1-2 3", "^1 2", "0,,", "1,2 3"],
}

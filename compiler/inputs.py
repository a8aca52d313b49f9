"""Reading the files a user names, with one diagnostic per condition.

Every command reads its inputs (domain XML, CPU documents, CPUID dumps, profiles,
firmware descriptors, captured host trees) through these helpers, so the same
failure reads the same everywhere:

- a file missing, unreadable, or a directory: ``io`` at ``FILE`` (``-`` names standard
  input, shown as ``<stdin>``)
- a directory missing or not a directory: ``io`` at ``DIR``
- a file that cannot be written, or a program that cannot be run: ``io`` at ``FILE``
- JSON that does not parse: ``json-syntax`` at ``FILE:LINE:COL``

XML documents go on to :mod:`compiler.xmldoc` (``xml-syntax`` and the refusals of
hostile documents).  Only the standard library and :mod:`compiler.diagnostics` are
imported here.
"""

from __future__ import annotations

import errno
import json
import os
import sys

from .diagnostics import Span, fail

IO = "io"
STDIN = "-"


def display_name(path: str) -> str:
    """How diagnostics name an input: ``<stdin>`` for ``-``, else the path as given."""
    return "<stdin>" if path == STDIN else path


def read_input_file(path: str, limit: int | None = None) -> bytes:
    """The bytes of ``path`` (``-``: standard input); an ``io`` error when it cannot be
    read.  With ``limit``, at most ``limit + 1`` bytes are read (the caller refuses
    the overlong input)."""
    try:
        if path == STDIN:
            return sys.stdin.buffer.read(-1 if limit is None else limit + 1)
        with open(path, "rb") as fh:
            return fh.read() if limit is None else _read_at_most(fh, limit + 1)
    except OSError as exc:
        raise fail(IO, f"cannot read: {_reason(exc)}", Span(display_name(path))) from None


def _read_at_most(fh, n: int) -> bytes:
    """Up to ``n`` bytes of ``fh``.  ``fh.read(n)`` allocates ``n`` bytes up front
    (megabytes for a limit, to read a domain of kilobytes: 15 us a file), so a regular
    file is read by its size, one byte more to see it ended there; what grew meanwhile,
    and files that tell no size (pipes, /proc), are read on in chunks."""
    size = os.fstat(fh.fileno()).st_size
    chunks: list[bytes] = []
    got = 0
    if size > 0:
        first = fh.read(min(size + 1, n))
        if len(first) <= size or len(first) == n:  # its end, or the limit
            return first
        chunks.append(first)
        got = len(first)
    while got < n:
        chunk = fh.read(min(1 << 16, n - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_input_text(path: str) -> str:
    """``path`` as text (UTF-8, undecodable bytes replaced)."""
    return read_input_file(path).decode("utf-8", errors="replace")


def require_directory(path: str) -> None:
    """An ``io`` error unless ``path`` names a directory."""
    if os.path.isdir(path):
        return
    reason = "No such file or directory" if not os.path.exists(path) else "Not a directory"
    raise fail(IO, f"cannot read directory: {reason}", Span(path))


def check_executable(path: str) -> None:
    """An ``io`` error unless ``path`` is a file this process may execute."""
    if not os.path.exists(path):
        reason = "No such file or directory"
    elif os.path.isdir(path):
        reason = "Is a directory"
    elif not os.access(path, os.X_OK):
        reason = "Permission denied"
    else:
        return
    raise fail(IO, f"cannot execute: {reason}", Span(path))


def write_domain_output(path: str, text: str, executable: bool = False) -> None:
    """Make ``path`` hold ``text``.  A file that already does is only touched (its
    time updated); another is overwritten in place and cut to length.  Neither
    unlinks nor truncates a whole file: freeing its blocks makes ext4 flush, or trim
    with ``-o discard``, and a batch re-run into the same directory then waited on the
    disk for every domain.  A symlink there is replaced, its target left alone.  A new
    file gets mode 0666 less the umask; ``executable`` adds x wherever r is."""
    data = text.encode("utf-8")
    try:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            os.unlink(path)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "r+b") as fh:
            if executable:
                mode = os.fstat(fd).st_mode
                os.fchmod(fd, mode | (mode & 0o444) >> 2)
            if fh.read(len(data) + 1) == data:
                os.utime(fd)
            else:
                fh.seek(0)
                fh.write(data)
                fh.truncate()
    except OSError as exc:
        raise fail(IO, f"cannot write: {_reason(exc)}", Span(path)) from None


def write_output_file(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise fail(IO, f"cannot write: {_reason(exc)}", Span(path)) from None


def parse_json(data: bytes, path: str):
    """JSON ``data`` read from ``path``, or a ``json-syntax`` error at its line and column."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise fail("json-syntax", f"not JSON: {exc.msg}", Span(path, exc.lineno, exc.colno)) from None
    except UnicodeDecodeError as exc:
        raise fail("json-syntax", f"not JSON: {exc.reason}", Span(path, 1)) from None


def read_json_file(path: str):
    return parse_json(read_input_file(path), path)


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__

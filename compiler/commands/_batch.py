"""Many domains in one run: a per-file function mapped over the inputs in input order,
in worker processes when asked, with a progress bar on a terminal.

This process runs the first block of the inputs and forked workers one block each
after it (they inherit everything this process imported and read, so a worker starts
in microseconds; no multiprocessing machinery, whose import and threads cost more
than a dozen domains); the function returns plain values, which come back in input
order whatever finished first, so the output of a batch does not depend on
``--jobs``.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


# Domains a forked worker must have to be worth its start: a worker runs its first
# items slower than this process (copy-on-write faults on every page it touches,
# caches cold).  Measured with corpus domains on 2 idle CPUs, --jobs 2 was as fast as
# --jobs 1 at 16 domains and 6 ms faster at 32 (10 ms at 48, 33 ms at 160).
DOMAINS_PER_WORKER = 32


def default_jobs(items: int | None = None) -> int:
    """The CPUs this process may run on; with ``items``, no more than there are
    DOMAINS_PER_WORKER-sized shares of them (a small batch runs here, unforked)."""
    try:
        cpus = len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    if items is None:
        return cpus
    return max(1, min(cpus, items // DOMAINS_PER_WORKER))


def positive_int(text: str) -> int:
    """argparse type for ``--jobs``."""
    import argparse

    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, not {text!r}")
    return n


def run_ordered(fn: Callable[[T], R], items: Sequence[T], jobs: int,
                init: Callable | None = None, initargs: tuple = (),
                lost: Callable[[T], R] | None = None) -> Iterator[R]:
    """``fn(item)`` for every item, in order, in up to ``jobs`` processes (this one and
    ``jobs - 1`` forked workers).  ``init(*initargs)`` prepares this process before
    anything runs (workers are forked from it, so they inherit what it prepared).
    ``fn``'s results must be plain values (``marshal``: strings, numbers, None, tuples,
    lists, dicts); ``lost(item)`` stands for the result of an item whose worker died
    before giving it."""
    if init is not None:
        init(*initargs)
    jobs = min(jobs, len(items))
    if jobs <= 1 or not hasattr(os, "fork"):
        for item in items:
            yield fn(item)
        return
    # the first item here: what the first compile loads and builds (tables, the CPU
    # catalogue, host facts) is then shared by the forked workers, not redone by each
    yield fn(items[0])
    yield from _shared(fn, items[1:], jobs, lost)


def shares(n: int, jobs: int) -> list[int]:
    """How many of ``n`` items each of ``jobs`` processes takes, in order (this one
    first): equal shares.  A forked worker runs its first items slower than this
    process would (copy-on-write faults, cold caches), but this process also reports
    every result; measured on the corpus, the two even out."""
    return [n // jobs + (k < n % jobs) for k in range(jobs)]


def _shared(fn, items, jobs, lost):
    """This process runs the first block of ``items`` while each worker runs one of the
    blocks after it; a worker writes its results, length-prefixed marshal data, to a
    pipe of its own, which this process empties as it goes (so no worker waits on a
    full pipe) and reads in input order once its own block is done.  A worker that
    dies takes with it the results it had not sent yet; each of those items gets
    ``lost(item)``, nothing else is affected."""
    import marshal

    sizes = shares(len(items), jobs)
    bounds = [sum(sizes[:k]) for k in range(jobs + 1)]
    sys.stdout.flush()
    sys.stderr.flush()
    workers: list[_Inbox] = []
    done = False
    try:
        for k in range(1, jobs):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover (runs in the worker)
                try:
                    os.close(r)
                    for inbox in workers:
                        os.close(inbox.fd)
                finally:
                    _work(fn, items[bounds[k]:bounds[k + 1]], w)
            os.close(w)
            workers.append(_Inbox(pid, r))
        for item in items[:bounds[1]]:
            yield fn(item)
            for inbox in workers:
                inbox.drain()
        for k, inbox in enumerate(workers, 1):
            for item in items[bounds[k]:bounds[k + 1]]:
                data = inbox.next()
                if data is None:  # the worker is gone
                    if lost is None:
                        raise RuntimeError(f"the worker for {item} died")
                    yield lost(item)
                    continue
                yield marshal.loads(data)
        done = True
    finally:
        for inbox in workers:
            os.close(inbox.fd)
            if not done:
                try:
                    os.kill(inbox.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            os.waitpid(inbox.pid, 0)


class _Inbox:
    """What one worker has sent: its pipe, read without waiting while this process has
    work of its own (:meth:`drain`), then frame by frame (:meth:`next`)."""

    __slots__ = ("pid", "fd", "buf", "at", "eof")

    def __init__(self, pid: int, fd: int):
        self.pid, self.fd = pid, fd
        self.buf = bytearray()
        self.at = 0
        self.eof = False
        os.set_blocking(fd, False)

    def drain(self) -> None:
        while not self.eof:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                return
            if not chunk:
                self.eof = True
            self.buf += chunk

    def _fill(self, need: int) -> bool:
        """At least ``need`` unread bytes in the buffer (False at the end of the pipe)."""
        while len(self.buf) - self.at < need:
            if self.eof:
                return False
            if self.at:  # what was read already goes, before the buffer grows
                del self.buf[:self.at]
                self.at = 0
            os.set_blocking(self.fd, True)
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                self.eof = True
            self.buf += chunk
        return True

    def next(self) -> bytes | None:
        """The next result's bytes, or None when the worker ended before sending it."""
        if not self._fill(4):
            return None
        size = int.from_bytes(self.buf[self.at:self.at + 4], "little")
        if not self._fill(4 + size):
            return None
        start = self.at + 4
        self.at = start + size
        return bytes(self.buf[start:self.at])


def _work(fn, items, fd: int) -> None:  # pragma: no cover (runs in the worker)
    """A worker's life: its items, then a quick exit (nothing of the parent's may run
    here: no exit handlers, no buffered output flushed twice)."""
    import gc
    import marshal

    gc.freeze()  # what the parent built stays out of this worker's collections
    status = 0
    try:
        with os.fdopen(fd, "wb", buffering=0) as out:
            # results go out in batches (every 32 KiB or 50 ms): one wake-up of the
            # reader per result cost more than the results, on a busy machine
            pending = bytearray()
            since = time.monotonic()
            for item in items:
                data = marshal.dumps(fn(item))
                pending += len(data).to_bytes(4, "little") + data
                if len(pending) >= 32768 or time.monotonic() - since >= 0.05:
                    _write_all(out, pending)
                    pending.clear()
                    since = time.monotonic()
            _write_all(out, pending)
    except KeyboardInterrupt:
        status = 130
    except BaseException:
        status = 70
    os._exit(status)


def _write_all(out, data) -> None:  # pragma: no cover (runs in the worker)
    view = memoryview(data)
    while view:
        view = view[out.write(view):]


class Progress:
    """``[#####.....] 12/273`` redrawn in place on standard error, only when it is a
    terminal and there is more than one item.  :meth:`write` prints a message above
    the bar (the bar is redrawn at the next step)."""

    WIDTH = 30

    def __init__(self, total: int, what: str, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.what = what
        self.on = total > 1 and _isatty(self.stream)
        self.drawn = False
        self.last = 0.0

    def step(self, done: int) -> None:
        if not self.on:
            return
        now = time.monotonic()
        if done < self.total and now - self.last < 0.05:
            return
        self.last = now
        full = self.WIDTH * done // self.total
        self.stream.write(f"\r[{'#' * full}{'.' * (self.WIDTH - full)}] {done}/{self.total} "
                          f"{self.what}\x1b[K")
        self.stream.flush()
        self.drawn = True

    def write(self, text: str) -> None:
        self.clear()
        self.stream.write(text)

    def clear(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.drawn = False
            self.last = 0.0


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False

"""Many domains in one run: a per-file function mapped over the inputs in input order,
in worker processes when asked, with a progress bar on a terminal.

This process and forked workers take chunks of the inputs in turn until none is left
(workers inherit everything this process imported and read, so a worker starts in
microseconds; no multiprocessing machinery, whose import and threads cost more than
a dozen domains); the function returns plain values, which come back in input order
whatever finished first, so the output of a batch does not depend on ``--jobs``.
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


# chunk numbers are 4 bytes, all written before anyone reads: they must fit in the
# smallest pipe Linux hands out (one 4 KiB page, once a user has too many pipes)
MAX_CHUNKS = 1024


def chunk_size(n: int, jobs: int) -> int:
    """Items per chunk: about eight chunks per process, at most 16 items each (a
    chunk is claimed with one read and its results sent with one write), larger only
    when there would be more than MAX_CHUNKS."""
    return max(1, min(16, n // (8 * jobs)), -(-n // MAX_CHUNKS))


def _shared(fn, items, jobs, lost):
    """This process and ``jobs - 1`` forked workers take chunks of ``items`` in turn
    from a shared pipe of chunk numbers until none is left, so a process slowed by its
    first items (a worker's copy-on-write faults, cold caches, a one-off table load)
    or by another program simply takes fewer.  A worker sends each chunk's results,
    one marshal frame, to a pipe of its own; this process runs chunks of its own while
    waiting for the next one in input order, and yields results in input order.  A
    worker that dies takes with it the chunk it was running; each of those items gets
    ``lost(item)``, nothing else is affected."""
    size = chunk_size(len(items), jobs)
    chunks = [items[at:at + size] for at in range(0, len(items), size)]
    tokens_r, tokens_w = os.pipe()
    # every chunk number is in the pipe before anyone reads: a 4-byte read then takes
    # exactly one (pipe reads are atomic); the pipe must hold them all
    os.write(tokens_w, b"".join(k.to_bytes(4, "little") for k in range(len(chunks))))
    os.close(tokens_w)
    sys.stdout.flush()
    sys.stderr.flush()
    workers: list[_Inbox] = []
    done = False
    try:
        for _ in range(jobs - 1):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover (runs in the worker)
                try:
                    os.close(r)
                    for inbox in workers:
                        os.close(inbox.fd)
                finally:
                    _work(fn, chunks, tokens_r, w)
            os.close(w)
            workers.append(_Inbox(pid, r))
        results: dict[int, list] = {}
        claimed_all = False
        for k in range(len(chunks)):
            while k not in results:
                for inbox in workers:
                    inbox.drain(results)
                if k in results:
                    break
                if not claimed_all:
                    mine = _claim(tokens_r)
                    if mine is None:
                        claimed_all = True
                    else:
                        results[mine] = [fn(item) for item in chunks[mine]]
                    continue
                # every chunk is taken; chunk k is a worker's: wait for it
                if all(inbox.eof for inbox in workers):
                    results[k] = None  # its worker died before sending it
                    break
                _wait([inbox for inbox in workers if not inbox.eof])
            got = results.pop(k)
            if got is None:
                if lost is None:
                    raise RuntimeError(f"the worker for {chunks[k][0]} died")
                for item in chunks[k]:
                    yield lost(item)
            else:
                yield from got
        done = True
    finally:
        os.close(tokens_r)
        for inbox in workers:
            os.close(inbox.fd)
            if not done:
                try:
                    os.kill(inbox.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            os.waitpid(inbox.pid, 0)


def _claim(fd: int) -> int | None:
    """The next chunk number from the shared pipe, or None when none is left."""
    data = os.read(fd, 4)
    return int.from_bytes(data, "little") if len(data) == 4 else None


def _wait(inboxes: list) -> None:
    """Until one of these workers' pipes has something to read (or has ended)."""
    import select

    select.select([inbox.fd for inbox in inboxes], [], [])


class _Inbox:
    """What one worker has sent: frames of (chunk number, its results), read without
    waiting into the results of the batch."""

    __slots__ = ("pid", "fd", "buf", "eof")

    def __init__(self, pid: int, fd: int):
        self.pid, self.fd = pid, fd
        self.buf = bytearray()
        self.eof = False
        os.set_blocking(fd, False)

    def drain(self, results: dict) -> None:
        import marshal

        while not self.eof:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                break
            if not chunk:
                self.eof = True
            self.buf += chunk
        buf, at = self.buf, 0
        while len(buf) - at >= 4:
            size = int.from_bytes(buf[at:at + 4], "little")
            if len(buf) - at - 4 < size:
                break
            k, got = marshal.loads(buf[at + 4:at + 4 + size])
            results[k] = got
            at += 4 + size
        if at:
            del buf[:at]


def _work(fn, chunks, tokens: int, fd: int) -> None:  # pragma: no cover (in the worker)
    """A worker's life: chunks claimed from ``tokens`` until none is left, each one's
    results sent as one frame, then a quick exit (nothing of the parent's may run
    here: no exit handlers, no buffered output flushed twice)."""
    import gc
    import marshal

    gc.freeze()  # what the parent built stays out of this worker's collections
    status = 0
    try:
        with os.fdopen(fd, "wb", buffering=0) as out:
            while True:
                k = _claim(tokens)
                if k is None:
                    break
                data = marshal.dumps((k, [fn(item) for item in chunks[k]]))
                _write_all(out, len(data).to_bytes(4, "little") + data)
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

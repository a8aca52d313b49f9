"""Many domains in one run: a per-file function mapped over the inputs in input order,
in worker processes when asked, with a progress bar on a terminal.

The function runs in forked workers (they inherit everything the parent imported and
read, so a worker starts in microseconds; no multiprocessing machinery, whose import
and threads cost more than a dozen domains) and returns plain values; results come
back in input order whatever finished first, so the output of a batch does not depend
on ``--jobs``.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")


# Domains a forked worker must have to be worth its start: a worker takes 15-20 ms of
# CPU before its compiles run as fast as this process's (copy-on-write faults on
# every page it touches, caches cold), about what 50 domains cost; measured on 2
# busy CPUs, --jobs 2 overtook --jobs 1 between 128 and 256 corpus domains.
DOMAINS_PER_WORKER = 128


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


def run_ordered(fn: Callable[[str], T], items: Sequence[str], jobs: int,
                init: Callable | None = None, initargs: tuple = (),
                lost: Callable[[str], T] | None = None) -> Iterator[T]:
    """``fn(item)`` for every item, in order, in up to ``jobs`` processes.
    ``init(*initargs)`` prepares this process before anything runs (workers are forked
    from it, so they inherit what it prepared).  ``fn``'s results must be plain values
    (``marshal``: strings, numbers, None, tuples, lists, dicts); ``lost(item)`` stands
    for the result of an item whose worker died before giving it."""
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
    yield from _forked(fn, items[1:], min(jobs, len(items) - 1), lost)


def _forked(fn, items, jobs, lost):
    """Worker k takes items k, k + jobs, ...; each writes its results, length-prefixed
    marshal data, to a pipe of its own, which this process reads in input order.  A
    worker that dies takes with it the results it had not sent yet; each of those
    items gets ``lost(item)``, nothing else is affected."""
    import marshal

    sys.stdout.flush()
    sys.stderr.flush()
    workers: list[tuple[int, object]] = []
    done = False
    try:
        for k in range(jobs):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover (runs in the worker)
                try:
                    os.close(r)
                    for _, src in workers:
                        src.close()
                finally:
                    _work(fn, items[k::jobs], w)
            os.close(w)
            workers.append((pid, os.fdopen(r, "rb")))
        for i, item in enumerate(items):
            src = workers[i % jobs][1]
            head = src.read(4)
            if len(head) < 4:  # the worker is gone
                if lost is None:
                    raise RuntimeError(f"the worker for {item} died")
                yield lost(item)
                continue
            yield marshal.loads(src.read(int.from_bytes(head, "little")))
        done = True
    finally:
        for pid, src in workers:
            src.close()
            if not done:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            os.waitpid(pid, 0)


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

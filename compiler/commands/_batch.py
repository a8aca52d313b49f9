"""Many domains in one run: a per-file function mapped over the inputs in input order,
in worker processes when asked, with a progress bar on a terminal.

The function runs in forked workers (they inherit everything the parent imported and
read, so a worker starts in microseconds) and returns plain values; results come back
in input order whatever finished first, so the output of a batch does not depend on
``--jobs``.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


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
                init: Callable | None = None, initargs: tuple = ()) -> Iterator[T]:
    """``fn(item)`` for every item, in order.  ``init(*initargs)`` prepares each worker
    (and this process, when the work stays here: one job or one item)."""
    if init is not None:
        init(*initargs)
    jobs = min(jobs, len(items))
    if jobs <= 1:
        for item in items:
            yield fn(item)
        return
    # the first item here: what the first compile loads and builds (tables, the CPU
    # catalogue, host facts) is then shared by the forked workers, not redone by each
    yield fn(items[0])
    rest = items[1:]
    jobs = min(jobs, len(rest))
    import multiprocessing  # a batch's own cost: not paid by one domain

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunk = max(1, min(16, len(rest) // (jobs * 8)))
    with ctx.Pool(jobs, initializer=_worker_init, initargs=(init, initargs)) as pool:
        yield from pool.imap(fn, rest, chunk)


def _worker_init(init: Callable | None, initargs: tuple) -> None:
    import gc

    # what the parent built stays out of the worker's collections: scanning it would
    # touch (and so copy) every page the fork shares
    gc.freeze()
    if init is not None:
        init(*initargs)


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

"""Run one function over many files, in worker processes when that pays.

Results come back in the order of the tasks whatever the number of workers,
so output does not depend on ``--jobs``. A run that is stopped (SIGTERM,
Ctrl-C) ends its workers before the stop goes on: see ``stopping``.
"""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator, Sequence, TypeVar

from .stopping import signals_deferred, start_worker

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

Task = TypeVar("Task")
Result = TypeVar("Result")

PARALLEL_THRESHOLD = 20  # below this many files, starting workers costs more than it saves
COLLECTION_THRESHOLD = 100_000  # allocations between two young collections (Python's default: 700)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Let the cyclic collector run less often during a run over many files, and as before after it.

    Parsing makes millions of short-lived AST nodes, which hold no cycles; at Python's default
    thresholds each few hundred of them start a collection, and every tenth of those walks the
    middle generation, a tenth of a run's time on the standard library. Memory that refcounting
    frees is freed as before; only cycles wait longer (mypy raises the threshold too), and a checked
    module makes none: its analysis is released (``ModuleAnalysis.release``). What is
    alive when the run starts (fs-lint's modules, the settings) outlives it: frozen, the full
    collections do not walk it. A program that calls ``main()`` in-process gets its collector back
    as it was.
    """
    before = gc.get_threshold()
    freezing = gc.get_freeze_count() == 0  # a host that froze objects of its own keeps them as they are
    gc.set_threshold(COLLECTION_THRESHOLD, *before[1:])
    if freezing:
        gc.freeze()
    try:
        yield
    finally:
        if freezing:
            gc.unfreeze()
        gc.set_threshold(*before)


def available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def default_jobs(file_count: int) -> int:
    return available_cpus() if file_count > PARALLEL_THRESHOLD else 1


def run_all(worker: Callable[[Task], Result], tasks: Sequence[Task], jobs: int | None,
            progress: Callable[[int, int], None] | None = None) -> list[Result]:
    """``[worker(task) for task in tasks]``, with ``jobs`` processes (None: ``default_jobs``).

    ``worker`` must be a module-level function and tasks picklable; ``progress(done, total)``
    is called in this process after each result.
    """
    workers = min(default_jobs(len(tasks)) if jobs is None else jobs, len(tasks))
    results: list[Result] = []
    with fewer_collections():  # a forked worker inherits it
        for result in _results(worker, tasks, workers):
            results.append(result)
            if progress is not None:
                progress(len(results), len(tasks))
    return results


def _results(worker: Callable[[Task], Result], tasks: Sequence[Task], workers: int) -> Iterator[Result]:
    if workers <= 1:
        yield from map(worker, tasks)
        return
    from concurrent.futures import ProcessPoolExecutor  # multiprocessing: only for a run that has workers

    chunk = max(1, min(64, len(tasks) // (workers * 8)))
    pool = ProcessPoolExecutor(max_workers=workers, initializer=start_worker, initargs=(os.getpid(),))
    try:
        yield from pool.map(worker, tasks, chunksize=chunk)
    except BaseException:  # SIGTERM, Ctrl-C, or the caller gave up on the results: the workers go now
        with signals_deferred():
            _end_workers(pool)
        raise
    pool.shutdown()


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Stop the workers where they are: ``shutdown`` alone would wait for every queued file."""
    # ``_processes`` is private, but the only handle on the workers before Python 3.14's terminate_workers().
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()
    # Let the pool's manager thread see its workers gone and close its pipes now, not while the
    # interpreter exits: there, concurrent.futures' exit hook could write to a pipe that thread is
    # closing (Python 3.11's _ThreadWakeup has no lock), and print an ignored EBADF after the stop.
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None:
        manager.join(timeout=5)

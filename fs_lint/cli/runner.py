"""Run one function over many files, in worker processes when that pays.

Results come back in the order of the tasks whatever the number of workers,
so output does not depend on ``--jobs``.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterator, Sequence, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

PARALLEL_THRESHOLD = 20  # below this many files, starting workers costs more than it saves


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
    for result in _results(worker, tasks, workers):
        results.append(result)
        if progress is not None:
            progress(len(results), len(tasks))
    return results


def _results(worker: Callable[[Task], Result], tasks: Sequence[Task], workers: int) -> Iterator[Result]:
    if workers <= 1:
        yield from map(worker, tasks)
        return
    chunk = max(1, min(64, len(tasks) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(worker, tasks, chunksize=chunk)

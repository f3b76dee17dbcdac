"""A backend's unit of work: `execute(task)` runs a RunTask (one record) or a GroupTask (one record
per run, trained as one vectorised model). Local workers and Ray tasks both call it."""

from __future__ import annotations

from typing import Any

from gan_core.science.sweep.run import RunTask, run_task
from gan_core.science.sweep.vectorized import GroupTask, run_group


def execute(task: Any) -> list[dict[str, Any]]:
    """The records of one unit of work, in the order of its runs."""
    if isinstance(task, RunTask):
        return [run_task(task)]
    if isinstance(task, GroupTask):
        return run_group(task)
    raise TypeError(f"not a sweep task: {type(task).__name__}")

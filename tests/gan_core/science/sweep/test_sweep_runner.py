"""The sweep runner and its local backend: cells stream in as they finish, a diverging run is a
diverged cell (never a crashed sweep), cancelling stops running work, and runs are deterministic."""

import threading
from concurrent.futures import Future

import pytest

import gan_core.science.sweep.run as run_module
from gan_core.engine.trainer import Trainer
from gan_core.science.sweep import Sweep, plan_sweep, run_sweep, run_task, sweep_json
from gan_core.science.sweep.run import RunTask
from gan_core.science.sweep.work import execute


@pytest.fixture
def pool(sweep_pool):
    return sweep_pool


def test_cells_stream_in_before_the_sweep_ends(pool):
    plan = plan_sweep("dirac-r1", ["regularizers.r1=0,0.1,0.2,0.3,0.5,0.7,1,2"], seeds=1, steps=150)
    sweep = Sweep(plan, pool)
    seen = []
    for cell in sweep.cells():
        seen.append((cell.index, sweep.runs_done))
    assert sorted(i for i, _ in seen) == list(range(8))
    assert seen[0][1] < plan.runs  # the first cell came out while runs were still to finish
    assert [done for _, done in seen] == sorted(done for _, done in seen)


def test_a_diverging_cell_is_a_cell_not_a_crash(pool):
    # SGD at lr 10 on D blows the losses up within a few iterations; lr 0.01 trains normally.
    plan = plan_sweep("gaussian-1d", ['optimizer_d={"name": "sgd", "lr": 0.01},{"name": "sgd", "lr": 10}',
                                      'optimizer_g={"name": "sgd", "lr": 10}'], seeds=2, steps=100)
    result = run_sweep(plan, pool)
    assert len(result.cells) == 2
    assert all(o == "diverged" for o in result.cells[1].outcomes)
    assert "non-finite" in result.cells[1].reasons[0]
    js = sweep_json(result)
    assert [c["outcome"] for c in js["cells"]] == [result.cells[0].outcome, "diverged"]


def test_cancel_ends_the_sweep_and_stops_running_work(pool):
    plan = plan_sweep("dirac-r1", ["regularizers.r1=0,1,2,3"], seeds=2, steps=900_000)  # minutes per run
    sweep = Sweep(plan, pool)
    got = []
    thread = threading.Thread(target=lambda: got.extend(sweep.cells()))
    thread.start()
    threading.Event().wait(1.0)
    sweep.cancel()
    thread.join(timeout=60)
    assert not thread.is_alive() and sweep.cancelled and got == []
    # The pool is free again: the two long runs stopped at their next look at the cancel flag (had
    # they run on, this sweep would wait behind them for longer than the suite's timeout).
    quick = plan_sweep("dirac-r1", ["regularizers.r1=1"], seeds=1, steps=20)
    assert len(run_sweep(quick, pool).cells) == 1


def test_a_running_task_stops_when_its_flag_appears(monkeypatch, tmp_path):
    # What a worker runs, in this process: the flag appears after the run's third chunk of steps.
    cfg = plan_sweep("dirac-r1", ["regularizers.r1=0"], seeds=1).grid.cells[0].config.model_dump(mode="json")
    flag = tmp_path / "cancel"
    task = RunTask("flagged", 0, 0, cfg, steps=900_000, cancel_path=str(flag))
    chunks = []
    step = Trainer.step

    def counted(self, n=1):
        step(self, n)
        chunks.append(n)
        if len(chunks) == 3:
            flag.touch()

    monkeypatch.setattr(Trainer, "step", counted)
    record = run_task(task)
    assert record["cancelled"] and record["outcome"] is None and record["status"] == "cancelled"
    assert record["iterations"] == 3 * run_module.CANCEL_EVERY and len(chunks) == 3


def test_a_run_is_deterministic_and_measured_at_fixed_intervals(monkeypatch):
    cfg = plan_sweep("gaussian-1d", ["training.k_d=1"], seeds=1).grid.cells[0].config.model_dump(mode="json")
    task = RunTask("d", 0, 3, {**cfg, "seed": 3}, steps=60, checkpoints=6)
    calls = []
    real = run_module.checkpoint
    monkeypatch.setattr(run_module, "checkpoint", lambda t, n: calls.append(t.iteration) or real(t, n))
    a = run_task(task)
    assert calls == [0, 10, 20, 30, 40, 50, 60]
    b = run_task(task)
    assert {k: v for k, v in a.items() if k != "seconds"} == {k: v for k, v in b.items() if k != "seconds"}
    assert a["iterations"] == 60 and a["outcome"] in ("converged", "oscillating", "stalled")


def test_an_error_torch_raises_mid_run_is_a_diverged_record(monkeypatch):
    cfg = plan_sweep("gaussian-1d", ["training.k_d=1"], seeds=1).grid.cells[0].config.model_dump(mode="json")

    def boom(self, n=1):
        raise RuntimeError("normal expects all elements of std >= 0.0\nmore")

    monkeypatch.setattr(Trainer, "step", boom)
    rec = run_task(RunTask("e", 0, 0, cfg, steps=10))
    assert rec["outcome"] == "diverged" and rec["status"] == "error"
    assert rec["reason"] == "training raised RuntimeError: normal expects all elements of std >= 0.0"


class CountingBackend:
    """Runs each task in this process when the sweep waits; counts the units submitted before the first
    one finished."""

    name, slots = "counting", 2

    def __init__(self):
        self.pending, self.finished, self.before_first = [], 0, 0

    def submit(self, task):
        if not self.finished:
            self.before_first += 1
        f = Future()
        self.pending.append((f, task))
        return f

    def wait(self, handles, timeout):
        f, task = self.pending.pop(0)
        f.set_result(execute(task))
        self.finished += 1
        return [(f, f.result())]

    def cancel(self, sweep, handles):
        pass


@pytest.mark.parametrize("first_alone, before_first", [(False, 4), (True, 1)])
def test_a_page_sweep_runs_its_first_square_alone_and_the_cli_keeps_every_worker_busy(first_alone, before_first):
    # 8 cells x 1 seed of the Dirac game: the first cell alone, then groups; a window of 2 x 2 slots.
    plan = plan_sweep("dirac-r1", ["regularizers.r1=0,0.1,0.2,0.3,0.5,0.7,1,2"], seeds=1, steps=20)
    assert len(plan.tasks("x")) >= 4
    backend = CountingBackend()
    cells = list(Sweep(plan, backend, first_alone=first_alone).cells())
    assert backend.before_first == before_first and len(cells) == 8

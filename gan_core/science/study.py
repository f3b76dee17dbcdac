"""The mode-coverage study (issue 4): ring and grid x vanilla GAN, unrolled GAN, WGAN-GP x seeds.

    toygan reproduce [--seeds N] [--steps-scale F | --steps N] [--jobs J]
                     [--only NAME,...] [--eval-samples N] [--out DIR]
    python -m gan_core reproduce ...        (the same, without the web stack)

Each run trains one Trainer from its own seed (0..N-1), then measures the engine's metrics
(`Trainer.evaluate`, i.e. gan_core.engine.metrics.summary) on `--eval-samples` fresh samples. The
results are written to DIR: `results.json` (every run and the table), `results.md` (the table,
mean ± std over seeds) and `results.html` (one self-contained plotly page: the final samples of
every run, the table), made by gan_core.report.study_report. docs/results.md puts the table beside
the published ones. The setups are data (gan_core.science.study_setups).

Runs go to a process pool (`--jobs`, default: the usable cores), one torch thread per worker:
these networks are too small for intra-op threads to pay, and each run is deterministic from its seed.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from gan_core.cores import usable_cores
from gan_core.engine.config import ConfigError, ExperimentConfig, deep_merge, parse_config
from gan_core.plain_json import json_safe
from gan_core.science.study_setups import (
    DEFAULT_OUT,
    DEFAULT_SEEDS,
    EVAL_SAMPLES,
    FINE_LR_FACTOR,
    METHODS,
    METRICS,
    PANEL_POINTS,
    SETUPS,
    TARGET_PATCHES,
    TARGETS,
)


@dataclass(frozen=True)
class Job:
    """One run: everything a worker process needs (plain data, so it pickles)."""

    target: str
    method: str
    seed: int
    steps: int  # in all
    fine_steps: int  # the last ones, with fine_patch applied
    fine_patch: dict[str, Any]
    config: dict[str, Any]
    eval_samples: int
    panel_points: int


@dataclass(frozen=True)
class Options:
    seeds: int = DEFAULT_SEEDS
    steps_scale: float = 1.0
    steps: int | None = None  # every run's iterations, replacing the setups' (quick checks, tests)
    jobs: int = 1
    targets: tuple[str, ...] = TARGETS
    methods: tuple[str, ...] = METHODS
    eval_samples: int = EVAL_SAMPLES
    out: str = DEFAULT_OUT


# ---- the study as data ------------------------------------------------------------------------

def study_config(target: str, method: str, seed: int) -> ExperimentConfig:
    """The validated ExperimentConfig of one run (ConfigError if a setup does not validate)."""
    patch = deep_merge(SETUPS[method].patch, TARGET_PATCHES[target])
    return parse_config({**patch, "seed": seed})


def run_steps(method: str, opts: Options) -> int:
    """Iterations for `method`: --steps when given, else the setup's scaled by --steps-scale (>= 1)."""
    if opts.steps is not None:
        return opts.steps
    return max(1, round(SETUPS[method].steps * opts.steps_scale))


def fine_patch(cfg: ExperimentConfig) -> dict[str, Any]:
    """Both learning rates times FINE_LR_FACTOR (applied live: weights and Adam moments carry on)."""
    return {name: {"lr": getattr(cfg, name).lr * FINE_LR_FACTOR} for name in ("optimizer_g", "optimizer_d")}


def _job(target: str, method: str, seed: int, opts: Options) -> Job:
    cfg = study_config(target, method, seed)
    steps = run_steps(method, opts)
    return Job(target, method, seed, steps, round(steps * SETUPS[method].fine_share), fine_patch(cfg),
               cfg.model_dump(mode="json"), opts.eval_samples, PANEL_POINTS)


def plan(opts: Options) -> list[Job]:
    """Every run of the study, the most expensive first (a pool then ends with short runs)."""
    jobs = [_job(t, m, s, opts) for t in opts.targets for m in opts.methods for s in range(opts.seeds)]
    return sorted(jobs, key=lambda j: -j.steps * SETUPS[j.method].ms_per_step)


# ---- one run (in a worker) --------------------------------------------------------------------

def _round(a: np.ndarray) -> list[list[float]]:
    """Points as plain lists with 4 decimals (0.1 mm on a plot a few units wide; keeps files small)."""
    return np.round(np.asarray(a, dtype=np.float64), 4).tolist()


def run_job(job: Job) -> dict[str, Any]:
    """Train one run and measure it. Returns a plain dict (metrics, timing, final samples)."""
    import torch

    from gan_core.engine.snapshot import SnapshotOptions
    from gan_core.engine.trainer import Trainer

    torch.set_num_threads(1)  # tiny networks: one thread per process beats threads fighting over cores
    began, cpu_began = time.perf_counter(), time.process_time()
    t = Trainer(job.config)
    t.step(job.steps - job.fine_steps)
    if job.fine_steps:
        t.apply(job.fine_patch)
        t.step(job.fine_steps)
    train_s = time.perf_counter() - began
    m = t.evaluate(job.eval_samples)
    s = t.snapshot(SnapshotOptions(samples=job.panel_points, grid=8, manifold=0, gradients=False,
                                   density=False, metrics=False))
    fake = s.fake[np.isfinite(s.fake).all(1)]
    return {
        "target": job.target, "method": job.method, "seed": job.seed, "steps": t.iteration,
        "steps_requested": job.steps, "fine_steps": job.fine_steps, "status": t.status, "status_message": t.status_message,
        "train_seconds": round(train_s, 3), "seconds": round(time.perf_counter() - began, 3),
        # CPU time of this worker: unlike the wall time it does not grow when the machine is shared.
        "cpu_seconds": round(time.process_time() - cpu_began, 3),
        "metrics": {k: float(m[k]) for k in (*METRICS, "modes_total", "fake_finite_fraction") if k in m},
        "fake": _round(fake), "real": _round(s.real[: job.panel_points // 2]),
    }


def run_all(jobs: Sequence[Job], workers: int, on_done: Any = None) -> list[dict[str, Any]]:
    """Run the jobs, in this process when workers == 1, else in a pool of `workers` processes.
    `on_done(record, done, total)` is called as each finishes. Returns records in plan order."""
    records: list[dict[str, Any] | None] = [None] * len(jobs)

    def done(i: int, rec: dict[str, Any]) -> None:
        records[i] = rec
        if on_done:
            on_done(rec, sum(r is not None for r in records), len(jobs))

    if workers <= 1:
        for i, job in enumerate(jobs):
            done(i, run_job(job))
    else:
        # spawn, not fork: a forked torch can deadlock on locks held by the parent's threads.
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(run_job, job): i for i, job in enumerate(jobs)}
            for fut in as_completed(futures):
                done(futures[fut], fut.result())
    return [r for r in records if r is not None]


# ---- options and the command ------------------------------------------------------------------

def add_arguments(p: Any) -> None:
    """The options of `toygan reproduce` (an argparse parser)."""
    p.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help=f"seeds per (target, method) (default {DEFAULT_SEEDS})")
    p.add_argument("--steps-scale", type=float, default=1.0,
                   help="multiply every setup's iterations by this (e.g. 0.1 for a quick look)")
    p.add_argument("--steps", type=int, help="every run's iterations (replaces the setups' and --steps-scale)")
    p.add_argument("--jobs", type=int, help="worker processes (default: the usable cores)")
    p.add_argument("--only", action="append", default=[], metavar="NAME[,NAME]",
                   help=f"only these methods ({', '.join(METHODS)}) and/or targets ({', '.join(TARGETS)}); "
                   "repeatable")
    p.add_argument("--eval-samples", type=int, default=EVAL_SAMPLES,
                   help=f"fresh samples for the final metrics (default {EVAL_SAMPLES})")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")


def _split_only(only: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names = [n.strip() for item in only for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in METHODS and n not in TARGETS]
    if unknown:
        raise ConfigError(f"unknown name {unknown[0]!r} (known: {', '.join((*METHODS, *TARGETS))})", "--only")
    targets = tuple(t for t in TARGETS if t in names) or TARGETS
    methods = tuple(m for m in METHODS if m in names) or METHODS
    return targets, methods


def options(args: Any) -> Options:
    """Checked Options from parsed arguments; ConfigError naming the option on bad input."""
    if args.seeds < 1:
        raise ConfigError(f"must be >= 1, got {args.seeds}", "--seeds")
    if not (math.isfinite(args.steps_scale) and args.steps_scale > 0):
        raise ConfigError(f"must be > 0, got {args.steps_scale}", "--steps-scale")
    if args.steps is not None and args.steps < 1:
        raise ConfigError(f"must be >= 1, got {args.steps}", "--steps")
    jobs = usable_cores() if args.jobs is None else args.jobs
    if jobs < 1:
        raise ConfigError(f"must be >= 1, got {jobs}", "--jobs")
    if args.eval_samples < 10:
        raise ConfigError(f"must be >= 10, got {args.eval_samples}", "--eval-samples")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{args.out} exists and is not a folder", "--out")
    targets, methods = _split_only(args.only)
    return Options(seeds=args.seeds, steps_scale=args.steps_scale, steps=args.steps, jobs=jobs, targets=targets,
                   methods=methods, eval_samples=args.eval_samples, out=str(out))


def command_line(opts: Options) -> str:
    """The `toygan reproduce ...` line that reruns this study (shown in every output)."""
    parts = ["toygan reproduce", f"--seeds {opts.seeds}", f"--jobs {opts.jobs}"]
    if opts.steps is not None:
        parts.append(f"--steps {opts.steps}")
    elif opts.steps_scale != 1.0:
        parts.append(f"--steps-scale {opts.steps_scale:g}")
    if opts.targets != TARGETS or opts.methods != METHODS:
        parts.append("--only " + ",".join((*(opts.targets if opts.targets != TARGETS else ()),
                                           *(opts.methods if opts.methods != METHODS else ()))))
    if opts.eval_samples != EVAL_SAMPLES:
        parts.append(f"--eval-samples {opts.eval_samples}")
    return " ".join(parts)


def _progress(rec: dict[str, Any], done: int, total: int) -> None:
    m = rec["metrics"]
    print(f"[{done}/{total}] {rec['target']:<4} {rec['method']:<8} seed {rec['seed']}: "
          f"modes {m.get('modes_captured', 0):.0f}/{m.get('modes_total', 0):.0f} "
          f"(strict {m.get('modes_captured_strict', 0):.0f})  "
          f"hq {m.get('high_quality_fraction', 0):.3f}  kl {m.get('mode_kl', math.nan):.3f}  "
          f"dist {m.get('sample_distance', math.nan):.3f}  ({rec['seconds']:.0f} s"
          f"{', ' + rec['status'] if rec['status'] != 'ok' else ''})", flush=True)


def study(opts: Options, quiet: bool = False) -> dict[str, Any]:
    """Run the study and write results.json / results.md / results.html under opts.out."""
    from gan_core.report.study_report import aggregate, results_html, results_markdown, table_markdown

    jobs = plan(opts)
    workers = min(opts.jobs, len(jobs))
    if not quiet:
        est = sum(j.steps * SETUPS[j.method].ms_per_step for j in jobs) / 1000 / workers
        print(f"{len(jobs)} runs on {workers} worker(s); about {est / 60:.0f} min on idle cores", flush=True)
    began = time.perf_counter()
    records = run_all(jobs, workers, None if quiet else _progress)
    rows = aggregate(records)
    meta = {"command": command_line(opts), "seeds": opts.seeds, "jobs": workers, "eval_samples": opts.eval_samples,
            "wall_seconds": round(time.perf_counter() - began, 1),
            "cpu_seconds": round(sum(r.get("cpu_seconds", 0.0) for r in records), 1),
            "setups": {m: {"title": SETUPS[m].title, "steps": run_steps(m, opts),
                           "fine_steps": round(run_steps(m, opts) * SETUPS[m].fine_share),
                           "fine_lr_factor": FINE_LR_FACTOR, "source": SETUPS[m].source,
                           "patch": SETUPS[m].patch} for m in opts.methods},
            "targets": {t: TARGET_PATCHES[t] for t in opts.targets}}
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = [{k: v for k, v in r.items() if k not in ("fake", "real")} for r in records]
    # NaN (a metric of a diverged run) becomes null: strict JSON has no spelling for it.
    payload = json_safe({"meta": meta, "table": rows, "runs": runs})
    (out / "results.json").write_text(json.dumps(payload, indent=1, allow_nan=False) + "\n")
    (out / "results.md").write_text(results_markdown(rows, meta))
    (out / "results.html").write_text(results_html(records, rows, meta), encoding="utf-8")
    if not quiet:
        print(table_markdown(rows))
        print(f"wall time {meta['wall_seconds']:.0f} s; wrote {out / 'results.json'}, {out / 'results.md'}, "
              f"{out / 'results.html'}", flush=True)
    return {"meta": meta, "table": rows, "runs": records}

"""`toygan run`: train one experiment headless, print progress, and optionally a JSON summary.

    toygan run --preset NAME | --config FILE.json [--set key=value ...] [--steps N] [--seed S]
               [--every N] [--json] [--report out.html]

`run` prints one progress line every `--every` iterations; with `--json` the last line of
stdout is one JSON object: steps (iterations done), steps_requested, seconds (wall time of the
whole run, evaluations included), train_seconds (in Trainer.step only), its (iterations per
train second), status ("ok" | "diverged" | "interrupted"), status_message, config (the full
resolved config), schema_version (that config's) and metrics (gan_core.engine.metrics.summary on
2048 fresh samples at the end, plus kl_grid / js_grid from metrics.kde_divergences). NaN/inf
metrics (a diverged run) are written as null.

--report writes one HTML file (gan_core.report.run_report): the main view at 13 evenly spaced
iterations (0 to the end, a slider over them, each framed on the target and the generated samples
as the page frames them), the loss and metric curves, and the settings in effect.

A --config file may say its "schema_version"; one that does not is read as version 1, so files
from older versions of the lab still run (fields that do not apply to the chosen kinds are left
out, named on stderr), and a valid current file reads the same either way.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch

from gan_core.cli.values import add_base_arguments, config_file, set_patch
from gan_core.engine.config import SCHEMA_VERSION, ConfigError, ExperimentConfig, apply_patch
from gan_core.engine.metrics import kde_divergences
from gan_core.engine.snapshot import SnapshotOptions
from gan_core.engine.trainer import Trainer
from gan_core.plain_json import json_safe
from gan_core.report.evolution import record_snapshot, report_iterations
from gan_core.report.run_report import write_report
from gan_core.science.presets import get_preset

DEFAULT_STEPS = 1000  # iterations for --config runs when --steps is not given
EXIT_INTERRUPTED = 130


def add_arguments(r: argparse.ArgumentParser) -> None:
    """The options of `toygan run`."""
    add_base_arguments(r, "the run")
    r.add_argument("--steps", type=int, help=f"iterations to train (default: the preset's, else {DEFAULT_STEPS})")
    r.add_argument("--seed", type=int, help="random seed (replaces the config's)")
    r.add_argument("--every", type=int, help="print a progress line every N iterations (default: steps/10)")
    r.add_argument("--json", action="store_true", help="end with one JSON object on the last line of stdout")
    r.add_argument("--report", metavar="OUT.html", help="write a self-contained HTML report of the run")


def preset_or_error(name: str, field: str = "preset"):
    """The preset called `name`, or a ConfigError naming `field` and the known presets."""
    try:
        return get_preset(name)
    except KeyError as exc:
        raise ConfigError(str(exc.args[0]), field) from None


def resolve(args: argparse.Namespace) -> tuple[ExperimentConfig, int]:
    """The config and step count a `run` asks for: preset or file, then --set, then --seed."""
    if args.preset is not None:
        preset = preset_or_error(args.preset)
        cfg, preset_steps = preset.experiment(), preset.steps
    else:
        cfg, dropped = config_file(args.config)
        preset_steps = None
        if dropped:
            print(f"note: {args.config} is read as a schema version 1 file; left out {', '.join(dropped)} "
                  "(they do not apply to the kinds it chose)", file=sys.stderr)
    patch = set_patch(args.set)
    if args.seed is not None:
        patch["seed"] = args.seed
    if patch:
        cfg = apply_patch(cfg, patch)
    steps = args.steps if args.steps is not None else (preset_steps or DEFAULT_STEPS)
    if steps < 0:
        raise ConfigError(f"must be >= 0, got {steps}", "--steps")
    if args.every is not None and args.every < 1:
        raise ConfigError(f"must be >= 1, got {args.every}", "--every")
    if args.report is not None and not Path(args.report).resolve().parent.is_dir():
        raise ConfigError(f"folder of {args.report} does not exist", "--report")
    return cfg, steps


def _fmt(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def progress_line(it: int, total: int, losses: dict[str, float], m: dict[str, float], its: float) -> str:
    parts = [f"iter {it}/{total}", f"d_loss {_fmt(losses.get('d_loss'))}", f"g_loss {_fmt(losses.get('g_loss'))}"]
    if "modes_total" in m:
        # the published rule (VEEGAN / PacGAN), then the lab's strict one (gan_core.engine.metrics)
        parts.append(f"modes {int(m['modes_captured'])}/{int(m['modes_total'])} "
                     f"(strict {int(m.get('modes_captured_strict', 0))})")
        parts.append(f"hq {m['high_quality_fraction']:.3f}")
    for key, label in (("sample_distance", "dist"), ("distance_to_equilibrium", "eq_dist")):
        if key in m:
            parts.append(f"{label} {_fmt(m[key])}")
    parts.append(f"{its:.0f} it/s")
    return "  ".join(parts)


def final_divergences(t: Any, n: int = 2048) -> dict[str, float]:
    """kl_grid / js_grid (gan_core.engine.metrics.kde_divergences) on n fresh real and generated samples:
    too slow for every frame (up to ~0.3 s in 2D), worth it once at the end of a headless run."""
    s = t.snapshot(SnapshotOptions(samples=n, grid=8, manifold=0, gradients=False, density=False, metrics=False))
    return kde_divergences(s.fake, s.real, s.bounds, s.dim)


def command(args: argparse.Namespace) -> int:
    """Run `toygan run`; returns the exit code."""
    cfg, steps = resolve(args)
    # These networks are tiny: one thread is faster than several fighting over a busy machine
    # (measured on the 2-core dev box under load, bimodal-averaging: ~20 it/s on 2 threads, ~300 on 1).
    torch.set_num_threads(1)
    began = time.perf_counter()
    t = Trainer(cfg)
    every = args.every or max(1, steps // 10)
    # --report: the main view at these iterations (its slider), taken between steps, not timed.
    views_at = report_iterations(steps) if args.report else []
    views = [record_snapshot(t)] if views_at else []
    train_s = 0.0
    interrupted = False
    try:
        while t.iteration < steps and t.status == "ok":
            next_print = min(steps, (t.iteration // every + 1) * every)
            stop = min([next_print] + [i for i in views_at if i > t.iteration])
            start = time.perf_counter()
            t.step(stop - t.iteration)
            train_s += time.perf_counter() - start
            if t.iteration in views_at:
                views.append(record_snapshot(t))
            if t.iteration == next_print:
                m = t.evaluate()
                print(progress_line(t.iteration, steps, t.losses, m, t.iteration / max(train_s, 1e-9)), flush=True)
    except KeyboardInterrupt:
        interrupted = True
    if t.status != "ok":
        print(f"stopped: {t.status_message}", flush=True)
    metrics = {**t.evaluate(), **final_divergences(t)}
    if args.report:
        if not views or views[-1].iteration != t.iteration:
            views.append(record_snapshot(t))  # stopped early (diverged, interrupted): how it ended
        write_report(args.report, t, t.history, t.config, views)
        print(f"report: {args.report}", flush=True)
    if args.json:
        out = {
            "steps": t.iteration, "steps_requested": steps, "schema_version": SCHEMA_VERSION,
            "seconds": round(time.perf_counter() - began, 4), "train_seconds": round(train_s, 4),
            "its": t.iteration / train_s if train_s > 0 else 0.0,
            "status": "interrupted" if interrupted else t.status, "status_message": t.status_message,
            "config": t.config.model_dump(mode="json"), "metrics": metrics,
        }
        print(json.dumps(json_safe(out), allow_nan=False), flush=True)
    return EXIT_INTERRUPTED if interrupted else 0

"""Headless runs: `toygan run ...`, `toygan presets`, `toygan reproduce ...` (also `python -m gan_core ...`).

    run --preset NAME | --config FILE.json [--set key=value ...] [--steps N] [--seed S]
        [--every N] [--json] [--report out.html]
    presets
    reproduce [--seeds N] [--steps-scale F | --steps N] [--jobs J] [--only NAME,...] [--out DIR]
        (the mode-coverage study; see gan_core.reproduce)

`run` prints one progress line every `--every` iterations; with `--json` the last line of
stdout is one JSON object: steps (iterations done), steps_requested, seconds (wall time of the
whole run, evaluations included), train_seconds (in Trainer.step only), its (iterations per
train second), status ("ok" | "diverged" | "interrupted"), status_message, config (the full
resolved config) and metrics (gan_core.metrics.summary on 2048 fresh samples at the end, plus
kl_grid / js_grid from metrics.kde_divergences).
NaN/inf metrics (a diverged run) are written as null.
Bad input prints one line `toygan: error: FIELD: REASON` on stderr and exits 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from gan_core.config import ConfigError, ExperimentConfig, apply_patch, deep_merge, dotted_patch, parse_config

DEFAULT_STEPS = 1000  # iterations for --config runs when --steps is not given
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() reports one line and returns 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(message, None)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="toygan", description="ToyGAN Lab: headless training runs.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    r = sub.add_parser("run", help="train headless and print progress (and a JSON summary)")
    src = r.add_mutually_exclusive_group(required=True)
    src.add_argument("--preset", help="a preset name (see `toygan presets`)")
    src.add_argument("--config", help="an ExperimentConfig as a JSON file (missing keys take defaults)")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field by dotted path, e.g. optimizer_d.lr=1e-4 (value parsed as "
                   "JSON when it can be, else taken as a string); repeatable")
    r.add_argument("--steps", type=int, help=f"iterations to train (default: the preset's, else {DEFAULT_STEPS})")
    r.add_argument("--seed", type=int, help="random seed (replaces the config's)")
    r.add_argument("--every", type=int, help="print a progress line every N iterations (default: steps/10)")
    r.add_argument("--json", action="store_true", help="end with one JSON object on the last line of stdout")
    r.add_argument("--report", metavar="OUT.html", help="write a self-contained HTML report of the run")
    sub.add_parser("presets", help="list the presets, one line each")
    from gan_core import reproduce  # light: torch and plotly load only when the study runs

    reproduce.add_arguments(sub.add_parser(
        "reproduce", help="the mode-coverage study: ring and grid x vanilla, unrolled, WGAN-GP x seeds "
        "(docs/results.md)"))
    return p


def parse_value(text: str) -> Any:
    """JSON when it parses (numbers, true/false/null, lists, objects, quoted strings), else the raw string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def set_patch(assignments: list[str]) -> dict[str, Any]:
    """["a.b=1", "c=x"] -> {"a": {"b": 1}, "c": "x"}; raises ConfigError for a malformed item."""
    patch: dict[str, Any] = {}
    for item in assignments:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"--set: expected KEY=VALUE, got {item!r}", None)
        patch = deep_merge(patch, dotted_patch(key.strip(), parse_value(value)))
    return patch


def _presets_module() -> Any:
    try:
        from gan_core import presets
    except ImportError as exc:
        raise ConfigError(f"presets are not available in this build ({exc})", "preset") from None
    return presets


def _preset(name: str) -> tuple[ExperimentConfig, int | None]:
    presets = _presets_module()
    try:
        cfg = presets.preset_config(name)
    except KeyError:
        known = ", ".join(p.name for p in presets.list_presets())
        raise ConfigError(f"unknown preset {name!r} (known: {known})", "preset") from None
    steps = next((getattr(p, "steps", None) for p in presets.list_presets() if p.name == name), None)
    return cfg, steps


def _read_config(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}", "config") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid JSON ({exc})", "config") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object", "config")
    return data


def resolve(args: argparse.Namespace) -> tuple[ExperimentConfig, int]:
    """The config and step count a `run` asks for: preset or file, then --set, then --seed."""
    if args.preset is not None:
        cfg, preset_steps = _preset(args.preset)
    else:
        cfg, preset_steps = parse_config(_read_config(args.config)), None
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


def finite_or_none(obj: Any) -> Any:
    """NaN and infinities become null: strict JSON has no spelling for them."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_or_none(v) for v in obj]
    return obj


def _fmt(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def progress_line(it: int, total: int, losses: dict[str, float], m: dict[str, float], its: float) -> str:
    parts = [f"iter {it}/{total}", f"d_loss {_fmt(losses.get('d_loss'))}", f"g_loss {_fmt(losses.get('g_loss'))}"]
    if "modes_total" in m:
        parts.append(f"modes {int(m['modes_captured'])}/{int(m['modes_total'])}")
        parts.append(f"hq {m['high_quality_fraction']:.3f}")
    for key, label in (("sample_distance", "dist"), ("distance_to_equilibrium", "eq_dist")):
        if key in m:
            parts.append(f"{label} {_fmt(m[key])}")
    parts.append(f"{its:.0f} it/s")
    return "  ".join(parts)


def final_divergences(t: Any, n: int = 2048) -> dict[str, float]:
    """kl_grid / js_grid (gan_core.metrics.kde_divergences) on n fresh real and generated samples:
    too slow for every frame (up to ~0.3 s in 2D), worth it once at the end of a headless run."""
    from gan_core.metrics import kde_divergences
    from gan_core.snapshot import SnapshotOptions

    s = t.snapshot(SnapshotOptions(samples=n, grid=8, manifold=0, gradients=False, density=False, metrics=False))
    return kde_divergences(s.fake, s.real, s.bounds, s.dim)


def run(args: argparse.Namespace) -> int:
    cfg, steps = resolve(args)
    import torch

    from gan_core.trainer import Trainer  # torch import: only when there is something to train

    # These networks are tiny: one thread is faster than several fighting over a busy machine
    # (measured on the 2-core dev box under load, bimodal-averaging: ~20 it/s on 2 threads, ~300 on 1).
    torch.set_num_threads(1)
    began = time.perf_counter()
    t = Trainer(cfg)
    every = args.every or max(1, steps // 10)
    train_s = 0.0
    interrupted = False
    try:
        while t.iteration < steps and t.status == "ok":
            start = time.perf_counter()
            t.step(min(every, steps - t.iteration))
            train_s += time.perf_counter() - start
            m = t.evaluate()
            print(progress_line(t.iteration, steps, t.losses, m, t.iteration / max(train_s, 1e-9)), flush=True)
    except KeyboardInterrupt:
        interrupted = True
    if t.status != "ok":
        print(f"stopped: {t.status_message}", flush=True)
    metrics = {**t.evaluate(), **final_divergences(t)}
    if args.report:
        from gan_core.report import write_report

        write_report(args.report, t, t.history, t.config)
        print(f"report: {args.report}", flush=True)
    if args.json:
        out = {
            "steps": t.iteration, "steps_requested": steps,
            "seconds": round(time.perf_counter() - began, 4), "train_seconds": round(train_s, 4),
            "its": t.iteration / train_s if train_s > 0 else 0.0,
            "status": "interrupted" if interrupted else t.status, "status_message": t.status_message,
            "config": t.config.model_dump(mode="json"), "metrics": metrics,
        }
        print(json.dumps(finite_or_none(out), allow_nan=False), flush=True)
    return EXIT_INTERRUPTED if interrupted else 0


def list_presets_lines() -> list[str]:
    """One line per preset: name, its title (the one-line description; the first line of the long
    description when there is no title) and the suggested headless steps."""
    presets = _presets_module()
    lines = []
    for p in presets.list_presets():
        text = (getattr(p, "title", "") or getattr(p, "description", "") or "").strip()
        one = text.splitlines()[0] if text else ""
        steps = getattr(p, "steps", None)
        lines.append(f"{p.name:<24} {one}{f' ({steps} steps)' if steps else ''}".rstrip())
    return lines


def main(argv: list[str] | None = None) -> int:
    """Entry point for `toygan run|presets|reproduce` and `python -m gan_core`; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
        if args.command == "presets":
            print("\n".join(list_presets_lines()))
            return 0
        if args.command == "reproduce":
            from gan_core import reproduce

            reproduce.study(reproduce.options(args))
            return 0
        return run(args)
    except ConfigError as exc:
        where = f"{exc.field}: " if exc.field and not exc.message.startswith(exc.field + ":") else ""
        print(f"toygan: error: {where}{exc.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except BrokenPipeError:  # `toygan run ... | head`: the reader left; not an error worth a traceback
        return 0

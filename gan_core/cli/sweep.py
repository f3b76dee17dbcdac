"""`toygan sweep`: a stability map, one or two settings x seeds, every run classified.

    toygan sweep --preset P --grid PATH=V1,V2,... [--grid PATH=...] [--seeds N] [--steps N]
                 [--jobs N] [--backend local|ray] [--ray-address ADDR] [--no-vectorize] [--json]
                 [--report out.html]
    toygan sweep --config experiment.json [--set KEY=VALUE ...] --grid ...   # a config of your own
                                                                              # (or a saved experiment)

`--set` edits the base every cell starts from (the preset's config, or the file's) before the grid
is applied, as `toygan run --set` does; with --config, "preset" in --json is null and runs take
--steps (default 2000).

One line per cell as it finishes, then the map as a table of outcome letters; with --json the
last line of stdout is one object: preset, steps, seeds, backend, seconds, axes [{path, values}],
cells [{params, outcome, outcomes, metrics, reasons, index}], cancelled and vectorized (NaN
metrics are null).
Everything is checked before any run starts; bad input is one line `toygan: error: FIELD: REASON`
and exit 2. Ctrl-C cancels the runs still going and exits 130 (with --json, after printing the
cells done so far). A run that fails for a reason other than its numbers (a bug, a worker killed
for memory) stops the sweep with one line on stderr and exit 1. The rules behind the outcomes:
docs/sweeps.md, gan_core.science.sweep.outcomes.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from gan_core.cli.values import add_base_arguments, config_file, set_patch
from gan_core.cores import usable_cores
from gan_core.engine.config import ConfigError, ExperimentConfig, apply_patch
from gan_core.plain_json import json_safe
from gan_core.science.presets import get_preset
from gan_core.science.sweep.outcomes import LETTERS, OUTCOMES
from gan_core.science.sweep.runner import (
    DEFAULT_SEEDS,
    DEFAULT_STEPS,
    CellResult,
    Sweep,
    SweepError,
    SweepPlan,
    SweepResult,
    plan_sweep,
    sweep_json,
)

EXIT_INTERRUPTED = 130
EXIT_FAILED = 1
OPTION_FIELDS = ("seeds", "steps", "grid")  # plan_sweep's field names that are options here


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `toygan sweep`."""
    add_base_arguments(p, "every cell")  # --preset | --config, and --set (applied before the grid)
    p.add_argument("--grid", action="append", default=[], metavar="PATH=V1,V2,...",
                   help="an axis: a dotted config path (as --set takes it) and its values, or log:LO:HI:N / "
                   "lin:LO:HI:N; one or two")
    p.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help=f"seeds 0..N-1 per cell (default {DEFAULT_SEEDS})")
    p.add_argument("--steps", type=int, help=f"iterations per run (default: the preset's; {DEFAULT_STEPS} with --config)")
    p.add_argument("--jobs", type=int, help="runs at once (default: the usable cores; with ray: the cluster's CPUs)")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="local worker processes (default) or Ray tasks")
    p.add_argument("--ray-address", help="join this Ray cluster (default: RAY_ADDRESS, else a local Ray)")
    p.add_argument("--no-vectorize", action="store_true",
                   help="train every run on its own Trainer (default: runs that share an architecture are stacked "
                   "into one batched model, several times faster, equal to float rounding; docs/sweeps.md)")
    p.add_argument("--json", action="store_true", help="end with one JSON object on the last line of stdout")
    p.add_argument("--report", metavar="OUT.html", help="write the map as a self-contained HTML page")


def base_config(args: argparse.Namespace) -> ExperimentConfig | None:
    """The config every cell starts from when it is not a preset's own: the --config file's, or the
    preset's edited by --set; None for the preset as it is."""
    patch = set_patch(args.set)
    if args.config is not None:
        cfg, dropped = config_file(args.config)
        if dropped:
            print(f"note: {args.config} is read as a schema version 1 file; left out {', '.join(dropped)} "
                  "(they do not apply to the kinds it chose)", file=sys.stderr)
    elif patch:
        try:
            cfg = get_preset(args.preset).experiment()
        except KeyError as exc:
            raise ConfigError(str(exc.args[0]), "preset") from None
    else:
        return None
    return apply_patch(cfg, patch) if patch else cfg


def checked_plan(args: argparse.Namespace) -> SweepPlan:
    """The plan, with every option checked; ConfigError naming the option or the axis."""
    base = base_config(args)
    try:
        plan = plan_sweep(args.preset, args.grid, seeds=args.seeds, steps=args.steps, vectorize=not args.no_vectorize,
                          base=base)
    except ConfigError as exc:
        if exc.field in OPTION_FIELDS:
            raise ConfigError(exc.message, "--" + exc.field) from None
        raise
    if args.jobs is not None and args.jobs < 1:
        raise ConfigError(f"must be >= 1, got {args.jobs}", "--jobs")
    if args.ray_address and args.backend != "ray":
        raise ConfigError("only with --backend ray", "--ray-address")
    if args.report is not None and not Path(args.report).resolve().parent.is_dir():
        raise ConfigError(f"folder of {args.report} does not exist", "--report")
    return plan


def source_words(args: argparse.Namespace) -> str:
    """How the command line named the base, for the report's "made with" line."""
    words = f"--config {args.config}" if args.config is not None else f"--preset {args.preset}"
    return " ".join([words, *(f"--set {a}" for a in args.set)])


def make_backend(args: argparse.Namespace) -> Any:
    if args.backend == "ray":
        from gan_core.science.sweep.ray_backend import RayBackend

        try:
            return RayBackend(address=args.ray_address, jobs=args.jobs)
        except ConfigError as exc:
            raise ConfigError(exc.message, "--" + (exc.field or "backend")) from None
    from gan_core.science.sweep.pool import LocalPool

    return LocalPool(args.jobs or usable_cores())


def _fmt(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else "n/a"


def cell_line(cell: CellResult, done: int, total: int) -> str:
    params = "  ".join(f"{k}={v}" for k, v in cell.params.items())
    m = cell.metrics
    dist = m.get("distance_to_equilibrium", m.get("sample_distance", math.nan))
    parts = [f"[{done}/{total}] {params}: {cell.outcome} ({', '.join(cell.outcomes)})", f"distance {_fmt(dist)}"]
    if m.get("modes_total", 0) >= 2:
        parts.append(f"modes reached {_fmt(m.get('modes_reached', math.nan))}/{m['modes_total']:.0f}")
    return "  ".join(parts)


def map_lines(plan: SweepPlan, cells: dict[int, CellResult]) -> list[str]:
    """The map as text: rows = the first axis, columns = the second (one column with one axis)."""
    axes = plan.axes
    rows, cols = axes[0], axes[1] if len(axes) > 1 else None
    labels = [str(v) for v in rows.values]
    heads = [str(v) for v in cols.values] if cols else ["outcome"]
    w0 = max(len(rows.path), *map(len, labels))
    w = max(3, *map(len, heads))
    key = ", ".join(f"{letter} {o}" for o, letter in LETTERS.items())
    out = [f"map: rows {rows.path}" + (f", columns {cols.path}" if cols else "") + f"  ({key}; . not run)",
           f"{rows.path:>{w0}}  " + " ".join(f"{h:>{w}}" for h in heads)]
    ncol = len(heads)
    for r, label in enumerate(labels):
        row = [cells.get(r * ncol + c) for c in range(ncol)]
        out.append(f"{label:>{w0}}  " + " ".join(f"{LETTERS[c.outcome] if c else '.':>{w}}" for c in row))
    return out


def command(args: argparse.Namespace) -> int:
    """Run `toygan sweep`; returns the exit code."""
    plan = checked_plan(args)
    try:
        backend = make_backend(args)
    except KeyboardInterrupt:  # Ctrl-C while the workers start: nothing ran yet
        print("interrupted before any run started", file=sys.stderr)
        return EXIT_INTERRUPTED
    shape = " x ".join(str(len(a.values)) for a in plan.axes)
    origin = args.config if args.config is not None else plan.preset + (" (edited by --set)" if args.set else "")
    print(f"sweep {origin}: {len(plan.grid.cells)} cells ({shape}) x {plan.seeds} seeds = {plan.runs} runs of "
          f"{plan.steps} iterations on {backend.name} ({backend.slots} at once)", flush=True)
    sweep = Sweep(plan, backend)
    cells: dict[int, CellResult] = {}
    began = time.perf_counter()
    interrupted = False
    try:
        for cell in sweep.cells():
            cells[cell.index] = cell
            print(cell_line(cell, len(cells), len(plan.grid.cells)), flush=True)
    except KeyboardInterrupt:
        interrupted = True
    except SweepError as exc:  # a run failed for a reason other than its numbers (a bug, a lost worker)
        print(f"toygan: sweep failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        backend.close()
    result = SweepResult(plan, backend.name, time.perf_counter() - began,
                         tuple(cells[i] for i in sorted(cells)), interrupted)
    print("\n".join(map_lines(plan, cells)), flush=True)
    counts = {o: sum(c.outcome == o for c in cells.values()) for o in OUTCOMES}
    print(f"{len(cells)} of {len(plan.grid.cells)} cells in {result.seconds:.1f} s: "
          + ", ".join(f"{n} {o}" for o, n in counts.items() if n)
          + ("  (interrupted)" if interrupted else ""), flush=True)
    if args.report:
        from gan_core.report.sweep_report import write_sweep_report

        write_sweep_report(args.report, result, source=source_words(args))
        print(f"report: {args.report}", flush=True)
    if args.json:
        print(json.dumps(json_safe(sweep_json(result)), allow_nan=False), flush=True)
    return EXIT_INTERRUPTED if interrupted else 0

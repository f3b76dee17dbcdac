"""The grid of a sweep: one or two axes over dotted config paths, every cell validated up front.

    axis = parse_axis("optimizer_d.lr=log:1e-4:1e-1:7")     # PATH=V1,V2,... or a spacing helper
    grid = build_grid(base_config, [axis, ...], max_cells=400)
    grid.cells[i].params  -> {"optimizer_d.lr": 0.001}; grid.cells[i].config -> ExperimentConfig

PATH is a dotted path into ExperimentConfig, as `toygan run --set` takes it; each value is parsed
like `--set`'s (JSON when it parses, else the raw string), so `objective.name=hinge,wgan-gp` and
`target.means=[-2,2],[-3,3]` both work (commas inside brackets or quotes do not split). Helpers:
`log:LO:HI:N` (N values spaced evenly in log, both ends included, 4 significant digits) and
`lin:LO:HI:N` (evenly spaced, both ends included; integers when LO and HI are written as integers
and the steps fall on integers). Every problem is a ConfigError naming the axis and the value,
raised before anything runs.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from gan_core.engine.config import (
    UNIONS,
    ConfigError,
    ExperimentConfig,
    apply_patch,
    deep_merge,
    dotted_patch,
)

MAX_AXES = 2
MAX_AXIS_VALUES = 64  # values on one axis (a 64-wide map is already wider than a projected slide)
DEFAULT_MAX_CELLS = 400  # cells in one sweep (20 x 20); a server passes its own per-client cap
SPACED_DIGITS = 4  # significant digits of log: values (1e-4, 3.162e-4, ...): readable, distinct
# Config paths a grid may not sweep: the seed is set per run from --seeds.
NOT_AXES = {"seed": "the seed is set per run by --seeds, not swept"}
GRID_FIELD = "grid"  # the field of grid-wide errors (the CLI shows it as --grid)


@dataclass(frozen=True)
class Axis:
    """One swept setting: a dotted config path and its values, in order."""

    path: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Cell:
    """One point of the grid: its index, the axis values ({path: value}) and the validated config."""

    index: int
    params: dict[str, Any]
    config: ExperimentConfig = field(repr=False)


@dataclass(frozen=True)
class Grid:
    """A validated grid: axes in the order given (axis 0 varies slowest) and every cell's config."""

    axes: tuple[Axis, ...]
    cells: tuple[Cell, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a.values) for a in self.axes)


# ---- parsing one --grid item ------------------------------------------------------------------

def parse_value(text: str) -> Any:
    """JSON when it parses, else the raw string: the rule of `--set` (gan_core.cli.values.parse_value,
    which the CLI layer owns; science does not import the CLI, and a test keeps the two in step)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def split_values(text: str) -> list[str]:
    """Split on commas that are not inside brackets, braces or double quotes."""
    items, depth, quoted, cur = [], 0, False, []
    for i, ch in enumerate(text):
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch in "[{":
            depth += 1
        elif not quoted and ch in "]}":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            items.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    items.append("".join(cur))
    return [s.strip() for s in items]


def _number(text: str, what: str, path: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise ConfigError(f"{what} must be a number, got {text!r}", path) from None
    if not math.isfinite(x):
        raise ConfigError(f"{what} must be finite, got {text!r}", path)
    return x


def _count(text: str, path: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise ConfigError(f"N must be an integer, got {text!r}", path) from None
    if not 1 <= n <= MAX_AXIS_VALUES:
        raise ConfigError(f"N must be between 1 and {MAX_AXIS_VALUES}, got {n}", path)
    return n


def _round(x: float, digits: int) -> float:
    return float(f"{x:.{digits}g}")


def spaced_values(spec: str, path: str) -> list[Any]:
    """The values of `log:LO:HI:N` or `lin:LO:HI:N` (see the module docstring)."""
    kind, *parts = spec.split(":")
    if len(parts) != 3:
        raise ConfigError(f"expected {kind}:LO:HI:N, got {spec!r}", path)
    lo_s, hi_s, n_s = parts
    lo, hi = _number(lo_s, "LO", path), _number(hi_s, "HI", path)
    n = _count(n_s, path)
    if n == 1:
        return [_round(lo, 10) if kind == "lin" else _round(lo, SPACED_DIGITS)]
    if kind == "log":
        if lo <= 0 or hi <= 0:
            raise ConfigError(f"log: needs LO > 0 and HI > 0, got {spec!r}", path)
        a, b = math.log10(lo), math.log10(hi)
        return [_round(10 ** (a + (b - a) * i / (n - 1)), SPACED_DIGITS) for i in range(n)]
    vals = [_round(lo + (hi - lo) * i / (n - 1), 10) for i in range(n)]
    written_as_ints = all(s.strip().lstrip("+-").isdigit() for s in (lo_s, hi_s))
    if written_as_ints and all(v == int(v) for v in vals):
        return [int(v) for v in vals]
    return vals


def _unknown(part: str, where: str, known: list[str]) -> ConfigError:
    return ConfigError(f"no {part!r} in {where}; known: {', '.join(known) or 'none, it is not a section'}",
                       None)


def check_path(path: str) -> None:
    """ConfigError unless `path` names a section of ExperimentConfig or a field of one: of a plain
    section (noise, regularizers, training), or of any kind of a section with kinds (target,
    generator, discriminator, objective, optimizers). Whether a field fits the kind a cell ends up
    with is the cell's validation's to say ("not a field of generator 'affine'")."""
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise ConfigError(f"empty part in config path {path!r}", GRID_FIELD)
    if path in NOT_AXES:
        raise ConfigError(NOT_AXES[path], path)
    top = ExperimentConfig.model_fields
    section, *rest = parts
    try:
        if section not in top:
            raise _unknown(section, "the config", list(top))
        if not rest:
            return
        if section in UNIONS:
            known = sorted({f for fields in UNIONS[section].fields.values() for f in fields})
        else:
            model = top[section].annotation
            known = list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []
        if rest[0] not in known:
            raise _unknown(rest[0], section, known)
        if len(rest) > 1:  # sections hold values, not further sections
            raise _unknown(rest[1], f"{section}.{rest[0]}", [])
    except ConfigError as exc:
        raise ConfigError(f"unknown config path ({exc.message})", path) from None


def parse_axis(item: str) -> Axis:
    """`PATH=V1,V2,...` | `PATH=log:LO:HI:N` | `PATH=lin:LO:HI:N` -> Axis; ConfigError on bad input."""
    path, eq, rest = item.partition("=")
    path = path.strip()
    if not eq or not path:
        raise ConfigError(f"expected PATH=V1,V2,..., got {item!r}", GRID_FIELD)
    check_path(path)
    rest = rest.strip()
    if rest.startswith(("log:", "lin:")):
        values = spaced_values(rest, path)
    else:
        texts = split_values(rest)
        if any(t == "" for t in texts):
            raise ConfigError(f"empty value in {rest!r}", path)
        values = [parse_value(t) for t in texts]
    if len(values) > MAX_AXIS_VALUES:
        raise ConfigError(f"{len(values)} values, more than {MAX_AXIS_VALUES}", path)
    for a, b in itertools.combinations(values, 2):
        if a == b and type(a) is type(b):
            raise ConfigError(f"value {a!r} is repeated", path)
    return Axis(path, tuple(values))


# ---- the whole grid ---------------------------------------------------------------------------

def _patch(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in params.items():
        out = deep_merge(out, dotted_patch(path, value))
    return out


def _show(params: dict[str, Any]) -> str:
    return ", ".join(f"{p}={v!r}" if isinstance(v, str) else f"{p}={v}" for p, v in params.items())


def build_grid(base: ExperimentConfig, axes: list[Axis], max_cells: int = DEFAULT_MAX_CELLS) -> Grid:
    """Every cell of `axes` over `base`, each config validated; ConfigError naming the axis and value.

    Each value is first validated alone (the error names its axis), then each combination (the
    error names both values), so nothing runs unless every cell's config is valid.
    """
    if not axes:
        raise ConfigError("at least one --grid PATH=V1,V2,... is needed", GRID_FIELD)
    if len(axes) > MAX_AXES:
        raise ConfigError(f"at most {MAX_AXES} axes, got {len(axes)} ({', '.join(a.path for a in axes)})",
                          GRID_FIELD)
    paths = [a.path for a in axes]
    for a, b in itertools.combinations(paths, 2):
        if a == b or a.startswith(b + ".") or b.startswith(a + "."):
            raise ConfigError(f"two axes set the same setting ({a} and {b})", GRID_FIELD)
    n = math.prod(len(a.values) for a in axes)
    if n > max_cells:
        shape = " x ".join(str(len(a.values)) for a in axes)
        raise ConfigError(f"{n} cells ({shape}) is more than the cap of {max_cells}", GRID_FIELD)
    for k, axis in enumerate(axes):
        for v in axis.values:
            try:
                apply_patch(base, _patch({axis.path: v}))
            except ConfigError as exc:
                raise ConfigError(f"value {v!r} (axis {k + 1}) does not validate: {exc.message}",
                                  axis.path) from None
    cells = []
    for i, combo in enumerate(itertools.product(*(a.values for a in axes))):
        params = dict(zip(paths, combo, strict=True))
        try:
            cfg = apply_patch(base, _patch(params))
        except ConfigError as exc:
            raise ConfigError(f"the cell {_show(params)} does not validate: {exc.message}", GRID_FIELD) from None
        cells.append(Cell(i, params, cfg))
    return Grid(tuple(axes), tuple(cells))

"""The target kinds of the experiment config: one pydantic model per kind, a discriminated union
on `name` (`TargetConfig`). Each kind has only the parameters it reads; a kind's defaults are its
own (the 5x5 grid of the literature, a visible 1D bell), not another kind's.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from gan_core.engine.config_sections import (
    COORD_LIMIT,
    MAX_DRAWN_POINTS,
    MAX_MIXTURE_COMPONENTS,
    MAX_POINT_ABS,
    Coord,
    Strict,
    ui,
)

# A mixture weight: any non-negative number up to 1e6 (normalised); 1024 of them sum to at most 1e9.
Weight = Annotated[float, Field(ge=0, le=1e6)]


def _target_name(default: str) -> Any:
    return Field(default, title="Target", description="The real data the generator must learn to imitate",
                 json_schema_extra=ui("target", "select"))


def _std(default: float, description: str) -> Any:
    return Field(default, title="Spread (std)", gt=0, le=5, description=description,
                 json_schema_extra=ui("target", "log-slider"))


def _weights(max_length: int) -> Any:
    return Field(None, title="Weights", max_length=max_length,
                 description="Mixture weights (any positive numbers, normalised); "
                 "null means uniform", json_schema_extra=ui("target", "hidden"))


def _check_weights(weights: list[float] | None, components: int, name: str) -> None:
    if weights is None:
        return
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("target.weights: weights must be >= 0 and not all 0")
    if len(weights) != components:
        raise ValueError(f"target.weights: {name} has {components} components, got {len(weights)} weights")


class Gaussian1DConfig(Strict):
    name: Literal["gaussian-1d"] = _target_name("gaussian-1d")
    mean: list[Coord] | None = Field(None, title="Centre", min_length=1, max_length=1,
                                     description="Where the bell is centred (1 value); empty means 0",
                                     json_schema_extra=ui("target", "vector"))
    std: float = _std(0.5, "Standard deviation")


class Mixture1DConfig(Strict):
    name: Literal["mixture-1d"] = _target_name("mixture-1d")
    means: list[Coord] = Field([-2.0, 2.0], title="Hump centres", min_length=1, max_length=MAX_MIXTURE_COMPONENTS,
                               description="Where each hump is centred, comma-separated",
                               json_schema_extra=ui("target", "vector"))
    stds: list[Annotated[float, Field(le=COORD_LIMIT)]] = Field(
        [0.5, 0.5], title="Hump widths (std)", min_length=1, max_length=MAX_MIXTURE_COMPONENTS,
        description="How wide each hump is (one std per centre)", json_schema_extra=ui("target", "vector"))
    weights: list[Weight] | None = _weights(MAX_MIXTURE_COMPONENTS)

    @model_validator(mode="after")
    def _check(self) -> Mixture1DConfig:
        if len(self.means) != len(self.stds):
            raise ValueError(f"target.stds: mixture needs one std per mean ({len(self.means)} means, "
                             f"{len(self.stds)} stds)")
        if any(s <= 0 for s in self.stds):
            raise ValueError("target.stds: every std must be > 0")
        _check_weights(self.weights, len(self.means), self.name)
        return self


class Uniform1DConfig(Strict):
    name: Literal["uniform-1d"] = _target_name("uniform-1d")
    low: float = Field(-1.0, title="From", ge=-100, le=100, description="Lower end",
                      json_schema_extra=ui("target", "number"))
    high: float = Field(1.0, title="To", ge=-100, le=100, description="Upper end",
                       json_schema_extra=ui("target", "number"))

    @model_validator(mode="after")
    def _check(self) -> Uniform1DConfig:
        if not self.low < self.high:
            raise ValueError("target.high: must be greater than target.low")
        return self


class Gaussian2DConfig(Strict):
    name: Literal["gaussian-2d"] = _target_name("gaussian-2d")
    mean: list[Coord] | None = Field(None, title="Centre", min_length=2, max_length=2,
                                     description="Where the cloud is centred (x, y); empty means the origin",
                                     json_schema_extra=ui("target", "vector"))
    std: float = _std(0.5, "Standard deviation of each coordinate (when cov is null)")
    cov: list[Annotated[list[Coord], Field(max_length=2)]] | None = Field(
        None, title="Covariance", max_length=2,
        description="Covariance (2x2, symmetric positive definite); null means std^2 * I",
        json_schema_extra=ui("target", "hidden"))

    @model_validator(mode="after")
    def _check(self) -> Gaussian2DConfig:
        c = self.cov
        if c is not None:
            if len(c) != 2 or any(len(r) != 2 for r in c):
                raise ValueError("target.cov: must be 2x2")
            if abs(c[0][1] - c[1][0]) > 1e-9 or c[0][0] <= 0 or c[0][0] * c[1][1] - c[0][1] ** 2 <= 0:
                raise ValueError("target.cov: must be symmetric positive definite")
        return self


class RingConfig(Strict):
    name: Literal["ring"] = _target_name("ring")
    modes: int = Field(8, title="Modes", ge=1, le=32, description="Number of Gaussians (modes) on the ring",
                       json_schema_extra=ui("target", "slider", step=1))
    radius: float = Field(2.0, title="Ring radius", gt=0, le=10, description="Distance of every mode from the centre",
                          json_schema_extra=ui("target", "slider", step=0.1))
    std: float = _std(0.02, "Std of each Gaussian")
    weights: list[Weight] | None = _weights(32)

    @model_validator(mode="after")
    def _check(self) -> RingConfig:
        _check_weights(self.weights, self.modes, self.name)
        return self


class GridConfig(Strict):
    # The 5x5 grid of the literature (VEEGAN, PacGAN): spacing 2, std 0.05.
    name: Literal["grid"] = _target_name("grid")
    modes: int = Field(5, title="Modes per side", ge=1, le=32, description="Gaussians per side of the square grid",
                       json_schema_extra=ui("target", "slider", step=1))
    spacing: float = Field(2.0, title="Spacing", gt=0, le=10, description="Distance between neighbouring centres",
                           json_schema_extra=ui("target", "slider", step=0.1))
    std: float = _std(0.05, "Std of each Gaussian")
    weights: list[Weight] | None = _weights(32 * 32)

    @model_validator(mode="after")
    def _check(self) -> GridConfig:
        _check_weights(self.weights, self.modes ** 2, self.name)
        return self


class CurveConfig(Strict):
    name: Literal["moons", "spiral", "line"] = _target_name("moons")
    std: float = _std(0.05, "Std of the jitter around the curve")


class DrawnConfig(Strict):
    name: Literal["drawn"] = _target_name("drawn")
    points: list[Annotated[list[float], Field(max_length=2)]] = Field(
        title="Drawn points", max_length=MAX_DRAWN_POINTS, description="The points [x, y] a person drew",
        json_schema_extra=ui("target", "hidden"))
    std: float = _std(0.05, "Std of the jitter around each drawn point")

    @field_validator("points", mode="before")
    @classmethod
    def _some_points(cls, points: Any) -> Any:
        if not points:
            raise ValueError("target.points: a drawn target needs at least one point")
        # Before the item schema (at most 2 numbers, so every list is bounded) says it less plainly.
        if isinstance(points, list) and any(isinstance(p, list) and len(p) != 2 for p in points):
            raise ValueError("target.points: each point must be [x, y]")
        return points

    @model_validator(mode="after")
    def _check(self) -> DrawnConfig:
        if any(len(p) != 2 for p in self.points):
            raise ValueError("target.points: each point must be [x, y]")
        # Within +-MAX_POINT_ABS data units (the pad draws a few units across); NaN fails both comparisons.
        if not all(-MAX_POINT_ABS <= v <= MAX_POINT_ABS for p in self.points for v in p):
            raise ValueError(f"target.points: coordinates must be finite and within [-{MAX_POINT_ABS:g}, "
                             f"{MAX_POINT_ABS:g}]")
        return self


def _wrong_row(i: int, values: int, dim: int) -> None:
    want = "one value [x]" if dim == 1 else "two values [x, y]"
    raise ValueError(f"target.points.{i}: row {i + 1} has {values} values; {dim}D data needs {want}")


def _out_of_range(i: int, row: list[Any]) -> None:
    raise ValueError(f"target.points.{i}: row {i + 1} {row}: values must be finite and within "
                     f"[-{MAX_POINT_ABS:g}, {MAX_POINT_ABS:g}]")


class DataConfig(Strict):
    """A person's own data (a CSV of values or points, parsed by the page): each row is picked with
    equal probability, plus N(0, std^2) jitter, as a drawn target's points are."""

    name: Literal["data"] = _target_name("data")
    dim: Literal[1, 2] = Field(2, description="Values per row: 1 (a column of numbers) or 2 (x, y points)",
                               json_schema_extra=ui("target", "hidden"))
    points: list[Annotated[list[float], Field(max_length=2)]] = Field(
        max_length=MAX_DRAWN_POINTS, description="The data, one row per sample: [x] in 1D, [x, y] in 2D",
        json_schema_extra=ui("target", "hidden", max_abs=MAX_POINT_ABS))
    std: float = _std(0.1, "Std of the jitter around each data point")
    source: str = Field("", max_length=120, description="Where the data came from (a file name), for labels",
                        json_schema_extra=ui("target", "hidden"))

    @field_validator("points", mode="before")
    @classmethod
    def _some_points(cls, points: Any, info: ValidationInfo) -> Any:
        if not points:
            raise ValueError("target.points: a data target needs at least one row")
        # A long row is named here, before the item bound (at most 2 values) says it less plainly.
        # So is a non-finite value (the strict float type would name only the field).
        if isinstance(points, list):
            for i, p in enumerate(points):
                if isinstance(p, list) and len(p) > 2:
                    _wrong_row(i, len(p), info.data.get("dim", 2))
                if isinstance(p, list) and any(isinstance(v, float) and not math.isfinite(v) for v in p):
                    _out_of_range(i, p)
        return points

    @model_validator(mode="after")
    def _check(self) -> DataConfig:
        # The first bad row is named (0-based index in the field, 1-based in words): a file's row.
        for i, p in enumerate(self.points):
            if len(p) != self.dim:
                _wrong_row(i, len(p), self.dim)
            # Within +-MAX_POINT_ABS data units, as a drawn target; NaN fails both comparisons.
            if not all(-MAX_POINT_ABS <= v <= MAX_POINT_ABS for v in p):
                _out_of_range(i, p)
        return self


class DiracConfig(Strict):
    name: Literal["dirac"] = _target_name("dirac")
    dim: Literal[1, 2] = Field(1, title="Dimensions", description="1: a point on a line; 2: a point in the plane",
                               json_schema_extra=ui("target", "select"))
    mean: list[Coord] | None = Field(None, title="Where the point is", min_length=1, max_length=2,
                                     description="The point (one value per dimension); empty means the origin",
                                     json_schema_extra=ui("target", "vector"))

    @model_validator(mode="after")
    def _check(self) -> DiracConfig:
        if self.mean is not None and len(self.mean) != self.dim:
            raise ValueError(f"target.mean: the Dirac point in {self.dim}D needs {self.dim} values")
        return self


TargetConfig = Annotated[Gaussian1DConfig | Mixture1DConfig | Uniform1DConfig | Gaussian2DConfig | RingConfig
                         | GridConfig | CurveConfig | DrawnConfig | DataConfig | DiracConfig,
                         Field(discriminator="name")]

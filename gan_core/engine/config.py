"""The experiment's single source of truth: one pydantic model, `ExperimentConfig`.

Bounds, enums and descriptions live here; the browser builds its form from the JSON schema
(`experiment_schema()`), the URL hash stores a dump of it, `toygan run --set a.b=v` patches it,
and live edits are validated as a whole (`apply_patch`), never piecemeal.

UI hints travel in each field's `json_schema_extra` under "ui":
  group   - which panel of the form the field belongs to
  widget  - "slider" | "log-slider" | "select" | "checkbox" | "number" | "hidden"
  step    - slider step
  rebuild - True when changing it rebuilds the networks (the page says so)
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCHEMA_VERSION = 1

TargetName = Literal[
    "gaussian-1d",
    "mixture-1d",
    "uniform-1d",
    "gaussian-2d",
    "ring",
    "grid",
    "moons",
    "spiral",
    "line",
    "drawn",
    "dirac",
]
Activation = Literal["relu", "leaky_relu", "tanh", "elu", "silu"]
ObjectiveName = Literal[
    "minimax", "non-saturating", "least-squares", "wasserstein", "wgan-gp", "hinge", "energy"
]
OptimizerName = Literal["sgd", "momentum", "adam", "rmsprop"]

MAX_DRAWN_POINTS = 5000
MAX_MIXTURE_COMPONENTS = 16


def ui(group: str, widget: str = "number", **extra: Any) -> dict[str, Any]:
    """Schema extra for one field: where and how the form shows it."""
    return {"ui": {"group": group, "widget": widget, **extra}}


class _Strict(BaseModel):
    # Unknown keys are errors that name the key: a typo in a patch must not pass silently.
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# Parameters that suit each target better than the table's shared defaults (which are the ring's):
# a fresh pick of a target starts from these (the 5x5 grid, std 0.05, spacing 2).
TARGET_DEFAULTS: dict[str, dict[str, Any]] = {
    "gaussian-1d": {"std": 0.5},
    "gaussian-2d": {"std": 0.5},
    "grid": {"modes": 5, "spacing": 2.0, "std": 0.05},
    "moons": {"std": 0.05},
    "spiral": {"std": 0.05},
    "line": {"std": 0.05},
    "drawn": {"std": 0.05},
}


class TargetConfig(_Strict):
    """What the generator must learn. One flat table of parameters; each target reads its own."""

    @model_validator(mode="before")
    @classmethod
    def _target_defaults(cls, data: Any) -> Any:
        # Keys the input leaves out take the named target's own defaults, not the ring's.
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            extra = {k: v for k, v in TARGET_DEFAULTS.get(data["name"], {}).items() if k not in data}
            if extra:
                return {**data, **extra}
        return data

    name: TargetName = Field("ring", description="Target distribution", json_schema_extra=ui("target", "select"))
    modes: int = Field(8, ge=1, le=32, description="Ring: number of Gaussians; grid: Gaussians per side",
                       json_schema_extra=ui("target", "slider", step=1, only=["ring", "grid"]))
    radius: float = Field(2.0, gt=0, le=10, description="Ring radius",
                          json_schema_extra=ui("target", "slider", step=0.1, only=["ring"]))
    spacing: float = Field(2.0, gt=0, le=10, description="Grid spacing between neighbouring centres",
                           json_schema_extra=ui("target", "slider", step=0.1, only=["grid"]))
    std: float = Field(0.02, gt=0, le=5, description="Std of each ring/grid component, of the 1D/2D Gaussian, "
                       "and the jitter of drawn points", json_schema_extra=ui("target", "log-slider",
                       only=["ring", "grid", "gaussian-1d", "gaussian-2d", "drawn", "line", "moons", "spiral"]))
    mean: list[float] | None = Field(None, min_length=1, max_length=2,
                                     description="Gaussian mean (1 value in 1D, 2 in 2D); the Dirac point; "
                                     "null means the origin",
                              json_schema_extra=ui("target", "vector", only=["gaussian-1d", "gaussian-2d", "dirac"]))
    cov: list[list[float]] | None = Field(None, description="2D Gaussian covariance (2x2, symmetric positive "
                                          "definite); null means std^2 * I", json_schema_extra=ui("target", "hidden"))
    means: list[float] = Field(default_factory=lambda: [-2.0, 2.0], min_length=1,
                               max_length=MAX_MIXTURE_COMPONENTS, description="1D mixture: component means",
                               json_schema_extra=ui("target", "vector", only=["mixture-1d"]))
    stds: list[float] = Field(default_factory=lambda: [0.5, 0.5], min_length=1,
                              max_length=MAX_MIXTURE_COMPONENTS, description="1D mixture: component stds",
                              json_schema_extra=ui("target", "vector", only=["mixture-1d"]))
    weights: list[float] | None = Field(None, max_length=1024, description="Mixture weights (any positive "
                                        "numbers, normalised); null means uniform",
                                        json_schema_extra=ui("target", "hidden"))
    low: float = Field(-1.0, ge=-100, le=100, description="Uniform 1D: lower end",
                       json_schema_extra=ui("target", "number", only=["uniform-1d"]))
    high: float = Field(1.0, ge=-100, le=100, description="Uniform 1D: upper end",
                        json_schema_extra=ui("target", "number", only=["uniform-1d"]))
    points: list[list[float]] | None = Field(None, max_length=MAX_DRAWN_POINTS,
                                             description="Drawn target: the points (x, y) a person drew",
                                             json_schema_extra=ui("target", "hidden"))
    dim: Literal[1, 2] = Field(1, description="Dirac target: dimension of the point",
                               json_schema_extra=ui("target", "select", only=["dirac"]))

    @model_validator(mode="after")
    def _check(self) -> TargetConfig:
        n = self.name
        if n == "mixture-1d" and len(self.means) != len(self.stds):
            raise ValueError(f"target.stds: mixture needs one std per mean ({len(self.means)} means, "
                             f"{len(self.stds)} stds)")
        if any(s <= 0 for s in self.stds):
            raise ValueError("target.stds: every std must be > 0")
        if self.weights is not None:
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("target.weights: weights must be >= 0 and not all 0")
            want = {"mixture-1d": len(self.means), "ring": self.modes, "grid": self.modes ** 2}.get(n)
            if want is not None and len(self.weights) != want:
                raise ValueError(f"target.weights: {n} has {want} components, got {len(self.weights)} weights")
        if n == "uniform-1d" and not self.low < self.high:
            raise ValueError("target.high: must be greater than target.low")
        if self.mean is not None:
            if n == "gaussian-2d" and len(self.mean) != 2:
                raise ValueError("target.mean: a 2D Gaussian needs 2 values")
            if n == "gaussian-1d" and len(self.mean) != 1:
                raise ValueError("target.mean: a 1D Gaussian needs 1 value")
            if n == "dirac" and len(self.mean) != self.dim:
                raise ValueError(f"target.mean: the Dirac point in {self.dim}D needs {self.dim} values")
        if self.cov is not None:
            c = self.cov
            if len(c) != 2 or any(len(r) != 2 for r in c):
                raise ValueError("target.cov: must be 2x2")
            if abs(c[0][1] - c[1][0]) > 1e-9 or c[0][0] <= 0 or c[0][0] * c[1][1] - c[0][1] ** 2 <= 0:
                raise ValueError("target.cov: must be symmetric positive definite")
        if n == "drawn":
            if not self.points or len(self.points) < 1:
                raise ValueError("target.points: a drawn target needs at least one point")
            if any(len(p) != 2 for p in self.points):
                raise ValueError("target.points: each point must be [x, y]")
            if any(abs(v) > 100 or v != v for p in self.points for v in p):
                raise ValueError("target.points: coordinates must be finite and within [-100, 100]")
        return self


class GeneratorConfig(_Strict):
    kind: Literal["mlp", "affine", "point"] = Field(
        "mlp", description="MLP; affine x = A z + b (shows mode averaging); a single learnable point (Dirac game)",
        json_schema_extra=ui("generator", "select", rebuild=True))
    depth: int = Field(2, ge=0, le=6, description="Hidden layers", json_schema_extra=ui("generator", "slider", step=1, rebuild=True))
    width: int = Field(64, ge=1, le=512, description="Units per hidden layer",
                       json_schema_extra=ui("generator", "slider", step=1, rebuild=True))
    activation: Activation = Field("leaky_relu", description="Hidden activation",
                                   json_schema_extra=ui("generator", "select", rebuild=True))
    dropout: float = Field(0.0, ge=0, le=0.9, description="Dropout after each hidden layer",
                           json_schema_extra=ui("generator", "slider", step=0.05, rebuild=True))
    batch_norm: bool = Field(False, description="Batch norm after each hidden layer",
                             json_schema_extra=ui("generator", "checkbox", rebuild=True))
    init: list[float] | None = Field(None, max_length=2, description="Point generator: starting point theta "
                                     "(null: drawn from the seed)", json_schema_extra=ui("generator", "hidden", rebuild=True))


class DiscriminatorConfig(_Strict):
    kind: Literal["mlp", "linear"] = Field("mlp", description="MLP, or linear D(x) = w.x + c (Dirac game)",
                                            json_schema_extra=ui("discriminator", "select", rebuild=True))
    depth: int = Field(2, ge=0, le=6, description="Hidden layers",
                       json_schema_extra=ui("discriminator", "slider", step=1, rebuild=True))
    width: int = Field(64, ge=1, le=512, description="Units per hidden layer",
                       json_schema_extra=ui("discriminator", "slider", step=1, rebuild=True))
    activation: Activation = Field("leaky_relu", description="Hidden activation",
                                   json_schema_extra=ui("discriminator", "select", rebuild=True))
    dropout: float = Field(0.0, ge=0, le=0.9, description="Dropout after each hidden layer",
                           json_schema_extra=ui("discriminator", "slider", step=0.05, rebuild=True))
    batch_norm: bool = Field(False, description="Batch norm after each hidden layer",
                             json_schema_extra=ui("discriminator", "checkbox", rebuild=True))
    spectral_norm: bool = Field(False, description="Spectral normalisation of every linear layer",
                                json_schema_extra=ui("discriminator", "checkbox", rebuild=True))
    input_scale: float = Field(1.0, gt=0, le=100, description="Inputs are multiplied by this before the first "
                               "layer (the unrolled-GAN paper's ring setup uses 1/4)",
                               json_schema_extra=ui("discriminator", "number", rebuild=True))
    bias: bool = Field(True, description="Linear discriminator: learn the offset c (the Dirac game has none)",
                       json_schema_extra=ui("discriminator", "checkbox", rebuild=True))
    init: list[float] | None = Field(None, max_length=2, description="Linear discriminator: starting weight psi "
                                     "(null: drawn from the seed)",
                                     json_schema_extra=ui("discriminator", "hidden", rebuild=True))


class NoiseConfig(_Strict):
    dim: int = Field(2, ge=1, le=256, description="Noise dimension (latent z)",
                     json_schema_extra=ui("noise", "slider", step=1, rebuild=True))
    distribution: Literal["gaussian", "uniform"] = Field(
        "gaussian", description="Noise distribution: N(0, I) or U(-1, 1)", json_schema_extra=ui("noise", "select"))


class ObjectiveConfig(_Strict):
    name: ObjectiveName = Field("non-saturating", description="GAN loss",
                                json_schema_extra=ui("objective", "select"))
    gp_weight: float = Field(10.0, ge=0, le=1000, description="wgan-gp: gradient penalty weight (lambda)",
                             json_schema_extra=ui("objective", "number", only=["wgan-gp"]))
    clip: float = Field(0.01, gt=0, le=10, description="wasserstein: weight clipping bound",
                        json_schema_extra=ui("objective", "log-slider", only=["wasserstein"]))
    margin: float = Field(1.0, gt=0, le=100, description="energy: EBGAN margin m",
                          json_schema_extra=ui("objective", "number", only=["energy"]))


class RegularizerConfig(_Strict):
    """Stabilizers that compose with any loss; 0 switches each off."""

    gradient_penalty: float = Field(0.0, ge=0, le=1000, description="Gradient penalty on interpolates "
                                    "(||grad D|| - 1)^2, weight", json_schema_extra=ui("regularizers", "number"))
    r1: float = Field(0.0, ge=0, le=1000, description="R1: gamma/2 * ||grad D(real)||^2, gamma",
                      json_schema_extra=ui("regularizers", "number"))
    dragan: float = Field(0.0, ge=0, le=1000, description="DRAGAN: penalty around perturbed real samples, weight",
                          json_schema_extra=ui("regularizers", "number"))
    label_smoothing: float = Field(0.0, ge=0, le=0.5, description="One-sided label smoothing: real label 1 - s",
                                   json_schema_extra=ui("regularizers", "slider", step=0.05))
    instance_noise: float = Field(0.0, ge=0, le=10, description="Instance noise std added to real and fake "
                                  "inputs of D", json_schema_extra=ui("regularizers", "slider", step=0.01))
    instance_noise_anneal: int = Field(0, ge=0, le=1_000_000, description="Iterations over which instance "
                                       "noise decays linearly to 0 (0: constant)",
                                       json_schema_extra=ui("regularizers", "number"))
    weight_clip: float = Field(0.0, ge=0, le=10, description="Clip D's weights to [-c, c] after each update "
                               "(0: off)", json_schema_extra=ui("regularizers", "number"))
    consensus: float = Field(0.0, ge=0, le=100, description="Consensus optimization: weight of "
                             "||grad||^2 over both players", json_schema_extra=ui("regularizers", "number"))
    historical_averaging: float = Field(0.0, ge=0, le=100, description="Historical averaging: weight of "
                                        "||theta - mean(past theta)||^2", json_schema_extra=ui("regularizers", "number"))


class OptimizerConfig(_Strict):
    name: OptimizerName = Field("adam", description="Optimizer", json_schema_extra=ui("optimizers", "select"))
    lr: float = Field(1e-3, gt=0, le=10, description="Learning rate",
                      json_schema_extra=ui("optimizers", "log-slider", min=1e-5, max=1.0))
    beta1: float = Field(0.5, ge=0, lt=1, description="Adam beta1", json_schema_extra=ui("optimizers", "number"))
    beta2: float = Field(0.999, ge=0, lt=1, description="Adam beta2 / RMSprop alpha",
                         json_schema_extra=ui("optimizers", "number"))
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum (optimizer 'momentum')",
                            json_schema_extra=ui("optimizers", "number"))
    weight_decay: float = Field(0.0, ge=0, le=1, description="L2 weight decay",
                                json_schema_extra=ui("optimizers", "number"))


class TrainingConfig(_Strict):
    k_d: int = Field(1, ge=1, le=50, description="Discriminator updates per iteration",
                     json_schema_extra=ui("training", "slider", step=1))
    k_g: int = Field(1, ge=1, le=50, description="Generator updates per iteration",
                     json_schema_extra=ui("training", "slider", step=1))
    update: Literal["alternating", "simultaneous"] = Field(
        "alternating", description="Alternating: D then G; simultaneous: both from the same parameters",
        json_schema_extra=ui("training", "select"))
    unroll: int = Field(0, ge=0, le=20, description="Unrolled D steps the generator looks ahead through",
                        json_schema_extra=ui("training", "slider", step=1))
    batch_size: int = Field(256, ge=1, le=4096, description="Samples per batch (real and fake each)",
                            json_schema_extra=ui("training", "log-slider", min=1, max=4096, step=1))
    # A step schedule, the simplest one that helps: a GAN that has found the modes at a high rate
    # keeps circling them (Adam's steps stay ~lr); a tenfold smaller rate lets it settle on them.
    lr_drop_at: int = Field(0, ge=0, le=10_000_000, description="After this many iterations both "
                            "learning rates are multiplied by lr_drop_factor (0: never)",
                            json_schema_extra=ui("training", "number"))
    lr_drop_factor: float = Field(0.1, gt=0, le=1, description="What lr_drop_at multiplies both "
                                  "learning rates by", json_schema_extra=ui("training", "number"))


class ExperimentConfig(_Strict):
    """A whole experiment: what a link reproduces, what `toygan run` trains."""

    target: TargetConfig = Field(default_factory=TargetConfig)
    generator: GeneratorConfig = Field(default_factory=GeneratorConfig)
    discriminator: DiscriminatorConfig = Field(default_factory=DiscriminatorConfig)
    noise: NoiseConfig = Field(default_factory=NoiseConfig)
    objective: ObjectiveConfig = Field(default_factory=ObjectiveConfig)
    regularizers: RegularizerConfig = Field(default_factory=RegularizerConfig)
    optimizer_g: OptimizerConfig = Field(default_factory=OptimizerConfig)
    optimizer_d: OptimizerConfig = Field(default_factory=OptimizerConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Random seed: same config + seed = same run",
                      json_schema_extra=ui("training", "number"))
    device: Literal["cpu", "cuda"] = Field("cpu", description="Where tensors live ('cuda' only if available)",
                                           json_schema_extra=ui("training", "hidden"))

    @model_validator(mode="after")
    def _check(self) -> ExperimentConfig:
        if self.generator.kind == "point" and self.target.name != "dirac":
            # A single point can only ever match a single point; anything else is a confusing dead end.
            raise ValueError("generator.kind: the point generator only plays the Dirac game (target.name='dirac')")
        if self.generator.init is not None and len(self.generator.init) != target_dim(self.target):
            raise ValueError("generator.init: needs one value per target dimension")
        if self.discriminator.init is not None and len(self.discriminator.init) != target_dim(self.target):
            raise ValueError("discriminator.init: needs one value per target dimension")
        return self


# The data space's dimension of each target: a number, or the name of the target field that holds it.
TARGET_DIMS: Mapping[str, int | str] = MappingProxyType({
    **{name: 2 for name in TargetName.__args__}, "gaussian-1d": 1, "mixture-1d": 1, "uniform-1d": 1, "dirac": "dim"})


def target_dim(t: TargetConfig) -> int:
    """1 or 2: the dimension of the data space of target `t`."""
    d = TARGET_DIMS[t.name]
    return getattr(t, d) if isinstance(d, str) else d


# Fields whose change means new networks (the trainer rebuilds them and says so).
REBUILD_SECTIONS = ("generator", "discriminator", "noise")


class ConfigError(ValueError):
    """A config or patch that does not validate; `field` is the dotted path of the first bad field."""

    def __init__(self, message: str, field: str | None = None, errors: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or []


def _field_from_error(err: dict[str, Any]) -> str | None:
    loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
    msg = str(err.get("msg", ""))
    # Model validators raise "target.stds: ..."; pull the named field out of the message.
    for word in msg.replace("Value error, ", "").split():
        if word.endswith(":") and "." in word:
            return word[:-1]
    return ".".join(loc) or None


def config_error(exc: ValidationError) -> ConfigError:
    """Turn pydantic's error list into one readable message that names the field and the reason."""
    errors = exc.errors(include_url=False)
    parts = []
    for e in errors:
        field = _field_from_error(e)
        msg = str(e.get("msg", "")).replace("Value error, ", "")
        if field and msg.startswith(field + ":"):
            parts.append(msg)
        else:
            parts.append(f"{field or 'config'}: {msg}")
    return ConfigError("; ".join(parts), _field_from_error(errors[0]) if errors else None,
                       [{**e, "ctx": {k: str(v) for k, v in (e.get("ctx") or {}).items()}} for e in errors])


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Recursively overlay `patch` on `base` (dicts merge, everything else replaces)."""
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def parse_config(data: dict[str, Any] | None) -> ExperimentConfig:
    """Validate a whole config dict (missing keys take defaults). Raises ConfigError."""
    if data is not None and not isinstance(data, dict):
        raise ConfigError("config: must be a JSON object", None)
    try:
        return ExperimentConfig.model_validate(data or {})
    except ValidationError as exc:
        raise config_error(exc) from None


def apply_patch(cfg: ExperimentConfig, patch: dict[str, Any]) -> ExperimentConfig:
    """Return a new config with `patch` deep-merged in, validated as a whole. Raises ConfigError."""
    if not isinstance(patch, dict):
        raise ConfigError("patch: must be a JSON object", "patch")
    base = cfg.model_dump()
    target = patch.get("target")
    if isinstance(target, dict) and target.get("name") not in (None, cfg.target.name):
        # Switching target starts from the new target's own parameters (a 5x5 grid, not 8x8 at
        # the ring's std); keys the patch gives still win.
        base["target"] = {"name": target["name"]}
    return parse_config(deep_merge(base, patch))


def dotted_patch(path: str, value: Any) -> dict[str, Any]:
    """`dotted_patch("objective.name", "hinge")` -> {"objective": {"name": "hinge"}}."""
    parts = [p for p in path.split(".") if p]
    if not parts:
        raise ConfigError("--set: empty key", None)
    out: dict[str, Any] = {parts[-1]: value}
    for p in reversed(parts[:-1]):
        out = {p: out}
    return out


def changed_sections(old: ExperimentConfig, new: ExperimentConfig) -> set[str]:
    """Top-level sections (and scalar fields) whose value differs between two configs."""
    a, b = old.model_dump(), new.model_dump()
    return {k for k in b if a.get(k) != b[k]}


def experiment_schema() -> dict[str, Any]:
    """The JSON schema the browser builds its form from (with UI hints and the schema version)."""
    schema = ExperimentConfig.model_json_schema()
    schema["x-schema-version"] = SCHEMA_VERSION
    schema["x-rebuild-sections"] = list(REBUILD_SECTIONS)
    schema["x-target-dims"] = dict(TARGET_DIMS)
    return schema

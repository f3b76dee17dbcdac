"""The experiment config's sections: one pydantic model per kind where kinds differ.

An Adam optimizer has no momentum, a point generator no depth, a hinge loss no gradient-penalty
weight: each kind carries only the fields it reads, so the form shows only those and a field of
another kind is an error that names it. The generator and discriminator are discriminated unions
on `kind`, the objective and each optimizer on `name`; the target kinds live in
gan_core.engine.config_targets. gan_core.engine.config assembles them into ExperimentConfig.

Bounds, descriptions and UI hints live on the fields. Hints travel in `json_schema_extra` under
"ui": group (the form's panel), widget ("slider" | "log-slider" | "select" | "checkbox" | "number"
| "vector" | "hidden"), step, min/max (a log-slider's range). Whether a change rebuilds the
networks is not a field hint: gan_core.engine.config owns that rule and marks the schema from it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_DRAWN_POINTS = 5000  # points a drawn target (or a data target's rows) may hold
MAX_POINT_ABS = 100.0  # coordinates of drawn points and data rows stay within +-this (data units)
MAX_MIXTURE_COMPONENTS = 16  # components of a 1D mixture
# Every coordinate a person types (means, covariances, starting points) lies in [-100, 100], as drawn
# points and the uniform target's ends do: beyond that plots are unreadable and sums overflow.
COORD_LIMIT = MAX_POINT_ABS
Coord = Annotated[float, Field(ge=-COORD_LIMIT, le=COORD_LIMIT)]
# Most pairwise differences (kernels x kernel values x rows x rows) one minibatch-discrimination call
# may hold: 2^22 float32 = 16 MB. The config refuses a batch size above it, and a frame reads its
# grid in chunks under it (gan_core.engine.batch_layers).
MAX_PAIRWISE = 2**22
Activation = Literal["relu", "leaky_relu", "tanh", "elu", "silu"]


def ui(group: str, widget: str = "number", **extra: Any) -> dict[str, Any]:
    """Schema extra for one field: where and how the form shows it."""
    return {"ui": {"group": group, "widget": widget, **extra}}


class Strict(BaseModel):
    # Unknown keys are errors that name the key: a typo in a patch must not pass silently; NaN and
    # infinities are errors that name the field (a NaN mean diverges the run at its first iteration).
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


# ---- networks (discriminated on `kind`) -----------------------------------------------------------

def _net_kind(default: str, group: str, description: str) -> Any:
    return Field(default, description=description, json_schema_extra=ui(group, "select"))


_G_KINDS = "MLP; affine x = A z + b (shows mode averaging); a single learnable point (Dirac game)"
_D_KINDS = ("MLP; linear D(x) = w.x + c (Dirac game); auto-encoder, scoring -E(x), its reconstruction "
            "error (EBGAN's discriminator)")


def _mlp_fields(group: str) -> dict[str, Any]:
    return {
        "depth": Field(2, ge=0, le=6, description="Hidden layers", json_schema_extra=ui(group, "slider", step=1)),
        "width": Field(64, ge=1, le=512, description="Units per hidden layer",
                       json_schema_extra=ui(group, "slider", step=1)),
        "activation": Field("leaky_relu", description="Hidden activation", json_schema_extra=ui(group, "select")),
        "dropout": Field(0.0, ge=0, le=0.9, description="Dropout after each hidden layer",
                         json_schema_extra=ui(group, "slider", step=0.05)),
        "batch_norm": Field(False, description="Batch norm after each hidden layer",
                            json_schema_extra=ui(group, "checkbox")),
    }


_G, _D = _mlp_fields("generator"), _mlp_fields("discriminator")


class MLPGeneratorConfig(Strict):
    kind: Literal["mlp"] = _net_kind("mlp", "generator", _G_KINDS)
    depth: int = _G["depth"]
    width: int = _G["width"]
    activation: Activation = _G["activation"]
    dropout: float = _G["dropout"]
    batch_norm: bool = _G["batch_norm"]
    virtual_batch_norm: bool = Field(
        False, description="Virtual batch norm (Salimans et al. 2016) after each hidden layer: statistics "
        "of a reference noise batch drawn once at build, plus the sample itself, so no sample depends on "
        "the rest of its batch (not with batch_norm)", json_schema_extra=ui("generator", "checkbox"))
    vbn_reference: int = Field(128, ge=1, le=1024, description="Noise samples in virtual batch norm's "
                               "reference batch (run through G with every batch)",
                               json_schema_extra=ui("generator", "log-slider", min=1, max=1024, step=1))

    @model_validator(mode="after")
    def _one_norm(self) -> MLPGeneratorConfig:
        if self.batch_norm and self.virtual_batch_norm:
            raise ValueError("generator.virtual_batch_norm: replaces batch_norm; switch batch_norm off first")
        return self


class AffineGeneratorConfig(Strict):
    kind: Literal["affine"] = _net_kind("affine", "generator", _G_KINDS)


class PointGeneratorConfig(Strict):
    kind: Literal["point"] = _net_kind("point", "generator", _G_KINDS)
    init: list[Coord] | None = Field(None, min_length=1, max_length=2, description="Starting point theta (null: "
                                     "drawn from the seed)", json_schema_extra=ui("generator", "hidden"))


class MLPDiscriminatorConfig(Strict):
    kind: Literal["mlp"] = _net_kind("mlp", "discriminator", _D_KINDS)
    depth: int = _D["depth"]
    width: int = _D["width"]
    activation: Activation = _D["activation"]
    dropout: float = _D["dropout"]
    batch_norm: bool = _D["batch_norm"]
    spectral_norm: bool = Field(False, description="Spectral normalisation of every linear layer",
                                json_schema_extra=ui("discriminator", "checkbox"))
    input_scale: float = Field(1.0, gt=0, le=100, description="Inputs are multiplied by this before the first "
                               "layer (the unrolled-GAN paper's ring setup uses 1/4)",
                               json_schema_extra=ui("discriminator", "number"))
    minibatch_kernels: int = Field(
        0, ge=0, le=64, description="Minibatch discrimination (Salimans et al. 2016): kernels that compare "
        "each sample's last hidden features with the rest of its batch, fed to D's output layer (0: off)",
        json_schema_extra=ui("discriminator", "slider", step=1))
    minibatch_kernel_dim: int = Field(4, ge=1, le=32, description="Values per minibatch-discrimination "
                                      "kernel (C): the L1 distance between two samples is taken over these",
                                      json_schema_extra=ui("discriminator", "slider", step=1))


class LinearDiscriminatorConfig(Strict):
    kind: Literal["linear"] = _net_kind("linear", "discriminator", _D_KINDS)
    bias: bool = Field(True, description="Learn the offset c (the Dirac game has none)",
                       json_schema_extra=ui("discriminator", "checkbox"))
    init: list[Coord] | None = Field(None, min_length=1, max_length=2, description="Starting weight psi (null: "
                                     "drawn from the seed)", json_schema_extra=ui("discriminator", "hidden"))


class AutoencoderDiscriminatorConfig(Strict):
    kind: Literal["autoencoder"] = _net_kind("autoencoder", "discriminator", _D_KINDS)
    depth: int = Field(1, ge=0, le=4, description="Hidden layers of the encoder, and of the decoder",
                       json_schema_extra=ui("discriminator", "slider", step=1))
    width: int = _D["width"]
    activation: Activation = _D["activation"]
    code: int = Field(1, ge=1, le=16, description="Size of the code between encoder and decoder (below the "
                      "data's dimension, the auto-encoder can only reconstruct a curve)",
                      json_schema_extra=ui("discriminator", "slider", step=1))


GeneratorConfig = Annotated[MLPGeneratorConfig | AffineGeneratorConfig | PointGeneratorConfig,
                            Field(discriminator="kind")]
DiscriminatorConfig = Annotated[MLPDiscriminatorConfig | LinearDiscriminatorConfig | AutoencoderDiscriminatorConfig,
                                Field(discriminator="kind")]


# ---- objectives (discriminated on `name`) ---------------------------------------------------------

def _objective_name(default: str) -> Any:
    return Field(default, description="GAN loss", json_schema_extra=ui("objective", "select"))


class LossConfig(Strict):
    """The losses with no parameter of their own."""

    name: Literal["minimax", "non-saturating", "least-squares", "hinge"] = _objective_name("non-saturating")


class WassersteinConfig(Strict):
    name: Literal["wasserstein"] = _objective_name("wasserstein")
    clip: float = Field(0.01, gt=0, le=10, description="Weight clipping bound c: D's weights stay in [-c, c]",
                        json_schema_extra=ui("objective", "log-slider"))


class WGANGPConfig(Strict):
    name: Literal["wgan-gp"] = _objective_name("wgan-gp")
    gp_weight: float = Field(10.0, ge=0, le=1000, description="Gradient penalty weight (lambda)",
                             json_schema_extra=ui("objective", "number"))


class MarginConfig(Strict):
    """The non-saturating loss with a margin on D's fake term (schema version 2 called it "energy")."""

    name: Literal["non-saturating-margin"] = _objective_name("non-saturating-margin")
    margin: float = Field(1.0, gt=0, le=100, description="Margin m: D stops pushing a generated sample's "
                          "softplus(-D) up once it reaches m", json_schema_extra=ui("objective", "number"))


class EBGANConfig(Strict):
    """EBGAN (Zhao et al. 2017): needs the auto-encoder discriminator, whose energy is its reconstruction
    error."""

    name: Literal["ebgan"] = _objective_name("ebgan")
    margin: float = Field(1.0, gt=0, le=100, description="Margin m: D raises a generated sample's energy "
                          "until it reaches m (data units squared)", json_schema_extra=ui("objective", "number"))
    pull_away: float = Field(0.0, ge=0, le=10, description="Pull-away term weight (EBGAN-PT): G is pushed "
                             "to give its samples codes pointing in different directions (0: off)",
                             json_schema_extra=ui("objective", "number"))


ObjectiveConfig = Annotated[LossConfig | WassersteinConfig | WGANGPConfig | MarginConfig | EBGANConfig,
                            Field(discriminator="name")]


# ---- optimizers (discriminated on `name`) ---------------------------------------------------------

def _optimizer_name(default: str) -> Any:
    return Field(default, description="Optimizer", json_schema_extra=ui("optimizers", "select"))


def _lr() -> Any:
    return Field(1e-3, gt=0, le=10, description="Learning rate",
                 json_schema_extra=ui("optimizers", "log-slider", min=1e-5, max=1.0))


def _weight_decay() -> Any:
    return Field(0.0, ge=0, le=1, description="L2 weight decay", json_schema_extra=ui("optimizers", "number"))


class SGDConfig(Strict):
    name: Literal["sgd"] = _optimizer_name("sgd")
    lr: float = _lr()
    weight_decay: float = _weight_decay()


class MomentumConfig(Strict):
    name: Literal["momentum"] = _optimizer_name("momentum")
    lr: float = _lr()
    momentum: float = Field(0.9, ge=0, lt=1, description="Momentum: the share of the last step kept in the next",
                            json_schema_extra=ui("optimizers", "number"))
    weight_decay: float = _weight_decay()


class AdamConfig(Strict):
    name: Literal["adam"] = _optimizer_name("adam")
    lr: float = _lr()
    beta1: float = Field(0.5, ge=0, lt=1, description="Decay of the gradient's running mean (beta1)",
                         json_schema_extra=ui("optimizers", "number"))
    beta2: float = Field(0.999, ge=0, lt=1, description="Decay of the squared gradient's running mean (beta2)",
                         json_schema_extra=ui("optimizers", "number"))
    weight_decay: float = _weight_decay()


class RMSpropConfig(Strict):
    name: Literal["rmsprop"] = _optimizer_name("rmsprop")
    lr: float = _lr()
    # 0.999, not torch's 0.99: schema version 1 shared Adam's beta2 (0.999) with RMSprop.
    alpha: float = Field(0.999, ge=0, lt=1, description="Decay of the squared gradient's running mean (alpha)",
                         json_schema_extra=ui("optimizers", "number"))
    weight_decay: float = _weight_decay()


OptimizerConfig = Annotated[SGDConfig | MomentumConfig | AdamConfig | RMSpropConfig, Field(discriminator="name")]


# ---- sections without kinds ------------------------------------------------------------------------

class NoiseConfig(Strict):
    dim: int = Field(2, ge=1, le=256, description="Noise dimension (latent z)",
                     json_schema_extra=ui("noise", "slider", step=1))
    distribution: Literal["gaussian", "uniform"] = Field(
        "gaussian", description="Noise distribution: N(0, I) or U(-1, 1)", json_schema_extra=ui("noise", "select"))


class RegularizerConfig(Strict):
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
    feature_matching: float = Field(
        0.0, ge=0, le=1, description="Feature matching (Salimans et al. 2016): the share of G's loss that is "
        "||E f(x) - E f(G(z))||^2, f = D's last hidden features (0: off; 1: G's whole loss, as in the "
        "paper)", json_schema_extra=ui("regularizers", "slider", step=0.05))


class TrainingConfig(Strict):
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

"""The experiment config's sections: one pydantic model per kind where kinds differ.

An Adam optimizer has no momentum, a point generator no depth, a hinge loss no gradient-penalty
weight: each kind carries only the fields it reads, so the form shows only those and a field of
another kind is an error that names it. The generator and discriminator are discriminated unions
on `kind`, the objective and each optimizer on `name`; the target kinds live in
gan_core.engine.config_targets. gan_core.engine.config assembles them into ExperimentConfig.

Bounds, titles, descriptions and UI hints live on the fields. The `title` is the label a person
reads ("D steps per iteration", never the field name), the `description` the help text beside it.
Hints travel in `json_schema_extra` under "ui": group (the section it belongs to), widget
("slider" | "log-slider" | "select" | "checkbox" | "number" | "vector" | "hidden"), step,
min/max (a log-slider's range), sensible ([lo, hi]: values outside are allowed, but the form warns
beside the field that they rarely train). Whether a change rebuilds the networks is not a field
hint: gan_core.engine.config owns that rule and marks the schema from it.
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


# The form's panels, in order (the JSON schema lists them as x-panels): each top-level section of
# the config names its panel in ui.panel, and the open ones (ui.open) start unfolded.
PANELS = (("data", "Data"), ("networks", "Networks"), ("loss", "Loss"), ("optimisers", "Optimisers"),
          ("training", "Training"))


def section_field(default: Any, title: str, panel: str, description: str, open_: bool = False) -> Any:
    """A top-level section of the config: its default, its title, the form panel it sits in."""
    return Field(default, title=title, description=description,
                 json_schema_extra={"ui": {"panel": panel, "open": open_}})


class Strict(BaseModel):
    # Unknown keys are errors that name the key: a typo in a patch must not pass silently; NaN and
    # infinities are errors that name the field (a NaN mean diverges the run at its first iteration).
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


# ---- networks (discriminated on `kind`) -----------------------------------------------------------

def _net_kind(default: str, group: str, description: str) -> Any:
    title = "Generator type" if group == "generator" else "Discriminator type"
    return Field(default, title=title, description=description, json_schema_extra=ui(group, "select"))


_G_KINDS = "MLP; affine x = A z + b (shows mode averaging); a single learnable point (Dirac game)"
_D_KINDS = ("MLP; linear D(x) = w.x + c (Dirac game); auto-encoder, scoring -E(x), its reconstruction "
            "error (EBGAN's discriminator)")


def _mlp_fields(group: str) -> dict[str, Any]:
    return {
        "depth": Field(2, title="Hidden layers", ge=0, le=6, description="How many hidden layers the network has",
                       json_schema_extra=ui(group, "slider", step=1)),
        "width": Field(64, title="Units per layer", ge=1, le=512, description="Units in each hidden layer",
                       json_schema_extra=ui(group, "slider", step=1)),
        "activation": Field("leaky_relu", title="Activation", description="The non-linearity after each hidden layer",
                            json_schema_extra=ui(group, "select")),
        "dropout": Field(0.0, title="Dropout", ge=0, le=0.9, description="Share of units switched off at random "
                         "after each hidden layer", json_schema_extra=ui(group, "slider", step=0.05)),
        "batch_norm": Field(False, title="Batch norm", description="Batch normalisation after each hidden layer",
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
        False, title="Virtual batch norm", description="Virtual batch norm (Salimans et al. 2016) after each hidden layer: statistics "
        "of a reference noise batch drawn once at build, plus the sample itself, so no sample depends on "
        "the rest of its batch (not with batch_norm)", json_schema_extra=ui("generator", "checkbox"))
    vbn_reference: int = Field(128, title="Virtual batch norm's reference batch", ge=1, le=1024, description="Noise samples in virtual batch norm's "
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
    init: list[Coord] | None = Field(None, title="Starting point θ", min_length=1, max_length=2,
                                     description="Starting point theta (null: drawn from the seed)",
                                     json_schema_extra=ui("generator", "hidden"))


class MLPDiscriminatorConfig(Strict):
    kind: Literal["mlp"] = _net_kind("mlp", "discriminator", _D_KINDS)
    depth: int = _D["depth"]
    width: int = _D["width"]
    activation: Activation = _D["activation"]
    dropout: float = _D["dropout"]
    batch_norm: bool = _D["batch_norm"]
    spectral_norm: bool = Field(False, title="Spectral normalisation", description="Spectral normalisation of "
                                "every layer: caps how steeply D can change",
                                json_schema_extra=ui("discriminator", "checkbox"))
    input_scale: float = Field(1.0, title="Input scale", gt=0, le=100, description="Inputs are multiplied by "
                               "this before the first layer (the unrolled-GAN paper's ring setup uses 1/4)",
                               json_schema_extra=ui("discriminator", "number"))
    minibatch_kernels: int = Field(
        0, title="Minibatch discrimination kernels", ge=0, le=64, description="Minibatch discrimination (Salimans et al. 2016): kernels that compare "
        "each sample's last hidden features with the rest of its batch, fed to D's output layer (0: off)",
        json_schema_extra=ui("discriminator", "slider", step=1))
    minibatch_kernel_dim: int = Field(4, title="Values per kernel", ge=1, le=32, description="Values per minibatch-discrimination "
                                      "kernel (C): the L1 distance between two samples is taken over these",
                                      json_schema_extra=ui("discriminator", "slider", step=1))


class LinearDiscriminatorConfig(Strict):
    kind: Literal["linear"] = _net_kind("linear", "discriminator", _D_KINDS)
    bias: bool = Field(True, title="Learn an offset c", description="Learn the offset c (the Dirac game has none)",
                       json_schema_extra=ui("discriminator", "checkbox"))
    init: list[Coord] | None = Field(None, title="Starting weight ψ", min_length=1, max_length=2,
                                     description="Starting weight psi (null: drawn from the seed)",
                                     json_schema_extra=ui("discriminator", "hidden"))


class AutoencoderDiscriminatorConfig(Strict):
    kind: Literal["autoencoder"] = _net_kind("autoencoder", "discriminator", _D_KINDS)
    depth: int = Field(1, title="Hidden layers (each side)", ge=0, le=4, description="Hidden layers of the encoder, and of the decoder",
                       json_schema_extra=ui("discriminator", "slider", step=1))
    width: int = _D["width"]
    activation: Activation = _D["activation"]
    code: int = Field(1, title="Code size", ge=1, le=16, description="Size of the code between encoder and decoder (below the "
                      "data's dimension, the auto-encoder can only reconstruct a curve)",
                      json_schema_extra=ui("discriminator", "slider", step=1))


GeneratorConfig = Annotated[MLPGeneratorConfig | AffineGeneratorConfig | PointGeneratorConfig,
                            Field(discriminator="kind")]
DiscriminatorConfig = Annotated[MLPDiscriminatorConfig | LinearDiscriminatorConfig | AutoencoderDiscriminatorConfig,
                                Field(discriminator="kind")]


# ---- objectives (discriminated on `name`) ---------------------------------------------------------

def _objective_name(default: str) -> Any:
    return Field(default, title="Loss", description="The GAN loss: how D scores real and generated samples, and "
                 "what G tries to change about that score", json_schema_extra=ui("objective", "select"))


class LossConfig(Strict):
    """The losses with no parameter of their own."""

    name: Literal["minimax", "non-saturating", "least-squares", "hinge"] = _objective_name("non-saturating")


class WassersteinConfig(Strict):
    name: Literal["wasserstein"] = _objective_name("wasserstein")
    clip: float = Field(0.01, title="Weight clip c", gt=0, le=10, description="Weight clipping bound c: D's "
                        "weights stay in [-c, c]", json_schema_extra=ui("objective", "log-slider"))


class WGANGPConfig(Strict):
    name: Literal["wgan-gp"] = _objective_name("wgan-gp")
    gp_weight: float = Field(10.0, title="Gradient penalty weight λ", ge=0, le=1000, description="How strongly "
                             "the critic's slope is held near 1 (lambda)", json_schema_extra=ui("objective", "number"))


class MarginConfig(Strict):
    """The non-saturating loss with a margin on D's fake term (schema version 2 called it "energy")."""

    name: Literal["non-saturating-margin"] = _objective_name("non-saturating-margin")
    margin: float = Field(1.0, title="Margin m", gt=0, le=100, description="Margin m: D stops pushing a generated "
                          "sample's softplus(-D) up once it reaches m", json_schema_extra=ui("objective", "number"))


class EBGANConfig(Strict):
    """EBGAN (Zhao et al. 2017): needs the auto-encoder discriminator, whose energy is its reconstruction
    error."""

    name: Literal["ebgan"] = _objective_name("ebgan")
    margin: float = Field(1.0, title="Margin m", gt=0, le=100, description="Margin m: D raises a generated sample's energy "
                          "until it reaches m (data units squared)", json_schema_extra=ui("objective", "number"))
    pull_away: float = Field(0.0, title="Pull-away weight", ge=0, le=10, description="Pull-away term weight (EBGAN-PT): G is pushed "
                             "to give its samples codes pointing in different directions (0: off)",
                             json_schema_extra=ui("objective", "number"))


ObjectiveConfig = Annotated[LossConfig | WassersteinConfig | WGANGPConfig | MarginConfig | EBGANConfig,
                            Field(discriminator="name")]


# ---- optimizers (discriminated on `name`) ---------------------------------------------------------

def _optimizer_name(default: str) -> Any:
    return Field(default, title="Optimizer", description="How each update turns gradients into a step",
                 json_schema_extra=ui("optimizers", "select"))


def _lr() -> Any:
    # The slider spans 1e-5..1 on a log scale; above 0.1 is allowed, but a GAN of this size almost
    # always diverges there, so the form warns beside the field (`sensible`) instead of refusing.
    return Field(1e-3, title="Learning rate", gt=0, le=10, description="Learning rate: the size of each update "
                 "step", json_schema_extra=ui("optimizers", "log-slider", min=1e-5, max=1.0, sensible=[1e-5, 0.1]))


def _weight_decay() -> Any:
    return Field(0.0, title="Weight decay", ge=0, le=1, description="L2 weight decay: pulls every weight towards 0",
                 json_schema_extra=ui("optimizers", "number"))


class SGDConfig(Strict):
    name: Literal["sgd"] = _optimizer_name("sgd")
    lr: float = _lr()
    weight_decay: float = _weight_decay()


class MomentumConfig(Strict):
    name: Literal["momentum"] = _optimizer_name("momentum")
    lr: float = _lr()
    momentum: float = Field(0.9, title="Momentum", ge=0, lt=1, description="The share of the last step kept "
                            "in the next", json_schema_extra=ui("optimizers", "number"))
    weight_decay: float = _weight_decay()


class AdamConfig(Strict):
    name: Literal["adam"] = _optimizer_name("adam")
    lr: float = _lr()
    beta1: float = Field(0.5, title="β1: gradient memory", ge=0, lt=1, description="Decay of the gradient's "
                         "running mean (beta1)", json_schema_extra=ui("optimizers", "number"))
    beta2: float = Field(0.999, title="β2: squared-gradient memory", ge=0, lt=1, description="Decay of the "
                         "squared gradient's running mean (beta2)", json_schema_extra=ui("optimizers", "number"))
    weight_decay: float = _weight_decay()


class RMSpropConfig(Strict):
    name: Literal["rmsprop"] = _optimizer_name("rmsprop")
    lr: float = _lr()
    # 0.999, not torch's 0.99: schema version 1 shared Adam's beta2 (0.999) with RMSprop.
    alpha: float = Field(0.999, title="α: squared-gradient memory", ge=0, lt=1, description="Decay of the "
                         "squared gradient's running mean (alpha)", json_schema_extra=ui("optimizers", "number"))
    weight_decay: float = _weight_decay()


OptimizerConfig = Annotated[SGDConfig | MomentumConfig | AdamConfig | RMSpropConfig, Field(discriminator="name")]


# ---- sections without kinds ------------------------------------------------------------------------

class NoiseConfig(Strict):
    dim: int = Field(2, title="Noise dimensions", ge=1, le=256, description="How many random numbers z the "
                     "generator gets per sample", json_schema_extra=ui("noise", "slider", step=1))
    distribution: Literal["gaussian", "uniform"] = Field(
        "gaussian", title="Noise distribution", description="Where z comes from: N(0, I) or U(-1, 1)",
        json_schema_extra=ui("noise", "select"))


def _reg(title: str, hi: float, description: str, widget: str = "number", **extra: Any) -> Any:
    return Field(0.0, title=title, ge=0, le=hi, description=description,
                 json_schema_extra=ui("regularizers", widget, **extra))


class RegularizerConfig(Strict):
    """Stabilizers that compose with any loss; 0 switches each off."""

    gradient_penalty: float = _reg("Gradient penalty", 1000, "Weight of (||grad D|| - 1)^2 on points between "
                                   "real and generated samples (0: off)")
    r1: float = _reg("R1 penalty γ", 1000, "R1: gamma/2 * ||grad D(real)||^2, the steepness of D at the real "
                     "data (0: off)")
    dragan: float = _reg("DRAGAN penalty", 1000, "Penalty on D's slope around jittered real samples (0: off)")
    label_smoothing: float = _reg("Label smoothing", 0.5, "One-sided label smoothing: D aims for 1 - s on real "
                                  "samples instead of 1 (0: off)", "slider", step=0.05)
    instance_noise: float = _reg("Instance noise (std)", 10, "Std of the noise added to every sample D sees, "
                                 "real and generated (0: off)", "slider", step=0.01)
    instance_noise_anneal: int = Field(0, title="Fade instance noise over (iterations)", ge=0, le=1_000_000,
                                       description="Iterations over which instance noise fades linearly to 0 "
                                       "(0: it stays)", json_schema_extra=ui("regularizers", "number"))
    weight_clip: float = _reg("Clip D's weights at", 10, "Clip D's weights to [-c, c] after each update (0: off)")
    consensus: float = _reg("Consensus weight", 100, "Consensus optimization: weight of ||grad||^2 over both "
                            "players (0: off)")
    historical_averaging: float = _reg("Historical averaging weight", 100, "Weight of ||theta - mean(past "
                                       "theta)||^2 (0: off)")
    feature_matching: float = _reg("Feature matching share", 1, "Feature matching (Salimans et al. 2016): the "
                                   "share of G's loss that is ||E f(x) - E f(G(z))||^2, f = D's last hidden "
                                   "features (0: off; 1: G's whole loss, as in the paper)", "slider", step=0.05)


class TrainingConfig(Strict):
    k_d: int = Field(1, title="D steps per iteration", ge=1, le=50, description="Discriminator updates in each "
                     "iteration", json_schema_extra=ui("training", "slider", step=1))
    k_g: int = Field(1, title="G steps per iteration", ge=1, le=50, description="Generator updates in each "
                     "iteration", json_schema_extra=ui("training", "slider", step=1))
    update: Literal["alternating", "simultaneous"] = Field(
        "alternating", title="Update order", description="Alternating: D, then G against the new D; "
        "simultaneous: both from the same starting point", json_schema_extra=ui("training", "select"))
    unroll: int = Field(0, title="Look-ahead (unrolled D steps)", ge=0, le=20, description="G is scored against "
                        "D as it will be after this many more updates (0: off)",
                        json_schema_extra=ui("training", "slider", step=1))
    batch_size: int = Field(256, title="Batch size", ge=1, le=4096, description="Real and generated samples in "
                            "each batch (each)",
                            json_schema_extra=ui("training", "log-slider", min=1, max=4096, step=1))
    # A step schedule, the simplest one that helps: a GAN that has found the modes at a high rate
    # keeps circling them (Adam's steps stay ~lr); a tenfold smaller rate lets it settle on them.
    lr_drop_at: int = Field(0, title="Lower learning rates at iteration", ge=0, le=10_000_000,
                            description="After this many iterations both learning rates are multiplied by the "
                            "factor below (0: never)", json_schema_extra=ui("training", "number"))
    lr_drop_factor: float = Field(0.1, title="Lower them by the factor", gt=0, le=1, description="What both "
                                  "learning rates are multiplied by at that iteration",
                                  json_schema_extra=ui("training", "number"))

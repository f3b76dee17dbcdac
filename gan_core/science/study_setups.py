"""The mode-coverage study's data: its targets, methods and setups (gan_core.science.study runs
them; gan_core.report.study_report tabulates them).

Independent of the presets on purpose: a study must not move when someone retunes a preset.
They follow the published setups (Unrolled GAN, WGAN-GP toy code) with the step budgets cut so
the whole default study (30 runs) takes well under 30 minutes on 2 CPU cores; docs/results.md
says what was cut and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gan_core.engine.config import deep_merge

TARGETS = ("ring", "grid")
METHODS = ("vanilla", "unrolled", "wgan-gp")
# modes_captured is the published (VEEGAN / PacGAN) rule, modes_captured_strict this lab's stricter one
METRICS = ("modes_captured", "modes_captured_strict", "high_quality_fraction", "mode_kl", "sample_distance")
EVAL_SAMPLES = 2500  # fresh samples for the final metrics (VEEGAN / PacGAN evaluate on 2500)
PANEL_POINTS = 400  # generated points per HTML panel (real: half as many); keeps the page light
DEFAULT_SEEDS = 5
DEFAULT_OUT = "out/reproduce"  # /out/ is git-ignored
FINE_SHARE = 1 / 3  # share of each run's iterations at the fine learning rate (the papers' 1e-4) ...
FINE_LR_FACTOR = 0.1  # ... which is the setup's learning rate times this

# The Unrolled GAN paper's 2D mixture networks (Metz et al. 2017, appendix): z 256 -> 2x128 ReLU ->
# 2; D 1x128 ReLU on inputs scaled by 1/4; Adam beta1 0.5; batch 512. Their lr is 1e-4 over ~25k
# steps; our budget is a few thousand, so each run goes at 10x (1e-3) for its first two thirds and
# at the papers' 1e-4 for the last third (FINE_SHARE, FINE_LR_FACTOR). Measured on the ring, seed 0: WGAN-GP after
# 800 steps at 1e-3 has 31% of its samples within 3 std of a mode; 400 more at 1e-3 would leave it
# there, 400 at 1e-4 take it to 78%. The unrolled GAN moves from 2% to 3.5% the same way.
_MLP_GAN: dict[str, Any] = {
    "noise": {"dim": 256, "distribution": "gaussian"},
    "generator": {"kind": "mlp", "depth": 2, "width": 128, "activation": "relu"},
    "discriminator": {"kind": "mlp", "depth": 1, "width": 128, "activation": "relu", "input_scale": 0.25},
    "objective": {"name": "non-saturating"},
    "optimizer_g": {"name": "adam", "lr": 1e-3, "beta1": 0.5, "beta2": 0.999},
    "optimizer_d": {"name": "adam", "lr": 1e-3, "beta1": 0.5, "beta2": 0.999},
    "training": {"batch_size": 512, "k_d": 1, "k_g": 1, "unroll": 0},
}

# WGAN-GP's toy code (Gulrajani et al. 2017, gan_toy.py): z 2, G and critic 3x512 ReLU, Adam 1e-4
# betas (0.5, 0.9), lambda 0.1 on toy data, 5 critic steps per G step, batch 256, 100k iterations.
# Here 3x128 (a 512-wide critic with k_d 5 costs ~16x more per step), and 1e-3 then 1e-4 as above.
_WGAN_GP: dict[str, Any] = {
    "noise": {"dim": 2, "distribution": "gaussian"},
    "generator": {"kind": "mlp", "depth": 3, "width": 128, "activation": "relu"},
    "discriminator": {"kind": "mlp", "depth": 3, "width": 128, "activation": "relu", "input_scale": 1.0},
    "objective": {"name": "wgan-gp", "gp_weight": 0.1},
    "optimizer_g": {"name": "adam", "lr": 1e-3, "beta1": 0.5, "beta2": 0.9},
    "optimizer_d": {"name": "adam", "lr": 1e-3, "beta1": 0.5, "beta2": 0.9},
    "training": {"batch_size": 256, "k_d": 5, "k_g": 1, "unroll": 0},
}


@dataclass(frozen=True)
class Setup:
    """One method of the study: a config patch (over ExperimentConfig's defaults), its iterations
    (in all: the last `fine_share` of them run with both learning rates times FINE_LR_FACTOR), and
    its measured single-core cost (ms per iteration, used only to start the longest runs first)."""

    method: str
    title: str
    patch: dict[str, Any] = field(hash=False)
    steps: int
    ms_per_step: float
    source: str
    fine_share: float = FINE_SHARE


SETUPS: dict[str, Setup] = {
    "vanilla": Setup("vanilla", "vanilla GAN (non-saturating)", _MLP_GAN, 6000, 9.0,
                     "Unrolled GAN (Metz et al. 2017) networks, unroll 0"),
    "unrolled": Setup("unrolled", "unrolled GAN (5 steps)", deep_merge(_MLP_GAN, {"training": {"unroll": 5}}),
                      1200, 52.0, "Unrolled GAN (Metz et al. 2017), 5 unrolling steps (the paper shows 0-10)"),
    "wgan-gp": Setup("wgan-gp", "WGAN-GP", _WGAN_GP, 1200, 45.0,
                     "WGAN-GP toy setup (Gulrajani et al. 2017), critic 3x128 instead of 3x512"),
}

# The engine's targets at the literature's parameters: ring of 8 (radius 2, std 0.02), 5x5 grid
# (spacing 2, std 0.05). Spelled out so a change of the engine's defaults cannot move the study.
TARGET_PATCHES: dict[str, dict[str, Any]] = {
    "ring": {"target": {"name": "ring", "modes": 8, "radius": 2.0, "std": 0.02}},
    "grid": {"target": {"name": "grid", "modes": 5, "spacing": 2.0, "std": 0.05}},
}

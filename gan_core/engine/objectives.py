"""GAN losses: small pure functions of the discriminator's raw outputs.

D always returns raw scores `o` (logits for the logistic losses). Each objective gives
  d_loss(real_out, fake_out, smoothing) -> scalar the discriminator minimises
  g_loss(fake_out)                      -> scalar the generator minimises
  d_value(out)                          -> what the lab shows: a probability or a score
Logistic losses use softplus on logits (log sigmoid(o) = -softplus(-o)), never log(sigmoid),
so saturated discriminators give finite losses and useful gradients.

One-sided label smoothing `s` moves the real target from 1 to 1 - s in the logistic and
least-squares losses; the critic losses (wasserstein, wgan-gp, hinge, energy) have no labels
and ignore it. The extra terms of wgan-gp (gradient penalty) and wasserstein (weight
clipping) live in gan_core.engine.regularizers and are applied by the trainer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import torch
import torch.nn.functional as F

from gan_core.engine.config_sections import ObjectiveConfig


def _bce_logits(o: torch.Tensor, target: float) -> torch.Tensor:
    # -[t log sigmoid(o) + (1 - t) log(1 - sigmoid(o))] = t softplus(-o) + (1 - t) softplus(o)
    if target == 1.0:
        return F.softplus(-o).mean()
    if target == 0.0:
        return F.softplus(o).mean()
    return (target * F.softplus(-o) + (1.0 - target) * F.softplus(o)).mean()


def logistic_d_loss(real_out, fake_out, cfg: ObjectiveConfig, smoothing: float = 0.0):
    """Cross-entropy of D's logits: real labelled 1 - smoothing, fake labelled 0."""
    return _bce_logits(real_out, 1.0 - smoothing) + _bce_logits(fake_out, 0.0)


def minimax_g_loss(fake_out, cfg: ObjectiveConfig):
    """Saturating: G minimises log(1 - D(G(z))) = -softplus(logit); flat when D is sure (early training)."""
    return -F.softplus(fake_out).mean()


def non_saturating_g_loss(fake_out, cfg: ObjectiveConfig):
    """G minimises -log D(G(z)) = softplus(-logit): the same fixed point, strong gradients early."""
    return F.softplus(-fake_out).mean()


def ls_d_loss(real_out, fake_out, cfg: ObjectiveConfig, smoothing: float = 0.0):
    """LSGAN (a=0, b=1): 1/2 E[(D(x) - b)^2] + 1/2 E[D(G(z))^2], b = 1 - smoothing."""
    return 0.5 * ((real_out - (1.0 - smoothing)) ** 2).mean() + 0.5 * (fake_out ** 2).mean()


def ls_g_loss(fake_out, cfg: ObjectiveConfig):
    """LSGAN (c=1): 1/2 E[(D(G(z)) - 1)^2]."""
    return 0.5 * ((fake_out - 1.0) ** 2).mean()


def wasserstein_d_loss(real_out, fake_out, cfg: ObjectiveConfig, smoothing: float = 0.0):
    """Critic maximises E[f(x)] - E[f(G(z))]; the Lipschitz bound comes from clipping or a penalty."""
    return fake_out.mean() - real_out.mean()


def wasserstein_g_loss(fake_out, cfg: ObjectiveConfig):
    return -fake_out.mean()


def hinge_d_loss(real_out, fake_out, cfg: ObjectiveConfig, smoothing: float = 0.0):
    """E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]; G uses the Wasserstein generator loss."""
    return F.relu(1.0 - real_out).mean() + F.relu(1.0 + fake_out).mean()


def energy(out: torch.Tensor) -> torch.Tensor:
    """EBGAN energy from D's scalar score: E = softplus(-o) >= 0, low where D says "real".

    (EBGAN's D is an auto-encoder whose energy is a reconstruction error; a toy lab keeps D a
    scalar scorer so every loss shares one D, and softplus keeps the energy smooth and >= 0.)
    """
    return F.softplus(-out)


def energy_d_loss(real_out, fake_out, cfg: ObjectiveConfig, smoothing: float = 0.0):
    """EBGAN: E(x) + [m - E(G(z))]^+ with margin m = objective.margin."""
    return energy(real_out).mean() + F.relu(cfg.margin - energy(fake_out)).mean()


def energy_g_loss(fake_out, cfg: ObjectiveConfig):
    return energy(fake_out).mean()


def _sigmoid(out):
    return torch.sigmoid(out)


def _clamp01(out):
    return out.clamp(0.0, 1.0)


def _raw(out):
    return out


@dataclass(frozen=True)
class Objective:
    name: str
    d_loss: Callable  # (real_out, fake_out, cfg, smoothing) -> scalar
    g_loss: Callable  # (fake_out, cfg) -> scalar
    d_value: Callable  # raw outputs -> displayed values
    d_kind: str  # "probability" | "score"


# name -> Objective. Read-only: the registry is not runtime state.
OBJECTIVES: Mapping[str, Objective] = MappingProxyType({
    "minimax": Objective("minimax", logistic_d_loss, minimax_g_loss, _sigmoid, "probability"),
    "non-saturating": Objective("non-saturating", logistic_d_loss, non_saturating_g_loss, _sigmoid,
                                "probability"),
    # LSGAN's targets are 1 (real) and 0 (fake), so its raw output reads as a probability once clamped.
    "least-squares": Objective("least-squares", ls_d_loss, ls_g_loss, _clamp01, "probability"),
    "wasserstein": Objective("wasserstein", wasserstein_d_loss, wasserstein_g_loss, _raw, "score"),
    "wgan-gp": Objective("wgan-gp", wasserstein_d_loss, wasserstein_g_loss, _raw, "score"),
    "hinge": Objective("hinge", hinge_d_loss, wasserstein_g_loss, _raw, "score"),
    "energy": Objective("energy", energy_d_loss, energy_g_loss, _raw, "score"),
})

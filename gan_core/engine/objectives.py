"""GAN losses: small pure functions of the discriminator's raw outputs.

D always returns raw scores `o` (logits for the logistic losses). Each objective gives
  d_loss(real_out, fake_out, smoothing) -> scalar the discriminator minimises
  g_loss(fake_out)                      -> scalar the generator minimises
  d_value(out)                          -> what the lab shows: a probability or a score
Logistic losses use softplus on logits (log sigmoid(o) = -softplus(-o)), never log(sigmoid),
so saturated discriminators give finite losses and useful gradients.

One-sided label smoothing `s` moves the real target from 1 to 1 - s in the logistic and
least-squares losses; the margin and critic losses (non-saturating-margin, wasserstein, wgan-gp,
hinge, ebgan) have no labels and ignore it. The extra terms of wgan-gp (gradient penalty) and
wasserstein (weight clipping) live in gan_core.engine.regularizers and are applied by the trainer.

Besides the losses of D's outputs, two generator terms read D's features (its last hidden layer, or
an auto-encoder's code): feature matching and EBGAN's pull-away term; gan_core.engine.generator_loss
puts G's loss together.
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


def softplus_energy(out: torch.Tensor) -> torch.Tensor:
    """softplus(-o) >= 0: the logistic loss of calling o "real"; low where D says "real"."""
    return F.softplus(-out)


def margin_d_loss(real_out, fake_out, cfg: ObjectiveConfig, smoothing: float = 0.0):
    """softplus(-D(x)) + [m - softplus(-D(G(z)))]^+, m = objective.margin: the logistic loss on real
    samples, and on generated ones a push that stops at the margin. Schema version 2 called this
    "energy", after EBGAN's loss shape; EBGAN's energy is an auto-encoder's reconstruction error ("ebgan")."""
    return softplus_energy(real_out).mean() + F.relu(cfg.margin - softplus_energy(fake_out)).mean()


def ebgan_d_loss(real_out, fake_out, cfg: ObjectiveConfig, smoothing: float = 0.0):
    """EBGAN (Zhao et al. 2017, eq. 1): E(x) + [m - E(G(z))]^+ with E = -D's score, the auto-encoder's
    reconstruction error (gan_core.engine.models.AutoencoderDiscriminator), m = objective.margin."""
    return (-real_out).mean() + F.relu(cfg.margin + fake_out).mean()


def ebgan_g_loss(fake_out, cfg: ObjectiveConfig):
    """EBGAN (eq. 2): G minimises the energy E(G(z)) = -D's score."""
    return (-fake_out).mean()


def feature_matching(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """Salimans et al. 2016, sec. 3.1: ||E f(x) - E f(G(z))||^2, the squared Euclidean distance
    between the batches' mean feature vectors (n, F) -> scalar."""
    diff = real_features.mean(dim=0) - fake_features.mean(dim=0)
    return (diff * diff).sum()


def pull_away(codes: torch.Tensor) -> torch.Tensor:
    """EBGAN's pull-away term (Zhao et al. 2017, eq. 4): the mean over pairs i != j of the squared
    cosine similarity of the codes S (n, F) of a generated batch; 0 when they are orthogonal, 1 when
    all point the same way. A batch of one has no pairs: 0."""
    n = codes.shape[0]
    if n < 2:
        return codes.new_zeros(())
    s = codes / codes.norm(dim=1, keepdim=True).clamp_min(1e-12)
    cos2 = (s @ s.T) ** 2
    return (cos2.sum() - cos2.diagonal().sum()) / (n * (n - 1))


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
    # Its G loss is exactly the non-saturating one; only D's fake term differs (it stops at the margin).
    "non-saturating-margin": Objective("non-saturating-margin", margin_d_loss, non_saturating_g_loss, _raw, "score"),
    # LSGAN's targets are 1 (real) and 0 (fake), so its raw output reads as a probability once clamped.
    "least-squares": Objective("least-squares", ls_d_loss, ls_g_loss, _clamp01, "probability"),
    "wasserstein": Objective("wasserstein", wasserstein_d_loss, wasserstein_g_loss, _raw, "score"),
    "wgan-gp": Objective("wgan-gp", wasserstein_d_loss, wasserstein_g_loss, _raw, "score"),
    "hinge": Objective("hinge", hinge_d_loss, wasserstein_g_loss, _raw, "score"),
    # The shown score is -E(x): high (0) where the auto-encoder reconstructs, like every other critic.
    "ebgan": Objective("ebgan", ebgan_d_loss, ebgan_g_loss, _raw, "score"),
})

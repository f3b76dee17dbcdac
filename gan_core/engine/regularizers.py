"""Stabilizers that compose with any loss: pure functions over a discriminator and tensors.

Penalties return a scalar to add to D's loss; they are built with create_graph=True so their
own gradients reach D's parameters. Random draws come from the caller's torch.Generator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch
from torch import nn

# Keeps sqrt differentiable where a gradient vanishes exactly (norm'(0) is undefined).
_EPS = 1e-12


def input_gradient(d: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """dD/dx at each row of x, (n, dim), differentiable w.r.t. D's parameters."""
    x = x.detach().requires_grad_(True)
    out = d(x)
    (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return g


def _unit_norm_penalty(d, x: torch.Tensor) -> torch.Tensor:
    g = input_gradient(d, x)
    norm = torch.sqrt((g * g).sum(dim=1) + _EPS)
    return ((norm - 1.0) ** 2).mean()


def _uniform_per_row(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(x.shape[0], 1, generator=generator).to(x.device)


def gradient_penalty(d, real: torch.Tensor, fake: torch.Tensor, weight: float,
                     generator: torch.Generator) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): weight * E[(||grad D(x_hat)|| - 1)^2], x_hat on real-fake segments."""
    eps = _uniform_per_row(real, generator)
    x_hat = eps * real.detach() + (1.0 - eps) * fake.detach()
    return weight * _unit_norm_penalty(d, x_hat)


def r1_penalty(d, real: torch.Tensor, gamma: float) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): gamma/2 * E[||grad D(x_real)||^2]."""
    g = input_gradient(d, real)
    return 0.5 * gamma * (g * g).sum(dim=1).mean()


def dragan_penalty(d, real: torch.Tensor, weight: float, generator: torch.Generator) -> torch.Tensor:
    """DRAGAN (Kodali et al. 2017): the unit-gradient penalty on points near the real data.

    Perturbed points x + 0.5 * std(x) * U(0, 1) (std per coordinate over the batch, as in the
    paper's code), then a random point on the segment between x and its perturbation.
    """
    real = real.detach()
    std = real.std(dim=0, keepdim=True) if real.shape[0] > 1 else torch.ones_like(real[:1])
    noise = torch.rand(real.shape, generator=generator).to(real.device)
    perturbed = real + 0.5 * std * noise
    alpha = _uniform_per_row(real, generator)
    return weight * _unit_norm_penalty(d, real + alpha * (perturbed - real))


def instance_noise_std(base: float, anneal: int, iteration: int) -> float:
    """Std of the noise added to D's inputs: `base`, decaying linearly to 0 over `anneal` iterations."""
    if anneal <= 0:
        return base
    return base * max(0.0, 1.0 - iteration / anneal)


def add_instance_noise(x: torch.Tensor, std: float, generator: torch.Generator) -> torch.Tensor:
    if std <= 0.0:
        return x
    return x + std * torch.randn(x.shape, generator=generator).to(x.device)


@torch.no_grad()
def clip_weights(module: nn.Module, c: float) -> None:
    """Clamp every parameter of `module` to [-c, c] in place (WGAN's crude Lipschitz bound)."""
    for p in module.parameters():
        p.clamp_(-c, c)


def consensus_penalty(loss_d: torch.Tensor, loss_g: torch.Tensor, params_d: Sequence[torch.Tensor],
                      params_g: Sequence[torch.Tensor]) -> torch.Tensor:
    """Consensus optimization (Mescheder et al. 2017): L = 1/2 ||v||^2 with v = (dL_D/dphi, dL_G/dtheta).

    Each player then minimises its own loss + gamma * L; the gradient of L pulls both players
    towards points where the joint vector field vanishes, damping the rotation of the game.
    """
    gd = torch.autograd.grad(loss_d, list(params_d), create_graph=True, allow_unused=True)
    gg = torch.autograd.grad(loss_g, list(params_g), create_graph=True, allow_unused=True)
    total = loss_d.new_zeros(())
    for g in (*gd, *gg):
        if g is not None:
            total = total + (g * g).sum()
    return 0.5 * total


class HistoricalAverage:
    """Running mean of a player's parameters (Salimans et al. 2016) and the penalty towards it."""

    def __init__(self, params: Iterable[torch.Tensor]):
        self.mean = [p.detach().clone() for p in params]
        self.count = 1

    @torch.no_grad()
    def update(self, params: Iterable[torch.Tensor]) -> None:
        self.count += 1
        for m, p in zip(self.mean, params, strict=True):
            m.add_(p.detach() - m, alpha=1.0 / self.count)

    def penalty(self, params: Iterable[torch.Tensor], weight: float) -> torch.Tensor:
        """weight * sum ||theta - mean(past theta)||^2."""
        total = None
        for m, p in zip(self.mean, params, strict=True):
            t = ((p - m) ** 2).sum()
            total = t if total is None else total + t
        return weight * total

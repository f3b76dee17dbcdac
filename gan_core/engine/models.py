"""Generator and discriminator builders: pure torch modules, no training logic.

Every discriminator returns raw scores (logits for the logistic losses), shape (n,); the
objective decides how to read them. Generators map noise (n, noise_dim) to data (n, dim) with
an unbounded output (targets live outside [-1, 1], so no tanh squashing).

Initialisation never touches the global torch seed: `build_*` draw every initial value under
`torch.random.fork_rng()` seeded from the caller's `torch.Generator`, and dropout draws its
masks from that generator too, so one trainer's run is reproducible whatever else runs.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gan_core.engine.config_sections import DiscriminatorConfig, GeneratorConfig

ACTIVATIONS = {
    "relu": nn.ReLU,
    # 0.2 is the slope of the DCGAN / GAN Lab discriminators.
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "silu": nn.SiLU,
}


class SeededDropout(nn.Module):
    """Inverted dropout whose masks come from a given torch.Generator (nn.Dropout uses the global one)."""

    def __init__(self, p: float, generator: torch.Generator):
        super().__init__()
        self.p = p
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = torch.empty(x.shape, device="cpu").bernoulli_(keep, generator=self.generator).to(x.device)
        return x * mask / keep


class MLP(nn.Module):
    """x -> input_scale * x -> [Linear -> (BatchNorm) -> act -> (Dropout)] * depth -> Linear."""

    def __init__(self, in_dim: int, out_dim: int, depth: int, width: int, activation: str,
                 dropout: float = 0.0, batch_norm: bool = False, spectral: bool = False,
                 input_scale: float = 1.0, generator: torch.Generator | None = None, squeeze: bool = False):
        super().__init__()
        self.input_scale = float(input_scale)
        self.squeeze = squeeze
        layers: list[nn.Module] = []
        d = in_dim
        for _ in range(depth):
            lin = nn.Linear(d, width)
            layers.append(spectral_norm(lin) if spectral else lin)
            if batch_norm:
                layers.append(nn.BatchNorm1d(width))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(SeededDropout(dropout, generator or torch.Generator()))
            d = width
        out = nn.Linear(d, out_dim)
        layers.append(spectral_norm(out) if spectral else out)
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.input_scale != 1.0:
            x = x * self.input_scale
        y = self.net(x)
        return y.squeeze(-1) if self.squeeze else y


class AffineGenerator(nn.Module):
    """x = A z + b with A (dim x noise_dim): a Gaussian in, a Gaussian out (shows mode averaging)."""

    def __init__(self, noise_dim: int, dim: int):
        super().__init__()
        self.linear = nn.Linear(noise_dim, dim)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.linear(z)


class PointGenerator(nn.Module):
    """Every sample is the learnable point theta (the Dirac-GAN generator); the noise is ignored."""

    def __init__(self, theta: torch.Tensor):
        super().__init__()
        self.theta = nn.Parameter(theta.clone().float())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.theta.expand(z.shape[0], -1)


class LinearDiscriminator(nn.Module):
    """D(x) = psi . x (+ c): the Dirac-GAN discriminator; returns raw scores (n,)."""

    def __init__(self, psi: torch.Tensor, bias: bool = True):
        super().__init__()
        self.psi = nn.Parameter(psi.clone().float())
        self.c = nn.Parameter(torch.zeros(())) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x @ self.psi
        return out + self.c if self.c is not None else out


def _draw_seed(generator: torch.Generator) -> int:
    return int(torch.randint(0, 2**62, (1,), generator=generator).item())


def build_generator(cfg: GeneratorConfig, noise_dim: int, dim: int, generator: torch.Generator) -> nn.Module:
    """The generator described by `cfg`, initialised from `generator` (the global RNG is left as it was)."""
    seed = _draw_seed(generator)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if cfg.kind == "point":
            theta = torch.tensor(cfg.init) if cfg.init is not None else torch.randn(dim)
            return PointGenerator(theta)
        if cfg.kind == "affine":
            return AffineGenerator(noise_dim, dim)
        return MLP(noise_dim, dim, cfg.depth, cfg.width, cfg.activation, cfg.dropout, cfg.batch_norm,
                   generator=generator)


def build_discriminator(cfg: DiscriminatorConfig, dim: int, generator: torch.Generator) -> nn.Module:
    """The discriminator described by `cfg` (returns raw scores of shape (n,))."""
    seed = _draw_seed(generator)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if cfg.kind == "linear":
            psi = torch.tensor(cfg.init) if cfg.init is not None else torch.randn(dim)
            return LinearDiscriminator(psi, cfg.bias)
        return MLP(dim, 1, cfg.depth, cfg.width, cfg.activation, cfg.dropout, cfg.batch_norm,
                   cfg.spectral_norm, cfg.input_scale, generator=generator, squeeze=True)


def sample_noise(n: int, dim: int, distribution: str, generator: torch.Generator) -> torch.Tensor:
    """(n, dim) noise: N(0, I) or U(-1, 1), drawn from `generator`."""
    if distribution == "uniform":
        return torch.rand(n, dim, generator=generator) * 2.0 - 1.0
    return torch.randn(n, dim, generator=generator)


def has_train_mode_layers(*modules: nn.Module) -> bool:
    """Whether any of `modules` behaves differently in train and eval mode (dropout, batch norm,
    spectral norm's power iteration): only then must a snapshot switch them to eval and back."""
    return any(isinstance(m, SeededDropout | nn.BatchNorm1d) or hasattr(m, "parametrizations")
               for module in modules for m in module.modules())

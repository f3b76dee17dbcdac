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

from gan_core.engine.batch_layers import MinibatchDiscrimination, VBNGenerator, VirtualBatchNorm
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
    """x -> input_scale * x -> [Linear -> (BatchNorm | VirtualBatchNorm) -> act -> (Dropout)] * depth
    -> (MinibatchDiscrimination) -> Linear.

    `forward(x, features=True)` also returns the input of the last Linear (D's penultimate features,
    which feature matching compares); `reference` is the batch a minibatch-discriminating D compares
    x's rows against (gan_core.engine.batch_layers; None: x's own batch).
    """

    def __init__(self, in_dim: int, out_dim: int, depth: int, width: int, activation: str,
                 dropout: float = 0.0, batch_norm: bool = False, spectral: bool = False,
                 input_scale: float = 1.0, generator: torch.Generator | None = None, squeeze: bool = False,
                 minibatch: tuple[int, int] | None = None, vbn_reference: int = 0):
        super().__init__()
        self.input_scale = float(input_scale)
        self.squeeze = squeeze
        layers: list[nn.Module] = []
        d = in_dim
        for _ in range(depth):
            lin = nn.Linear(d, width)
            layers.append(spectral_norm(lin) if spectral else lin)
            if vbn_reference:
                layers.append(VirtualBatchNorm(width, vbn_reference))
            elif batch_norm:
                layers.append(nn.BatchNorm1d(width))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(SeededDropout(dropout, generator or torch.Generator()))
            d = width
        # Not inside `net`: it takes a second input (the reference batch). `net`'s keys stay those of
        # an MLP without it, so saved weights of earlier versions still load.
        self.minibatch = MinibatchDiscrimination(d, *minibatch) if minibatch else None
        out = nn.Linear(d + (minibatch[0] if minibatch else 0), out_dim)
        layers.append(spectral_norm(out) if spectral else out)
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, features: bool = False, reference: torch.Tensor | None = None):
        if self.input_scale != 1.0:
            x = x * self.input_scale
        if not features and self.minibatch is None:
            y = self.net(x)  # the hot path: one call
        else:
            *body, head = self.net
            h = x
            for layer in body:
                h = layer(h)
            if self.minibatch is not None:
                ref = None
                if reference is not None:
                    ref = reference * self.input_scale
                    for layer in body:
                        ref = layer(ref)
                h = self.minibatch(h, ref)
            y = head(h)
        y = y.squeeze(-1) if self.squeeze else y
        return (y, h) if features else y


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
    """D(x) = psi . x (+ c): the Dirac-GAN discriminator; returns raw scores (n,) (and x itself as
    its features)."""

    def __init__(self, psi: torch.Tensor, bias: bool = True):
        super().__init__()
        self.psi = nn.Parameter(psi.clone().float())
        self.c = nn.Parameter(torch.zeros(())) if bias else None

    def forward(self, x: torch.Tensor, features: bool = False):
        out = x @ self.psi
        out = out + self.c if self.c is not None else out
        return (out, x) if features else out


class AutoencoderDiscriminator(nn.Module):
    """EBGAN's discriminator (Zhao et al. 2017): an auto-encoder whose energy is its squared
    reconstruction error E(x) = ||Dec(Enc(x)) - x||^2 (data units squared), low where it has learnt
    to reconstruct (the data), high elsewhere.

    Like every D in the lab it returns a raw score, high = "real": here -E(x), (n,). With
    features=True also the code Enc(x) (n, code), which EBGAN's pull-away term and feature matching
    read.
    """

    def __init__(self, dim: int, depth: int, width: int, activation: str, code: int):
        super().__init__()
        self.encoder = MLP(dim, code, depth, width, activation)
        self.decoder = MLP(code, dim, depth, width, activation)

    def forward(self, x: torch.Tensor, features: bool = False):
        c = self.encoder(x)
        r = self.decoder(c) - x
        out = -(r * r).sum(dim=1)
        return (out, c) if features else out


def _draw_seed(generator: torch.Generator) -> int:
    return int(torch.randint(0, 2**62, (1,), generator=generator).item())


def build_generator(cfg: GeneratorConfig, noise_dim: int, dim: int, generator: torch.Generator,
                    distribution: str = "gaussian") -> nn.Module:
    """The generator described by `cfg`, initialised from `generator` (the global RNG is left as it was).

    With virtual batch norm the reference noise batch (generator.vbn_reference rows of
    `distribution`) is drawn from `generator` too, after the weights' seed.
    """
    seed = _draw_seed(generator)
    if cfg.kind == "mlp" and cfg.virtual_batch_norm:
        reference = sample_noise(cfg.vbn_reference, noise_dim, distribution, generator)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = MLP(noise_dim, dim, cfg.depth, cfg.width, cfg.activation, cfg.dropout,
                      generator=generator, vbn_reference=cfg.vbn_reference)
        return VBNGenerator(net, reference)
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
        if cfg.kind == "autoencoder":
            return AutoencoderDiscriminator(dim, cfg.depth, cfg.width, cfg.activation, cfg.code)
        minibatch = (cfg.minibatch_kernels, cfg.minibatch_kernel_dim) if cfg.minibatch_kernels else None
        return MLP(dim, 1, cfg.depth, cfg.width, cfg.activation, cfg.dropout, cfg.batch_norm,
                   cfg.spectral_norm, cfg.input_scale, generator=generator, squeeze=True, minibatch=minibatch)


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

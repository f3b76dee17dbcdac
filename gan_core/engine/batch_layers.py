"""Layers whose output for one sample depends on other samples (Salimans et al. 2016, "Improved
Techniques for Training GANs"), and how to read a network that has them outside training.

Minibatch discrimination (sec. 3.2): D's hidden features f(x_i) (A values) are multiplied by a
tensor T (A x B x C) into B rows M_i,b of C values; kernel b compares sample i with sample j by
c_b(x_i, x_j) = exp(-||M_i,b - M_j,b||_1), and the layer appends o(x_i)_b, the kernels' mean over
the *other* samples of the batch, to f(x_i). A collapsed generator's batch is all alike (o near 1)
where a real batch is spread out (o small), so D can see the collapse that no single sample shows.
The paper sums over j; the lab takes the mean over the n - 1 others, so o stays in [0, 1] and keeps
its scale when the batch size changes live (the sum grows with n, which D's next layer would have
to relearn).

Virtual batch normalisation (sec. 3.4): each hidden layer of G is normalised with the statistics
of a reference batch of noise fixed once at build, combined with the sample itself (weight
1 / (n_ref + 1), as in the paper's code), so a sample's output depends on the reference batch and
itself only, never on the rest of its batch. The reference batch is passed through G with every
call (its statistics follow G's current weights, and gradients flow through them).

Reading a minibatch-discriminating D outside training (the frame, evaluate()): D has no value at a
lone point, only within a batch. So
  - a set of samples (the frame's real or generated points) is cut into batches of the training
    batch size and each is read on its own, as the training step reads a batch (`in_batches`);
  - a grid point is read as if it joined a batch of generated samples: its row is compared against
    a fixed reference batch of the frame's generated points as large as the training batch (at
    most SURFACE_REFERENCE; `MLP.forward(reference=...)`), the batch a generator update would be
    judged in. D's surface then shows what D would say of a generated sample at that point.
Both are pure: nothing is stored on the modules, so a frame never changes the run.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from gan_core.engine.config_sections import MAX_PAIRWISE

# Most generated samples a grid point is compared against in a frame (fewer when the training batch
# is smaller: training compares a sample with batch - 1 others). The mean over 256 already has a
# standard error under 1/30 of its [0, 1] range, and the cost is grid x this x kernels x kernel dim
# (a 64 x 64 grid against 256 with 8 x 4 kernels: ~190 ms of one core, the frame watchdog's reach).
SURFACE_REFERENCE = 256
VBN_EPS = 1e-5  # added to the variance before the square root (units of the features squared)


# ---- minibatch discrimination ----------------------------------------------------------------------

def minibatch_similarity(m: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
    """o (n, B): per row i and kernel b, the mean of exp(-||m_i,b - r_j,b||_1) over reference rows j.

    m: (n, B, C). Without `reference` the rows are compared with the other rows of m (j != i; a row
    alone gets 0); with it (k, B, C), every row of m with every reference row. The distances are
    plain differences when a gradient is wanted, not torch.cdist, whose backward has no derivative of
    its own (the unrolled look-ahead differentiates D's gradient); cdist when none is.
    """
    n = m.shape[0]
    r = m if reference is None else reference
    if m.requires_grad or r.requires_grad:
        c = torch.exp(-(m[:, None] - r[None]).abs().sum(dim=-1))  # (n, k, B)
    else:
        # Nothing to differentiate (a frame, evaluate()): cdist's L1 per kernel, the same numbers
        # (to float rounding) ~10x faster, without the (n, k, B, C) temporaries.
        c = torch.exp(-torch.cdist(m.transpose(0, 1), r.transpose(0, 1), p=1)).permute(1, 2, 0)
    if reference is not None:
        return c.mean(dim=1)
    if n < 2:
        return m.new_zeros(n, m.shape[1])
    # exp(-0) = 1 on the diagonal: the row compared with itself, which the layer leaves out.
    return (c.sum(dim=1) - 1.0) / (n - 1)


class MinibatchDiscrimination(nn.Module):
    """f (n, A) -> [f, o(f)] (n, A + B): see minibatch_similarity; T is A x B x C."""

    def __init__(self, in_features: int, kernels: int, kernel_dim: int):
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        # std 1/sqrt(A): each entry of M starts at unit scale for unit-scale features, so the
        # kernels neither start saturated (all 0) nor blind (all 1).
        self.T = nn.Parameter(torch.randn(in_features, kernels * kernel_dim) / math.sqrt(in_features))

    def project(self, f: torch.Tensor) -> torch.Tensor:
        return (f @ self.T).view(f.shape[0], self.kernels, self.kernel_dim)

    def forward(self, f: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        """`reference`: the features of the batch to compare against (None: f's own batch)."""
        ref = None if reference is None else self.project(reference)
        return torch.cat([f, minibatch_similarity(self.project(f), ref)], dim=1)


def surface_reference(batch: int) -> int:
    """How many generated samples a grid point is compared against, for a training batch of `batch`."""
    return max(2, min(batch, SURFACE_REFERENCE))


def has_minibatch(d: nn.Module) -> bool:
    return any(isinstance(m, MinibatchDiscrimination) for m in d.modules())


def in_batches(d: Callable, size: int) -> Callable:
    """`d` read on batches of at most `size` rows, each on its own (as a training step reads one
    batch), the outputs put back in order. Rows are split evenly, so no batch is a lone row. A D
    without minibatch discrimination is returned as it is (its rows never interact)."""
    if not (isinstance(d, nn.Module) and has_minibatch(d)):
        return d

    def read(x: torch.Tensor, **kw):
        parts = [d(c, **kw) for c in torch.tensor_split(x, max(1, math.ceil(len(x) / max(size, 2))))]
        if isinstance(parts[0], tuple):
            return tuple(torch.cat(p) for p in zip(*parts, strict=True))
        return torch.cat(parts)

    return read


def surface(d: nn.Module, points: torch.Tensor, fake: torch.Tensor, batch: int = SURFACE_REFERENCE
            ) -> torch.Tensor:
    """D's raw output at each grid point: for a minibatch-discriminating D, each point compared
    against the first min(batch, SURFACE_REFERENCE) generated samples `fake` (`batch`: the training
    batch size; in chunks that fit MAX_PAIRWISE); any other D reads the points directly."""
    mbd = [m for m in d.modules() if isinstance(m, MinibatchDiscrimination)]
    if not mbd:
        return d(points)
    ref = fake[:surface_reference(batch)]
    rows = max(1, MAX_PAIRWISE // (len(ref) * mbd[0].kernels * mbd[0].kernel_dim))
    return torch.cat([d(c, reference=ref) for c in torch.split(points, rows)])


# ---- virtual batch normalisation -------------------------------------------------------------------

def virtual_batch_norm(h: torch.Tensor, n_ref: int, gamma: torch.Tensor, beta: torch.Tensor,
                       eps: float = VBN_EPS) -> torch.Tensor:
    """h (n_ref + n, F): the reference batch's rows first. The reference rows are normalised with
    their own mean and (biased) variance; every other row x with the mean and variance of the
    reference batch plus x, weight 1 / (n_ref + 1) on x: mu = w x + (1 - w) mu_ref, and likewise
    for E[x^2]. Then scaled by gamma and shifted by beta (per feature)."""
    ref, x = h[:n_ref], h[n_ref:]
    mu_r, sq_r = ref.mean(dim=0), (ref * ref).mean(dim=0)
    w = 1.0 / (n_ref + 1)
    mu = w * x + (1.0 - w) * mu_r
    var = w * x * x + (1.0 - w) * sq_r - mu * mu
    out_ref = (ref - mu_r) / torch.sqrt(sq_r - mu_r * mu_r + eps)
    out = (x - mu) / torch.sqrt(var + eps)
    return torch.cat([out_ref, out]) * gamma + beta


class VirtualBatchNorm(nn.Module):
    """virtual_batch_norm with a learned per-feature gamma (starts at 1) and beta (starts at 0)."""

    def __init__(self, width: int, n_ref: int):
        super().__init__()
        self.n_ref = n_ref
        self.gamma = nn.Parameter(torch.ones(width))
        self.beta = nn.Parameter(torch.zeros(width))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return virtual_batch_norm(h, self.n_ref, self.gamma, self.beta)


class VBNGenerator(nn.Module):
    """A generator network whose normalisation layers are VirtualBatchNorm: every call runs the
    fixed reference noise (a buffer: saved and restored with the weights) ahead of z and returns
    z's rows only."""

    def __init__(self, net: nn.Module, reference_noise: torch.Tensor):
        super().__init__()
        self.net = net
        self.register_buffer("reference", reference_noise.clone().float())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        n_ref = self.reference.shape[0]
        return self.net(torch.cat([self.reference.to(z.dtype), z]))[n_ref:]

    @torch.no_grad()
    def redraw(self, noise: torch.Tensor) -> None:
        """A new reference batch (the noise distribution changed live): same size, new values."""
        self.reference.copy_(noise)

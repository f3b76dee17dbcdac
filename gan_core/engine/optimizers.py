"""Optimizers: the factory, live hyperparameter changes, the learning-rate drop, and the unrolled
discriminator look-ahead (Metz et al. 2017), which replays the optimizer's update rule differentiably.

The look-ahead copies D's parameters, takes `steps` differentiable optimizer steps on fresh
batches whose fake half stays attached to G's graph, and returns the resulting parameter
dict: the generator's loss against D after the look-ahead then back-propagates through the
unrolled updates into G. The real D and its optimizer state are not changed.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.func import functional_call

from gan_core.engine.config_sections import OptimizerConfig, TrainingConfig

# Inside the square root of the look-ahead's Adam / RMSprop denominators: sqrt has an infinite
# derivative at 0, which would turn a parameter with no gradient into NaN when differentiated.
_LOOKAHEAD_EPS = 1e-8


def lr_scale(training: TrainingConfig, iteration: int) -> float:
    """The factor on both learning rates for the iteration after `iteration` completed ones."""
    drop = training.lr_drop_at
    return training.lr_drop_factor if drop and iteration >= drop else 1.0


def make_optimizer(params, cfg: OptimizerConfig) -> torch.optim.Optimizer:
    """A torch optimizer for `params` as `cfg` describes it."""
    params = list(params)
    if cfg.name == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.name == "momentum":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    if cfg.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, alpha=cfg.alpha, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(params, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), weight_decay=cfg.weight_decay)


def update_optimizer(opt: torch.optim.Optimizer, cfg: OptimizerConfig, scale: float = 1.0) -> None:
    """Change hyperparameters in place (lr times `scale`, see lr_scale): the optimizer's state
    (moments, momentum) is kept. `opt` must be of `cfg`'s kind (a new kind needs make_optimizer)."""
    for group in opt.param_groups:
        group["lr"] = cfg.lr * scale
        group["weight_decay"] = cfg.weight_decay
        if cfg.name == "adam":
            group["betas"] = (cfg.beta1, cfg.beta2)
        elif cfg.name == "rmsprop":
            group["alpha"] = cfg.alpha
        elif cfg.name == "momentum":
            group["momentum"] = cfg.momentum


def lookahead(d: nn.Module, opt: torch.optim.Optimizer, cfg: OptimizerConfig, steps: int,
              batch: Callable[[], tuple[torch.Tensor, torch.Tensor]],
              loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> dict[str, torch.Tensor]:
    """D's parameters (and buffers) after `steps` differentiable updates; `d` itself is untouched.

    `batch()` returns (real, fake) with fake attached to G's graph; `loss(real_out, fake_out)` is
    D's plain loss. The update rule follows `cfg` (sgd, momentum, adam, rmsprop), starting from
    the optimizer's current moments so the look-ahead predicts what D will really do.
    """
    names = [n for n, _ in d.named_parameters()]
    live = [p for _, p in d.named_parameters()]
    params = [p.detach().clone().requires_grad_(True) for p in live]
    buffers = {n: b.clone() for n, b in d.named_buffers()}
    state = [opt.state.get(p, {}) for p in live]
    b1 = cfg.beta1 if cfg.name == "adam" else 0.0
    b2 = cfg.beta2 if cfg.name == "adam" else cfg.alpha if cfg.name == "rmsprop" else 0.0
    m = [s["exp_avg"].clone() if "exp_avg" in s else torch.zeros_like(p) for s, p in zip(state, live, strict=True)]
    if cfg.name == "rmsprop":
        v = [s["square_avg"].clone() if "square_avg" in s else torch.zeros_like(p)
             for s, p in zip(state, live, strict=True)]
    else:
        v = [s["exp_avg_sq"].clone() if "exp_avg_sq" in s else torch.zeros_like(p)
             for s, p in zip(state, live, strict=True)]
    buf = [s["momentum_buffer"].clone() if s.get("momentum_buffer") is not None else None for s in state]
    t0 = int(state[0]["step"]) if state and "step" in state[0] else 0
    lr = opt.param_groups[0]["lr"]  # the live rate: cfg.lr times any drop (lr_scale)
    for i in range(steps):
        real, fake = batch()
        current = {**dict(zip(names, params, strict=True)), **buffers}
        out_r = functional_call(d, current, (real,))
        out_f = functional_call(d, current, (fake,))
        grads = torch.autograd.grad(loss(out_r, out_f), params, create_graph=True, allow_unused=True)
        new = []
        for j, (p, g) in enumerate(zip(params, grads, strict=True)):
            if g is None:
                new.append(p)
                continue
            if cfg.weight_decay:
                g = g + cfg.weight_decay * p
            if cfg.name == "adam":
                t = t0 + i + 1
                m[j] = b1 * m[j] + (1 - b1) * g
                v[j] = b2 * v[j] + (1 - b2) * g * g
                m_hat = m[j] / (1 - b1 ** t)
                v_hat = v[j] / (1 - b2 ** t)
                step = m_hat / (torch.sqrt(v_hat + _LOOKAHEAD_EPS ** 2) + 1e-8)
            elif cfg.name == "rmsprop":
                v[j] = b2 * v[j] + (1 - b2) * g * g
                step = g / (torch.sqrt(v[j] + _LOOKAHEAD_EPS ** 2) + 1e-8)
            elif cfg.name == "momentum":
                buf[j] = g if buf[j] is None else cfg.momentum * buf[j] + g
                step = buf[j]
            else:
                step = g
            new.append(p - lr * step)
        params = new
    return {**dict(zip(names, params, strict=True)), **buffers}

"""What the generator minimises, put together from the plan: its objective's loss of D's scores,
mixed with feature matching, plus EBGAN's pull-away term. A pure function of a discriminator and
tensors, shared by the trainer (its updates, the unrolled look-ahead) and the frame's arrows.

    loss = (1 - a) * g_loss(D(G(z))) + a * ||E f(x) - E f(G(z))||^2 + w * pull_away(f(G(z)))

a = regularizers.feature_matching (Salimans et al. 2016 train G on the second term alone: a = 1),
w = objective.pull_away (EBGAN only), f = D's features (forward(x, features=True): an MLP's last
hidden layer, with its minibatch-discrimination features when it has them; an auto-encoder's code;
the input itself for the linear D). Without either term D is read once, as before.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from gan_core.engine.config_sections import ObjectiveConfig
from gan_core.engine.objectives import feature_matching, pull_away
from gan_core.engine.plan import Plan


def needs_features(plan: Plan) -> bool:
    return bool(plan.feature_matching or plan.pull_away)


def generator_loss(d: Callable, fake: torch.Tensor, real: torch.Tensor | None, plan: Plan,
                   objective: ObjectiveConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """(G's loss on the generated batch `fake`, D's raw scores of `fake`); `real` (a real batch) is
    read only for feature matching (None otherwise). `d(x)` returns D's raw scores,
    `d(x, features=True)` (scores, features)."""
    a = plan.feature_matching
    if not needs_features(plan):
        out = d(fake)
        return plan.g_loss(out, objective), out
    out, f = d(fake, features=True)
    loss = plan.g_loss(out, objective) if a < 1 else out.new_zeros(())
    if a:
        if real is None:
            raise ValueError("feature matching needs a real batch")
        _, f_real = d(real, features=True)
        loss = (1.0 - a) * loss + a * feature_matching(f_real, f)
    if plan.pull_away:
        loss = loss + plan.pull_away * pull_away(f)
    return loss, out

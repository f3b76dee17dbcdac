"""Trainer: owns the target, both networks, their optimizers and one torch.Generator.

    t = Trainer(cfg)            # ExperimentConfig or dict; ConfigError on bad input
    t.step(n)                   # n iterations; stops early, no exception, once diverged
    t.step_part("d" | "g")      # one D update / one G update ("g" completes an iteration)
    t.apply(patch) -> bool      # live change; True when the networks were rebuilt
    t.reset(seed=None)          # fresh networks and optimizers from the seed
    t.snapshot(opts) -> Snapshot, t.evaluate(n) -> dict, t.state_dict() / t.load_state_dict(d)
    t.checkpoints() -> [iterations], t.restore(k)   # back to iteration k, bit for bit (t.timeline)
    t.config, t.iteration, t.status ("ok" | "diverged"), t.status_message, t.history, t.losses

One iteration = k_d discriminator updates then k_g generator updates (alternating), or
max(k_d, k_g) joint updates where both gradients come from the same parameters (simultaneous;
each player stops after its own k). Every random draw (init, noise, real batches, dropout,
penalty interpolation, instance noise) comes from the trainer's generator, so the same config
and seed give the same run bit for bit on the CPU. The trainer knows nothing about who watches
it: `snapshot()` returns plain numpy data drawn from a generator of its own, so watching never
changes the run.

Regularizers apply to D's loss in its updates; historical averaging and instance noise to
both players; G's loss (feature matching, pull-away) is gan_core.engine.generator_loss's. With
training.unroll = k the generator's loss is taken against D after k differentiable look-ahead
steps of D's plain loss (gan_core.engine.optimizers.lookahead).

The trainer keeps checkpoints of its run and the changes made to it live (`t.timeline`,
gan_core.engine.timeline): `restore(k)` goes back to iteration k, and training on from there
retraces the run bit for bit, its live changes re-applied where they were made.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from gan_core.engine import checkpoint
from gan_core.engine import regularizers as reg
from gan_core.engine.batch_layers import VBNGenerator
from gan_core.engine.config import (
    ConfigError,
    ExperimentConfig,
    apply_patch,
    changed_sections,
    needs_rebuild,
    parse_config,
)
from gan_core.engine.generator_loss import generator_loss
from gan_core.engine.models import build_discriminator, build_generator, sample_noise
from gan_core.engine.optimizers import lookahead, lr_scale, make_optimizer, update_optimizer
from gan_core.engine.plan import make_plan
from gan_core.engine.probes import ProbeCache, evaluate, take_snapshot
from gan_core.engine.snapshot import Snapshot, SnapshotOptions
from gan_core.engine.targets import build_target
from gan_core.engine.timeline import DEFAULT_BUDGET_BYTES, Timeline, describe_patch

# The history keeps at most this many per-iteration dicts (about 200 bytes each); older halves
# are dropped so a lab left running for days does not grow without bound.
HISTORY_LIMIT = 200_000


def _check_device(cfg: ExperimentConfig) -> None:
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: 'cuda' was asked for but no CUDA device is available here", "device")


class Trainer:
    """Train a toy GAN described by an ExperimentConfig (see the module docstring)."""

    def __init__(self, config: ExperimentConfig | dict | None = None, timeline_budget: int = DEFAULT_BUDGET_BYTES):
        """`timeline_budget`: bytes of checkpoints the timeline keeps at most (0: none)."""
        cfg = config if isinstance(config, ExperimentConfig) else parse_config(config)
        _check_device(cfg)
        self.config = cfg
        self.rebuilt = False
        self.timeline = Timeline(timeline_budget)
        self.reset()

    # ---- building -------------------------------------------------------------------------

    def reset(self, seed: int | None = None) -> None:
        """New networks and optimizers from the seed (a given seed replaces config.seed)."""
        if seed is not None:
            self.config = apply_patch(self.config, {"seed": seed})
        cfg = self.config
        self.device = torch.device(cfg.device)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.target = build_target(cfg.target)
        self._build_networks()
        self.iteration = 0
        self.history: list[dict[str, float]] = []
        self.status = "ok"
        self.status_message = ""
        # The last update's losses and mean D values (a frame shows them; a checkpoint keeps them).
        self.last = {"d_loss": math.nan, "g_loss": math.nan, "d_real": math.nan, "d_fake": math.nan}
        self.restart_timeline()

    def _build_networks(self) -> None:
        cfg = self.config
        dim = self.target.dim
        self.G = build_generator(cfg.generator, cfg.noise.dim, dim, self.gen, cfg.noise.distribution).to(self.device)
        self.D = build_discriminator(cfg.discriminator, dim, self.gen).to(self.device)
        self.g_params = list(self.G.parameters())
        self.d_params = list(self.D.parameters())
        self.opt_g = make_optimizer(self.g_params, cfg.optimizer_g)
        self.opt_d = make_optimizer(self.d_params, cfg.optimizer_d)
        # Running means of both players' parameters, for the historical-averaging penalty.
        self.hist_g = reg.HistoricalAverage(self.g_params)
        self.hist_d = reg.HistoricalAverage(self.d_params)
        self.plan = make_plan(cfg)
        # The Dirac game records its (theta, psi) every iteration: frames come every ~10
        # iterations, too sparse to draw the orbit without aliasing it into a star.
        self._dirac_game = cfg.generator.kind == "point" and cfg.discriminator.kind == "linear"
        # The snapshot's fixed inputs and its last fresh surface and metrics (gan_core.engine.probes):
        # new networks, new cache.
        self.probe_cache = ProbeCache()

    def apply(self, patch: dict) -> bool:
        """Validate the patched config as a whole and apply it live; True when the networks were rebuilt.

        What rebuilds is gan_core.engine.config.needs_rebuild's rule (generator, discriminator,
        noise dimension, seed, device, or a target of another dimension; the iteration restarts at
        0, and so does the timeline). Everything else (learning rates, optimizer kind and betas,
        loss, k, regularizers, batch size, noise distribution, a target of the same dimension)
        changes live: the networks keep their weights, an optimizer keeps its state unless its kind
        changed. A live change at a past iteration (after restore) starts a new timeline branch there.
        Raises ConfigError (field, message) and leaves the trainer as it was.
        """
        new = apply_patch(self.config, patch)
        _check_device(new)
        old = self.config
        if needs_rebuild(old, new):
            self.config = new
            self.reset()
            self.rebuilt = True
            return True
        self.timeline.record(self, "apply", new, describe_patch(patch))
        self._apply_live(new)
        return False

    def _apply_live(self, new: ExperimentConfig) -> None:
        """Change to `new` (no rebuild needed) keeping networks and optimizer state."""
        old = self.config
        changed = changed_sections(old, new)
        if "target" in changed:
            self.target = build_target(new.target)
        if "noise" in changed and isinstance(self.G, VBNGenerator):
            # Virtual batch norm's reference batch must come from the noise G now sees.
            self.G.redraw(sample_noise(len(self.G.reference), new.noise.dim, new.noise.distribution, self.gen))
        for name, opt, params in (("optimizer_g", "opt_g", self.g_params), ("optimizer_d", "opt_d", self.d_params)):
            if name in changed and getattr(new, name).name != getattr(old, name).name:
                setattr(self, opt, make_optimizer(params, getattr(new, name)))
        if new.regularizers.historical_averaging and not old.regularizers.historical_averaging:
            # The running means are only kept while the penalty is on: restart them from here,
            # or switching it on would pull both players back towards their initial weights.
            self.hist_g = reg.HistoricalAverage(self.g_params)
            self.hist_d = reg.HistoricalAverage(self.d_params)
        self.config = new
        if changed & {"optimizer_g", "optimizer_d", "training"}:
            self._set_lrs()  # a new rate, or a drop moved to before or after where the run is
        self.plan = make_plan(new)
        self.rebuilt = False

    def _set_lrs(self) -> None:
        """Both optimizers' hyperparameters from the config, the rates scaled for this iteration."""
        cfg, scale = self.config, lr_scale(self.config.training, self.iteration)
        update_optimizer(self.opt_g, cfg.optimizer_g, scale)
        update_optimizer(self.opt_d, cfg.optimizer_d, scale)

    # ---- one update -----------------------------------------------------------------------

    def _noise(self, n: int) -> torch.Tensor:
        return sample_noise(n, self.plan.noise_dim, self.plan.noise_dist, self.gen).to(self.device)

    def _real(self, n: int) -> torch.Tensor:
        return self.target.sample(n, self.gen).to(self.device, torch.float32)

    def _inst_std(self) -> float:
        p = self.plan
        return reg.instance_noise_std(p.noise_std, p.noise_anneal, self.iteration) if p.noise_std else 0.0

    def _d_loss(self, real: torch.Tensor, fake: torch.Tensor):
        """D's regularised loss on one batch; returns (loss, raw outputs on real, on fake)."""
        p, D = self.plan, self.D
        if p.plain:
            ro, fo = D(real), D(fake)
            return p.d_loss(ro, fo, self.config.objective, p.smoothing), ro, fo
        std = self._inst_std()
        if std:
            real = reg.add_instance_noise(real, std, self.gen)
            fake = reg.add_instance_noise(fake, std, self.gen)
        ro, fo = D(real), D(fake)
        loss = p.d_loss(ro, fo, self.config.objective, p.smoothing)
        if p.gp:
            loss = loss + reg.gradient_penalty(D, real, fake, p.gp, self.gen)
        if p.r1:
            loss = loss + reg.r1_penalty(D, real, p.r1)
        if p.dragan:
            loss = loss + reg.dragan_penalty(D, real, p.dragan, self.gen)
        if p.hist:
            loss = loss + self.hist_d.penalty(self.d_params, p.hist)
        return loss, ro, fo

    def _g_loss(self, fake: torch.Tensor) -> torch.Tensor:
        p = self.plan
        std = self._inst_std()
        real = self._real(p.batch) if p.feature_matching else None
        if std:
            fake = reg.add_instance_noise(fake, std, self.gen)
            real = None if real is None else reg.add_instance_noise(real, std, self.gen)
        loss, _ = generator_loss(self.D, fake, real, p, self.config.objective)
        if p.hist:
            loss = loss + self.hist_g.penalty(self.g_params, p.hist)
        return loss

    def _after_d(self) -> None:
        if self.plan.clip:
            reg.clip_weights(self.D, self.plan.clip)
        if self.plan.hist:
            self.hist_d.update(self.d_params)

    def _after_g(self) -> None:
        if self.plan.hist:
            self.hist_g.update(self.g_params)

    def _record_d(self, loss, ro, fo) -> None:
        # detach() rather than a no_grad block: entering the context costs more than these three ops.
        dv, last = self.plan.d_value, self.last
        last["d_loss"] = loss.item()
        last["d_real"] = dv(ro.detach()).mean().item()
        last["d_fake"] = dv(fo.detach()).mean().item()

    def _d_update(self) -> None:
        n = self.plan.batch
        real = self._real(n)
        z = self._noise(n)
        if self.plan.consensus:
            return self._joint_update(True, False, real, z)
        with torch.no_grad():
            fake = self.G(z)
        loss, ro, fo = self._d_loss(real, fake)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        self._after_d()
        self._record_d(loss, ro, fo)

    def _g_update(self) -> None:
        p = self.plan
        z = self._noise(p.batch)
        if p.consensus:
            return self._joint_update(False, True, self._real(p.batch), z)
        if p.unroll:
            loss = self._unrolled_g_loss(z)
        else:
            loss = self._g_loss(self.G(z))
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward(inputs=self.g_params)
        self.opt_g.step()
        self._after_g()
        self.last["g_loss"] = loss.item()

    def _unrolled_g_loss(self, z: torch.Tensor) -> torch.Tensor:
        p, cfg = self.plan, self.config

        def batch():
            return self._real(p.batch), self.G(self._noise(p.batch))

        def d_plain(ro, fo):
            return p.d_loss(ro, fo, cfg.objective, p.smoothing)

        params = lookahead(self.D, self.opt_d, cfg.optimizer_d, p.unroll, batch, d_plain)

        def d_ahead(x, **kw):
            return torch.func.functional_call(self.D, params, (x,), kw)

        real = self._real(p.batch) if p.feature_matching else None
        return generator_loss(d_ahead, self.G(z), real, p, cfg.objective)[0]

    def _joint_update(self, do_d: bool, do_g: bool, real: torch.Tensor, z: torch.Tensor) -> None:
        """Both players' gradients from the same parameters, then the chosen ones step.

        Simultaneous updates use it with do_d = do_g = True; consensus optimization uses it for
        every update because its penalty needs both players' gradient fields at once.
        """
        p = self.plan
        fake = self.G(z)
        # Consensus differentiates ||dL_D/dphi||^2 w.r.t. theta too, so D's loss must see G's graph.
        loss_d, ro, fo = self._d_loss(real, fake if p.consensus else fake.detach())
        loss_g = self._unrolled_g_loss(z) if (p.unroll and do_g) else self._g_loss(fake)
        total_d, total_g = loss_d, loss_g
        if p.consensus:
            c = p.consensus * reg.consensus_penalty(loss_d, loss_g, self.d_params, self.g_params)
            total_d, total_g = loss_d + c, loss_g + c
        gd = torch.autograd.grad(total_d, self.d_params, retain_graph=True, allow_unused=True) if do_d else None
        gg = torch.autograd.grad(total_g, self.g_params, allow_unused=True) if do_g else None
        if do_d:
            for q, g in zip(self.d_params, gd, strict=True):
                q.grad = g
            self.opt_d.step()
            self._after_d()
            self._record_d(loss_d, ro, fo)
        if do_g:
            for q, g in zip(self.g_params, gg, strict=True):
                q.grad = g
            self.opt_g.step()
            self._after_g()
            self.last["g_loss"] = loss_g.item()

    # ---- iterations -----------------------------------------------------------------------

    def _iteration(self) -> None:
        p = self.plan
        if p.simultaneous:
            for i in range(max(p.k_d, p.k_g)):
                n = p.batch
                self._joint_update(i < p.k_d, i < p.k_g, self._real(n), self._noise(n))
        else:
            for _ in range(p.k_d):
                self._d_update()
            for _ in range(p.k_g):
                self._g_update()
        self._finish_iteration()

    def _finish_iteration(self) -> None:
        self.iteration += 1
        if self.iteration == self.config.training.lr_drop_at:
            self._set_lrs()
        last = self.last
        entry = {"iteration": self.iteration, **last}
        if self._dirac_game:
            theta, psi = self.G.theta.detach().tolist(), self.D.psi.detach().tolist()
            entry["theta"], entry["psi"] = theta[0], psi[0]
            if len(theta) > 1:  # the 2D game: the page draws the point's path in the plane
                entry["theta2"], entry["psi2"] = theta[1], psi[1]
        self.history.append(entry)
        if len(self.history) > HISTORY_LIMIT:
            del self.history[: HISTORY_LIMIT // 2]
        if not (math.isfinite(last["d_loss"]) and math.isfinite(last["g_loss"])):
            self._diverge(f"loss became non-finite at iteration {self.iteration} "
                          f"(d_loss={last['d_loss']:.3g}, g_loss={last['g_loss']:.3g}); reset to recover")
        else:
            self.timeline.after_iteration(self, entry)

    def _diverge(self, message: str) -> None:
        self.status = "diverged"
        self.status_message = message

    def check_parameters(self) -> bool:
        """Mark the run diverged if any parameter is NaN/inf; True when all are finite.

        Not called per step (about 0.1 ms, 4% of an iteration): a non-finite parameter makes the
        next iteration's losses non-finite, which step() catches, and snapshot() calls this when its
        outputs are non-finite.
        """
        if self.status == "ok" and not all(bool(torch.isfinite(q).all()) for q in (*self.g_params, *self.d_params)):
            self._diverge(f"parameters became non-finite by iteration {self.iteration}; reset to recover")
        return self.status == "ok"

    def step(self, n: int = 1) -> None:
        """Run n iterations; stops early (no exception) once the run has diverged. Changes the
        timeline recorded at these iterations (after restore) are made again on the way."""
        end = self.iteration + n
        take = self.timeline.take_due
        while self.status == "ok" and self.iteration < end:
            ev = take(self.iteration)
            if ev is None:
                self._iteration()
            elif ev.kind == "apply":
                self._apply_live(ev.payload)
            else:
                self._part(ev.payload)

    def step_part(self, part: str) -> None:
        """One D update ("d") or one G update ("g") for slow motion; "g" completes an iteration."""
        if part not in ("d", "g"):
            raise ConfigError("part: must be 'd' or 'g'", "part")
        if self.status != "ok":
            return
        self.timeline.record(self, "part", part, f"slow-motion {part.upper()} update")
        self._part(part)

    def _part(self, part: str) -> None:
        if part == "d":
            self._d_update()
        else:
            self._g_update()
            self._finish_iteration()

    # ---- observing ------------------------------------------------------------------------

    def snapshot(self, opts: SnapshotOptions | None = None) -> Snapshot:
        """One frame of plain numpy data (see gan_core.engine.snapshot); never changes the training run.
        Fresh metrics are kept in the timeline's history (a resumed page draws its curves from it)."""
        snap = take_snapshot(self, opts or SnapshotOptions())
        if snap.metrics and snap.metrics_iteration == self.iteration:
            self.timeline.record_metrics(self.iteration, snap.metrics)
        return snap

    def evaluate(self, n: int = 2048, divergences: bool = False) -> dict[str, float]:
        """metrics.summary() on n fresh samples (with kl_grid / js_grid if `divergences`); merged
        into the latest history entry."""
        out = evaluate(self, n, divergences)
        if self.history and self.history[-1]["iteration"] == self.iteration:
            self.history[-1].update(out)
        return out

    @property
    def losses(self) -> dict[str, float]:
        return {"d_loss": self.last["d_loss"], "g_loss": self.last["g_loss"]}

    # ---- checkpoints and export -----------------------------------------------------------------

    def checkpoints(self) -> list[int]:
        """Iterations this branch of the run has a checkpoint at (gan_core.engine.timeline)."""
        return self.timeline.checkpoints()

    def restore(self, iteration: int) -> int:
        """Go back to `iteration` of this branch of the run, bit for bit (its nearest checkpoint, then a
        replay with the live changes made on the way); ConfigError naming `iteration` outside the run."""
        return self.timeline.restore(self, iteration)

    def restart_timeline(self, losses: list[dict] = (), metrics: list[dict] = ()) -> None:
        """A new timeline from here (after a reset or a load), with the history that led here."""
        self.timeline = Timeline(self.timeline.budget_bytes)
        self.timeline.begin(self, losses, metrics)

    def state_dict(self) -> dict[str, Any]:
        """Everything the run needs to go on bit for bit, as plain containers of copied tensors."""
        names = (list(self.G.state_dict()), list(self.D.state_dict()))
        return checkpoint.to_dict(checkpoint.capture(self), *names)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore weights, optimizer state, RNG, the historical averages and the iteration (rebuilds
        the networks for the saved config); the timeline starts again from here.

        A state that does not fit its own config raises ConfigError (field "state") and leaves the
        trainer as it was, so a bad import cannot kill a session.
        """
        if not isinstance(state, dict) or "config" not in state:
            raise ConfigError("state: must be a dict from Trainer.state_dict()", "state")
        other = Trainer(parse_config(state["config"]), self.timeline.budget_bytes)
        try:
            ck = checkpoint.from_dict(other, state)
        except (KeyError, RuntimeError, ValueError, TypeError, IndexError) as exc:
            raise ConfigError(f"state: does not match its config ({str(exc).splitlines()[0]})", "state") from None
        checkpoint.load(other, ck, -1)
        other.restart_timeline()
        self.__dict__.update(other.__dict__)

"""A running experiment handed to another owner: `capture(trainer)` is everything that decides its
next iterations (config, weights, optimizer state, RNG, iteration, historical averages, last
losses: Trainer.state_dict) plus its history and curves, as plain bytes and lists; `restore(captured)` builds a Trainer that
continues exactly where the original was, bit for bit on the CPU (tests/gan_core/engine/test_fork.py).

The lab forks a watched session this way (a student's "make my own copy"): the capture crosses a
process boundary as a pickle, so it holds no live tensors, only `torch.save` bytes, which are read
back with `weights_only=True`.
"""

from __future__ import annotations

import io
from typing import Any

import torch

from gan_core.engine.config import ConfigError, parse_config
from gan_core.engine.history import thin, thin_keep_tail
from gan_core.engine.trainer import Trainer

# History entries a fork carries (~200 bytes each): the newest ORBIT_TAIL whole, older ones thinned.
HISTORY_POINTS = 20_000
ORBIT_TAIL = 4_096


def capture(trainer: Trainer) -> dict[str, Any]:
    """The trainer's whole state as plain data (a deep copy: the original trains on unaffected)."""
    buf = io.BytesIO()
    torch.save(trainer.state_dict(), buf)
    # The curves that led here (gan_core.engine.timeline: after a seek back, only up to this state).
    at = trainer.iteration
    losses, metrics = ([dict(p) for p in points if p["iteration"] <= at] for points in trainer.timeline.lineage())
    return {"config": trainer.config.model_dump(mode="json"), "state": buf.getvalue(),
            "history": [dict(e) for e in thin_keep_tail(trainer.history, HISTORY_POINTS, ORBIT_TAIL)],
            "losses": thin(losses, HISTORY_POINTS), "metrics": thin(metrics, HISTORY_POINTS),
            "status": trainer.status, "status_message": trainer.status_message}


def restore(captured: dict[str, Any]) -> Trainer:
    """A Trainer that goes on exactly where the captured one was; ConfigError (field "state") if the
    capture does not fit its own config."""
    config = parse_config(captured["config"])
    try:
        state = torch.load(io.BytesIO(captured["state"]), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ConfigError(f"state: not a captured trainer ({str(exc).splitlines()[0][:200]})", "state") from None
    trainer = Trainer(config)
    trainer.load_state_dict({**state, "config": config.model_dump()})
    trainer.history = list(captured["history"])
    trainer.restart_timeline(captured["losses"], captured["metrics"])  # its own timeline, from here
    trainer.status, trainer.status_message = captured["status"], captured["status_message"]
    return trainer

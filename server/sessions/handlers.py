"""What each client message does to a session (run on the session's own thread, between steps).

Every failure becomes an `error` reply naming the field; the session's trainer is only replaced
once its successor was built without error, so a bad message never leaves a half-changed run.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gan_core.engine import saved
from gan_core.engine.config import ConfigError
from gan_core.engine.trainer import Trainer
from server.wire import protocol as p

if TYPE_CHECKING:
    from server.sessions.session import Session

log = logging.getLogger(__name__)


def _error(s: Session, message: str, field: str | None) -> None:
    s.post(p.error(message, field))


def handle(s: Session, msg: Any) -> None:
    try:
        _HANDLERS[type(msg)](s, msg)
    except ConfigError as exc:
        _error(s, exc.message, exc.field)


def _play(s: Session, msg: p.Play) -> None:
    if s.trainer.status != "ok":
        _error(s, f"the run diverged ({s.trainer.status_message}); reset to start again", None)
        s.post_status()
        return
    s.running = True
    s.pending_steps = 0
    s.post_status()


def _pause(s: Session, msg: p.Pause) -> None:
    s.running = False
    s.pending_steps = 0
    s.post_status()
    s.dirty = True  # one final frame at the exact iteration where it stopped


def _step(s: Session, msg: p.Step) -> None:
    s.running = False
    if msg.part == "iteration":
        s.pending_steps = min(s.pending_steps + msg.n, 1000)
        return  # the loop trains them in quanta (pause cancels) and reports when done
    s.pending_steps = 0
    for _ in range(msg.n):
        s.trainer.step_part(msg.part)
    s.post_status()
    s.dirty = True


def _reset(s: Session, msg: p.Reset) -> None:
    s.trainer.reset(msg.seed)
    s.changed(rebuilt=True)


def _configure(s: Session, msg: p.Configure) -> None:
    rebuilt = s.trainer.apply(msg.patch)
    s.changed(rebuilt)


def _draw(s: Session, msg: p.Draw) -> None:
    pts = [list(xy) for xy in msg.points]
    try:
        rebuilt = s.trainer.apply({"target": {"name": "drawn", "points": pts}})
    except ConfigError as exc:
        field = "points" if exc.field and exc.field.startswith("target.points") else exc.field
        raise ConfigError(exc.message, field) from None
    s.preset = None
    s.changed(rebuilt)


def _preset(s: Session, msg: p.Preset) -> None:
    cfg = s.presets.config(msg.name)  # ConfigError(field="name") for an unknown one
    s.trainer = Trainer(cfg)
    s.preset = msg.name
    s.changed(rebuilt=True)


def _set_view(s: Session, msg: p.SetView) -> None:
    fields = {k: v for k, v in msg.model_dump(exclude={"type", "fps"}).items() if v is not None}
    view = replace(s.view, **fields)
    view.check(s.trainer.target.dim)  # e.g. grid > 128 for a 2D target: error naming `grid`
    s.view = view
    if msg.fps is not None:
        s.fps = msg.fps
    s.dirty = True


def _ping(s: Session, msg: p.Ping) -> None:
    s.post({"type": "pong"})


def _hello(s: Session, msg: p.Hello) -> None:
    _error(s, "hello: this session has already started (send hello once per connection)", "type")


def _export(s: Session, msg: p.Export) -> None:
    s.post({"type": "export", "data": saved.export_experiment(s.trainer, s.preset, msg.weights)})


def _import(s: Session, msg: p.Import) -> None:
    s.trainer = saved.import_experiment(msg.data)
    s.preset = None
    s.running = False
    s.changed(rebuilt=True, new_run=True)


_HANDLERS = {
    p.Play: _play, p.Pause: _pause, p.Step: _step, p.Reset: _reset, p.Configure: _configure, p.Draw: _draw,
    p.Preset: _preset, p.SetView: _set_view, p.Ping: _ping, p.Hello: _hello, p.Export: _export,
    p.Import: _import,
}

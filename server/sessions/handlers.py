"""The message handlers: what each client message does to its session (on the session's host,
between turns). Each turns a validated message (server.wire.protocol) into the session's public
operations (server.sessions.session) and gan_core calls; none touches a session's insides.

Every failure becomes an `error` reply naming the field; a new trainer (preset, import) is built
whole before the session takes it, so a bad message never leaves a half-changed run.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gan_core.engine import saved
from gan_core.engine.config import ConfigError
from gan_core.engine.trainer import Trainer
from server.sessions import presets
from server.wire import protocol as p

if TYPE_CHECKING:
    from server.sessions.session import Session


def handle(s: Session, msg: Any) -> None:
    """Apply one message; a ConfigError becomes an `error` reply naming its field."""
    try:
        HANDLERS[type(msg)](s, msg)
    except ConfigError as exc:
        s.post_error(exc.message, exc.field)


def play(s: Session, msg: p.Play) -> None:
    if s.trainer.status != "ok":
        s.post_error(f"the run diverged ({s.trainer.status_message}); reset to start again", None)
        s.post_status()
        return
    if msg.until is not None and msg.until <= s.trainer.iteration:
        s.post_error(f"until: the run is already at iteration {s.trainer.iteration}; play on without "
                     "'until', or ask for a later one", "until")
        return
    s.play(msg.until)


def pause(s: Session, msg: p.Pause) -> None:
    s.pause()


def step(s: Session, msg: p.Step) -> None:
    if msg.part == "iteration":
        s.request_steps(msg.n)  # the host's turns train them in quanta and report when done
    else:
        s.step_parts(msg.part, msg.n)


def reset(s: Session, msg: p.Reset) -> None:
    s.reset(msg.seed)


def configure(s: Session, msg: p.Configure) -> None:
    s.apply(msg.patch)


def draw(s: Session, msg: p.Draw) -> None:
    pts = [list(xy) for xy in msg.points]
    try:
        s.apply({"target": {"name": "drawn", "points": pts}}, clear_preset=True)
    except ConfigError as exc:  # the message's field is `points`, not the config's target.points
        field = "points" if exc.field and exc.field.startswith("target.points") else exc.field
        raise ConfigError(exc.message, field) from None


def preset(s: Session, msg: p.Preset) -> None:
    cfg = presets.config(msg.name)  # ConfigError(field="name") for an unknown one
    s.replace_trainer(Trainer(cfg), msg.name)


def set_view(s: Session, msg: p.SetView) -> None:
    fields = {k: v for k, v in msg.model_dump(exclude={"type", "fps"}).items() if v is not None}
    view = replace(s.view, **fields)
    view.check(s.trainer.target.dim)  # e.g. grid > 128 for a 2D target: error naming `grid`
    s.set_view(view, msg.fps)


def speed(s: Session, msg: p.Speed) -> None:
    s.set_speed(msg.its)


def ping(s: Session, msg: p.Ping) -> None:
    s.post({"type": "pong"})


def hello(s: Session, msg: p.Hello) -> None:
    s.post_error("hello: this session has already started (send hello once per connection)", "type")


def export(s: Session, msg: p.Export) -> None:
    s.post({"type": "export", "data": saved.export_experiment(s.trainer, s.preset, msg.weights)})


def import_(s: Session, msg: p.Import) -> None:
    trainer = saved.import_experiment(msg.data)
    label = saved.saved_preset(msg.data)
    # A label this server has no preset for is dropped: the page's preset menu could not show it.
    s.replace_trainer(trainer, label if label in presets.names() else None, stop=True, cause="import")


def seek(s: Session, msg: p.Seek) -> None:
    s.seek(msg.iteration, msg.exact)


def branch(s: Session, msg: p.Branch) -> None:
    s.branch(msg.patch, msg.label)


def switch_branch(s: Session, msg: p.SwitchBranch) -> None:
    s.switch_branch(msg.branch)


HANDLERS = {
    p.Play: play, p.Pause: pause, p.Step: step, p.Reset: reset, p.Configure: configure, p.Draw: draw,
    p.Preset: preset, p.SetView: set_view, p.Ping: ping, p.Hello: hello, p.Export: export, p.Import: import_,
    p.Seek: seek, p.Branch: branch, p.SwitchBranch: switch_branch, p.Speed: speed,
}

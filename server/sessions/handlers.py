"""The message handlers: what each client message does to its session (on the session's host,
between turns). Each turns a validated message (server.wire.protocol) into the session's public
operations (server.sessions.session) and gan_core calls; none touches a session's insides.

Every failure becomes an `error` reply naming the field; a new trainer (preset, import) is built
whole before the session takes it, so a bad message never leaves a half-changed run. Whatever
changes what a session computes (a config, a preset, an import, a view) passes the server's
budget first (Session.check_cost, server.sessions.budget).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gan_core.engine import saved
from gan_core.engine.config import ConfigError, apply_patch
from gan_core.engine.trainer import Trainer
from gan_core.science.comparisons import get_comparison
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
    if s.state() == "diverged":
        s.post_error(f"the run diverged ({s.runs.status_message()}); reset to start again", None)
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
    s.apply(msg.patch, slot=msg.slot)


def draw(s: Session, msg: p.Draw) -> None:
    pts = [list(xy) for xy in msg.points]
    try:
        s.apply({"target": {"name": "drawn", "points": pts}}, clear_preset=True)
    except ConfigError as exc:  # the message's field is `points`, not the config's target.points
        field = "points" if exc.field and exc.field.startswith("target.points") else exc.field
        raise ConfigError(exc.message, field) from None


def preset(s: Session, msg: p.Preset) -> None:
    cfg = presets.config(msg.name)  # ConfigError(field="name") for an unknown one
    s.check_cost(cfg)
    s.replace_trainer(Trainer(cfg), msg.name)


def set_view(s: Session, msg: p.SetView) -> None:
    fields = {k: v for k, v in msg.model_dump(exclude={"type", "fps"}).items() if v is not None}
    if "window" in fields:
        fields["window"] = tuple(fields["window"])  # gan_core's Window
    view = replace(s.view, **fields)
    view.check(s.trainer.target.dim)  # e.g. grid > 128 for a 2D target: error naming `grid`
    s.check_cost(s.trainer.config, view)  # e.g. 4096 samples of a big network: error naming `samples`
    s.set_view(view, msg.fps)


def speed(s: Session, msg: p.Speed) -> None:
    s.set_speed(msg.its)


def ping(s: Session, msg: p.Ping) -> None:
    s.post({"type": "pong"})


def hello(s: Session, msg: p.Hello) -> None:
    s.post_error("hello: this session has already started (send hello once per connection)", "type")


def export(s: Session, msg: p.Export) -> None:
    s.post_big({"type": "export", "data": saved.export_experiment(s.trainer, s.preset, msg.weights)})


def import_(s: Session, msg: p.Import) -> None:
    # Its cost is checked before anything is built or any weight is read.
    s.check_cost(saved.read_config(saved.migrate(msg.data)), field_prefix="data.config.")
    trainer = saved.import_experiment(msg.data)
    label = saved.saved_preset(msg.data)
    # A label this server has no preset for is dropped: the page's preset menu could not show it.
    s.replace_trainer(trainer, label if label in presets.names() else None, stop=True, cause="import")


def _one_experiment(s: Session, kind: str) -> None:
    # The timeline is A's alone; B would not follow a seek, so the two would stop being comparable.
    if s.runs.comparing:
        raise ConfigError(f"type: {kind} works on one experiment; stop comparing first", "type")


def seek(s: Session, msg: p.Seek) -> None:
    _one_experiment(s, "seek")
    s.seek(msg.iteration, msg.exact)


def branch(s: Session, msg: p.Branch) -> None:
    _one_experiment(s, "branch")
    s.branch(msg.patch, msg.label)


def switch_branch(s: Session, msg: p.SwitchBranch) -> None:
    _one_experiment(s, "switch_branch")
    s.switch_branch(msg.branch)


def compare(s: Session, msg: p.Compare) -> None:
    """Start, change or stop a comparison (docs/protocol.md): `name` loads a built-in one, `patch`
    makes B from A's config (with `name` too: labelled as that comparison), neither copies A."""
    if msg.stop:
        s.stop_compare()
        return
    if msg.name is not None:
        try:
            c = get_comparison(msg.name)
        except KeyError as exc:
            raise ConfigError(f"name: {exc.args[0]}", "name") from None
        if msg.patch is None:
            a_cfg, b_cfg = c.experiments()
            s.compare(Trainer(b_cfg), c.name, a=Trainer(a_cfg), preset=c.a)
            return
    b_cfg = s.trainer.config if msg.patch is None else _patched(s, msg.patch)
    s.compare(Trainer(b_cfg), msg.name)


def _patched(s: Session, patch: dict) -> object:
    try:
        return apply_patch(s.trainer.config, patch)
    except ConfigError as exc:
        raise ConfigError(f"patch.{exc.message}", f"patch.{exc.field}" if exc.field else "patch") from None


def front_only(s: Session, msg: p.Broadcast | p.Fork) -> None:
    # The server's front answers these (server.classroom); one that reaches a session is misrouted.
    s.post_error(f"{msg.type}: not handled by a session", "type")


HANDLERS = {
    p.Play: play, p.Pause: pause, p.Step: step, p.Reset: reset, p.Configure: configure, p.Draw: draw,
    p.Preset: preset, p.SetView: set_view, p.Ping: ping, p.Hello: hello, p.Export: export, p.Import: import_,
    p.Seek: seek, p.Branch: branch, p.SwitchBranch: switch_branch, p.Speed: speed, p.Compare: compare,
    p.Broadcast: front_only, p.Fork: front_only,
}

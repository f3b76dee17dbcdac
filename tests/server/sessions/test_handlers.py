"""server.sessions.handlers: each client message's effect on a session, and each bad one's error
reply naming the field, with the session unchanged and alive (no socket: the session's sink is a list)."""

from __future__ import annotations

import base64
import io
import json

import torch

from gan_core.engine.trainer import Trainer
from server.sessions import handlers
from server.sessions.pacer import Pacer
from server.sessions.session import Session
from server.settings import Settings
from server.wire.protocol import ProtocolError, parse_message
from tests.server.conftest import SMALL
from tests.server.sessions.test_session import Sink


def session(config=SMALL, preset=None, **settings):
    """A session on no host (its turns given by the test), its sink attached and the first frame taken."""
    st = Settings(workers=0, **settings)
    s = Session(Trainer(config), st, Pacer(st.quantum_ms / 1000, st.shared_fps), preset)
    sink = Sink()
    s.attach(sink)
    assert s.poll()
    sink.posts.clear()
    return s, sink


def send(s: Session, text: str) -> None:
    s.handle(parse_message(text))


def replies(sink, kind):
    return [m for m in sink.posts if m["type"] == kind]


def test_play_pause_and_steps():
    s, sink = session()
    send(s, '{"type": "play"}')
    assert s.running and sink.posts[-1]["state"] == "running"
    send(s, '{"type": "step", "n": 5}')  # a step request stops continuous training
    assert not s.running and s.pending_steps == 5
    send(s, '{"type": "pause"}')  # and pause cancels it, with one final frame to show where it stopped
    assert s.pending_steps == 0 and sink.posts[-1]["state"] == "paused" and s.wants_turn
    send(s, '{"type": "step", "n": 1, "part": "d"}')  # slow motion: at once, no iteration completed
    assert s.trainer.iteration == 0 and sink.posts[-1]["type"] == "status"
    send(s, '{"type": "step", "n": 1, "part": "g"}')
    assert s.trainer.iteration == 1 and sink.posts[-1]["iteration"] == 1


def test_play_after_divergence_says_reset():
    s, sink = session({**SMALL, "optimizer_d": {"name": "sgd", "lr": 10}, "optimizer_g": {"name": "sgd", "lr": 10},
                       "objective": {"name": "wasserstein", "clip": 10}, "regularizers": {"weight_clip": 0}})
    for _ in range(200):
        s.trainer.step(1)
        if s.trainer.status != "ok":
            break
    send(s, '{"type": "play"}')
    err = replies(sink, "error")[-1]
    assert "diverged" in err["message"] and "reset" in err["message"] and not s.running
    assert sink.posts[-1] == {**sink.posts[-1], "type": "status", "state": "diverged"}


def test_changes_bump_the_revision_and_say_whether_the_networks_were_rebuilt():
    s, sink = session()
    send(s, '{"type": "configure", "patch": {"optimizer_d": {"lr": 0.002}}}')
    cfg = replies(sink, "config")[-1]
    assert cfg["config"]["optimizer_d"]["lr"] == 0.002 and cfg["rebuilt"] is False and cfg["config_rev"] == 1
    send(s, '{"type": "configure", "patch": {"generator": {"width": 12}}}')
    assert replies(sink, "config")[-1]["rebuilt"] is True and replies(sink, "status")[-1]["rebuilt"] is True
    send(s, '{"type": "reset", "seed": 4}')
    cfg = replies(sink, "config")[-1]
    assert cfg["config"]["seed"] == 4 and cfg["rebuilt"] is True and cfg["config_rev"] == 3 == s.config_rev


def test_a_bad_patch_is_refused_by_field_and_changes_nothing():
    s, sink = session()
    before = s.trainer.config
    send(s, '{"type": "configure", "patch": {"optimizer_d": {"lr": -1}}}')
    err = replies(sink, "error")[-1]
    assert err["field"] == "optimizer_d.lr" and s.trainer.config == before and s.config_rev == 0


def test_draw_switches_target_forgets_the_preset_and_names_points_in_errors():
    s, sink = session(preset="some-preset")
    send(s, '{"type": "draw", "points": [[0, 1000]]}')
    assert replies(sink, "error")[-1]["field"] == "points" and s.preset == "some-preset"
    send(s, '{"type": "draw", "points": [[0, 0], [1, 1], [1, 0]]}')
    cfg = replies(sink, "config")[-1]
    assert cfg["config"]["target"]["name"] == "drawn" and cfg["preset"] is None and s.preset is None


def test_preset_replaces_the_run_and_unknown_names_are_refused():
    s, sink = session()
    first = s.trainer
    send(s, '{"type": "preset", "name": "no-such-preset"}')
    err = replies(sink, "error")[-1]
    assert err["field"] == "name" and "unknown preset" in err["message"] and s.trainer is first
    send(s, '{"type": "preset", "name": "dirac-alternating"}')
    cfg = replies(sink, "config")[-1]
    assert cfg["preset"] == "dirac-alternating" == s.preset and cfg["rebuilt"] is True
    assert s.trainer is not first and cfg["config"]["target"]["name"] == "dirac"


def test_a_change_marks_the_preset_modified_until_it_is_undone():
    # Issue 13: an edited preset must stop claiming to be that preset. The label stays (the
    # origin the page names), `modified` says the config is no longer the preset's.
    s, sink = session()
    send(s, '{"type": "preset", "name": "gaussian-1d"}')
    assert replies(sink, "config")[-1]["modified"] is False and not s.modified
    lr = s.trainer.config.optimizer_d.lr
    send(s, '{"type": "configure", "patch": {"optimizer_d": {"lr": 0.002}}}')
    cfg = replies(sink, "config")[-1]
    assert cfg["preset"] == "gaussian-1d" and cfg["modified"] is True and s.modified
    send(s, '{"type": "reset", "seed": 4}')  # another seed: the same preset still holds
    assert replies(sink, "config")[-1]["modified"] is True
    send(s, json.dumps({"type": "configure", "patch": {"optimizer_d": {"lr": lr}}}))
    assert replies(sink, "config")[-1]["modified"] is False  # back to the preset's settings
    send(s, '{"type": "reset", "seed": 9}')
    assert replies(sink, "config")[-1]["modified"] is False  # the seed is not a setting it describes
    s.attach(sink, resumed=True)
    assert replies(sink, "ready")[-1]["modified"] is False and replies(sink, "ready")[-1]["preset"] == "gaussian-1d"


def test_without_a_preset_nothing_is_modified():
    s, sink = session()
    send(s, '{"type": "configure", "patch": {"optimizer_d": {"lr": 0.002}}}')
    cfg = replies(sink, "config")[-1]
    assert cfg["preset"] is None and cfg["modified"] is False


def test_set_view_is_checked_against_the_target():
    s, sink = session({**SMALL, "target": {"name": "ring"}})
    send(s, '{"type": "set_view", "samples": 100, "grid": 16, "fps": 5}')
    assert (s.view.samples, s.view.grid, s.fps) == (100, 16, 5) and s.wants_turn
    send(s, '{"type": "set_view", "grid": 300}')  # fine for a 1D target, too fine in 2D
    err = replies(sink, "error")[-1]
    assert err["field"] == "grid" and "128" in err["message"] and s.view.grid == 16


def test_another_kind_of_target_forgets_the_preset_a_tweak_keeps_it():
    s, sink = session(preset="p")
    send(s, '{"type": "configure", "patch": {"optimizer_d": {"lr": 0.002}}}')
    assert s.preset == "p" and replies(sink, "config")[-1]["preset"] == "p"
    send(s, json.dumps({"type": "configure", "patch": {"target": {"name": "data", "dim": 1, "points": [[0.5], [1.5]],
                                                                  "source": "my.csv"}}}))
    cfg = replies(sink, "config")[-1]
    assert cfg["preset"] is None and s.preset is None and cfg["config"]["target"]["source"] == "my.csv"
    assert s.trainer.target.dim == 1 and cfg["rebuilt"] is False  # 1D to 1D: the networks go on


def test_set_view_window_moves_the_surface_and_bad_windows_name_the_field():
    s, sink = session({**SMALL, "target": {"name": "ring"}})
    send(s, '{"type": "set_view", "grid": 16, "window": [4, 12, -1, 7]}')
    assert s.view.window == (4, 12, -1, 7)
    sink.frames.clear()
    assert s.poll()
    header, arrays = sink.frames[-1]
    assert header["window"] == [4, 12, -1, 7] and header["bounds"][1] < 4  # the ring's own box is elsewhere
    assert arrays["grid_x"][0] == 4 and arrays["grid_x"][-1] == 12 and arrays["grid_y"][-1] == 7
    for bad, why in (("[0, 1, 2]", ""), ("[1, 0, 0, 1]", "at least"), ("[0, 1e9, 0, 1]", "within"),
                     ("[0, 1, 0, NaN]", "finite"), ('"all"', "")):
        try:  # the message's shape is the protocol's to check, the numbers gan_core's
            send(s, f'{{"type": "set_view", "window": {bad}}}')
            err = replies(sink, "error")[-1]
        except ProtocolError as exc:
            err = {"field": exc.field, "message": exc.message}
        assert err["field"].startswith("window") and why in err["message"], (bad, err)
        assert s.view.window == (4, 12, -1, 7)  # the good window stays
    # Another target: its first frames cover its own box until the page frames it anew.
    send(s, '{"type": "configure", "patch": {"target": {"name": "grid"}}}')
    assert s.view.window is None
    assert s.poll()
    header, _ = sink.frames[-1]
    assert header["window"] == header["bounds"]


def test_export_then_import_restores_the_run_and_stops_it():
    s, sink = session(preset="p")
    s.trainer.step(5)
    send(s, '{"type": "export", "weights": true}')
    data = replies(sink, "export")[-1]["data"]
    assert data["iteration"] == 5 and data["preset"] == "p" and len(data["history"]) == 5
    w = torch.load(io.BytesIO(base64.b64decode(data["weights"])), weights_only=True)["generator"]
    send(s, '{"type": "play"}')
    send(s, '{"type": "reset", "seed": 9}')
    send(s, json.dumps({"type": "import", "data": data}))
    cfg = replies(sink, "config")[-1]
    assert cfg["config"] == data["config"] and cfg["rebuilt"] is True and cfg["preset"] is None
    assert s.trainer.iteration == 5 and not s.running
    for k, v in w.items():
        assert torch.equal(v, s.trainer.G.state_dict()[k])


def test_a_bad_import_names_its_field_and_keeps_the_run():
    s, sink = session()
    s.trainer.step(2)
    send(s, '{"type": "import", "data": {"config": {}, "weights": "@@"}}')
    err = replies(sink, "error")[-1]
    assert err["field"] == "data.weights" and err["message"] == "data.weights: not valid base64"
    assert s.trainer.iteration == 2


def test_hello_twice_ping_and_an_internal_error_leave_the_session_alive(monkeypatch):
    s, sink = session()
    send(s, '{"type": "hello"}')
    assert replies(sink, "error")[-1]["field"] == "type"
    send(s, '{"type": "ping"}')
    assert sink.posts[-1] == {"type": "pong"}

    def broken(s, msg):
        raise RuntimeError("a bug")

    monkeypatch.setitem(handlers.HANDLERS, type(parse_message('{"type": "ping"}')), broken)
    send(s, '{"type": "ping"}')
    assert sink.posts[-1] == {"type": "error", "message": "ping: internal error (a bug)", "field": None}


def test_every_message_type_has_a_handler():
    from server.wire.protocol import MESSAGE_TYPES

    handled = {cls.model_fields["type"].annotation.__args__[0] for cls in handlers.HANDLERS}
    assert handled == set(MESSAGE_TYPES)


def test_play_until_speed_and_their_errors():
    s, sink = session()
    send(s, '{"type": "speed", "its": 30}')
    assert s.speed == 30 and sink.posts[-1]["speed"] == 30
    send(s, '{"type": "play", "until": 3}')
    assert s.running and sink.posts[-1]["until"] == 3
    send(s, '{"type": "pause"}')
    s.trainer.step(5)
    send(s, '{"type": "play", "until": 5}')  # already there: refused by name, nothing runs
    err = replies(sink, "error")[-1]
    assert err["field"] == "until" and "already at iteration 5" in err["message"] and not s.running
    send(s, '{"type": "speed", "its": null}')
    assert s.speed is None


def test_a_session_started_from_a_preset_plays_at_its_speed():
    from server.sessions import presets

    s, _ = session(presets.config("dirac-r1"), preset="dirac-r1")
    assert s.speed == 60

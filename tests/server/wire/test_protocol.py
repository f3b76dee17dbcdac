"""Client messages: every type parses; every bad shape is an error naming the field and why."""

import pytest

from server.wire.protocol import ALL_TYPES, ProtocolError, parse_message

GOOD = {
    "hello": '{"type":"hello","preset":"x","view":{"grid":32}}', "play": '{"type":"play"}',
    "pause": '{"type":"pause"}', "step": '{"type":"step","n":5,"part":"d"}', "reset": '{"type":"reset","seed":3}',
    "configure": '{"type":"configure","patch":{"optimizer_d":{"lr":0.01}}}', "preset": '{"type":"preset","name":"a"}',
    "set_view": '{"type":"set_view","fps":10,"samples":64}', "draw": '{"type":"draw","points":[[0,1],[2,3]]}',
    "export": '{"type":"export","weights":false}', "import": '{"type":"import","data":{"config":{}}}',
    "ping": '{"type":"ping"}', "seek": '{"type":"seek","iteration":812,"exact":false}',
    "branch": '{"type":"branch","patch":{"optimizer_g":{"lr":0.002}},"label":"faster G"}',
    "switch_branch": '{"type":"switch_branch","branch":0}', "speed": '{"type":"speed","its":60}',
    "sweep": '{"type":"sweep","preset":"dirac-r1","grid":["regularizers.r1=0,1"],"seeds":2,"steps":100}',
    "sweep_prepare": '{"type":"sweep_prepare"}', "sweep_cancel": '{"type":"sweep_cancel","id":"abc"}',
    "broadcast": '{"type":"broadcast","stop":true}', "fork": '{"type":"fork"}',
    "compare": '{"type":"compare","name":"x","patch":{"training":{"unroll":5}}}',
}


def test_every_message_type_parses():
    assert set(GOOD) == set(ALL_TYPES)
    for kind, text in GOOD.items():
        assert parse_message(text).type == kind


@pytest.mark.parametrize("text, field, words", [
    ("{not json", None, "not valid JSON"),
    ("[1, 2]", None, "JSON object"),
    ('{"n": 1}', "type", "missing"),
    ('{"type": "fly"}', "type", "unknown message type"),
    ('{"type": "step", "n": 0}', "n", "greater than or equal to 1"),
    ('{"type": "step", "n": 1001}', "n", "less than or equal to 1000"),
    ('{"type": "step", "n": "3"}', "n", "valid integer"),
    ('{"type": "step", "part": "x"}', "part", "'iteration', 'd' or 'g'"),
    ('{"type": "reset", "sed": 1}', "sed", "unknown field"),
    ('{"type": "configure"}', "patch", "missing"),
    ('{"type": "configure", "patch": [1]}', "patch", "should be an object"),
    ('{"type": "set_view", "fps": 500}', "fps", "less than or equal to 60"),
    ('{"type": "draw", "points": [[1, 2, 3]]}', "points.0", "at most 2"),
    ('{"type": "draw", "points": []}', "points", "at least 1"),
    ('{"type": "hello", "view": {"grid": 2}}', "view.grid", "greater than or equal to 8"),
    # The timeline's messages (docs/protocol.md): each bad field named.
    ('{"type": "seek"}', "iteration", "missing"),
    ('{"type": "seek", "iteration": -5}', "iteration", "greater than or equal to 0"),
    ('{"type": "seek", "iteration": 12.5}', "iteration", "valid integer"),
    ('{"type": "seek", "iteration": "800"}', "iteration", "valid integer"),
    ('{"type": "seek", "iteration": 8, "exact": "yes"}', "exact", "valid boolean"),
    ('{"type": "seek", "iteration": 8, "at": 3}', "at", "unknown field"),
    ('{"type": "branch", "patch": [1]}', "patch", "should be an object"),
    ('{"type": "branch", "label": ""}', "label", "at least 1 character"),
    ('{"type": "branch", "label": "' + "x" * 61 + '"}', "label", "at most 60 characters"),
    ('{"type": "switch_branch"}', "branch", "missing"),
    ('{"type": "switch_branch", "branch": -1}', "branch", "greater than or equal to 0"),
    ('{"type": "switch_branch", "branch": "original"}', "branch", "valid integer"),
    ('{"type": "sweep", "preset": "dirac-r1", "grid": []}', "grid", "at least 1"),
    ('{"type": "sweep", "preset": "dirac-r1", "grid": ["a=1", "b=1", "c=1"]}', "grid", "at most 2"),
    ('{"type": "sweep", "preset": "dirac-r1", "grid": ["a=1"], "seeds": 0}', "seeds", "greater than or equal to 1"),
    ('{"type": "sweep", "grid": ["a=1"]}', "preset", "missing"),
    ('{"type": "hello", "watch": 12345}', "watch", "valid string"),
    ('{"type": "configure", "patch": {}, "slot": "C"}', "slot", "'A' or 'B'"),
    ('{"type": "broadcast", "stop": "yes"}', "stop", "valid boolean"),
    ('{"type": "fork", "code": "x"}', "code", "unknown field"),
    ('{"type": "compare", "patch": [1]}', "patch", "should be an object"),
    ('{"type": "play", "until": 0}', "until", "greater than or equal to 1"),
    ('{"type": "play", "until": 2.5}', "until", "valid integer"),
    ('{"type": "speed"}', "its", "missing"),
    ('{"type": "speed", "its": 0}', "its", "greater than or equal to 1"),
    ('{"type": "speed", "its": 1e9}', "its", "less than or equal to 10000"),
])
def test_bad_messages_name_the_field_and_reason(text, field, words):
    with pytest.raises(ProtocolError) as exc:
        parse_message(text)
    assert exc.value.field == field
    assert words in exc.value.message


def test_play_until_and_speed_null():
    assert parse_message('{"type":"play","until":500}').until == 500
    assert parse_message('{"type":"play"}').until is None
    assert parse_message('{"type":"speed","its":null}').its is None

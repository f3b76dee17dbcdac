"""Client -> server websocket messages (docs/protocol.md): one pydantic model per `type`.

`parse_message(text)` turns one text message into a model or raises ProtocolError whose
`field` is the dotted path of the bad field (null when the whole message is bad) and whose
`message` says why. The server never evaluates anything a client sends beyond this.

Sizes are checked before anything is parsed (`check_size`): most messages are tiny, a few carry
a config or a drawing (`max_message_bytes`), an import carries weights (`max_import_bytes`). A
message larger than SMALL_MESSAGE_BYTES must name its type first (`{"type": "draw", ...`), so its
limit is known from its first bytes; parsing what passes takes bounded time (a few ms).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from gan_core.engine.config import MAX_DRAWN_POINTS
from gan_core.engine.snapshot import VIEW_LIMITS
from gan_core.science.presets import SPEED_RANGE

PROTOCOL_VERSION = 1
FPS_RANGE = (1, 60)  # frames/s a client may ask for (set_view.fps)
MAX_ITERATION = 10**9  # iterations and branch ids a message may name
# Every message but a hello/configure/branch/draw with a config or drawing, and an import, fits in this:
# a set_view is ~150 bytes, a configure of one knob ~60.
SMALL_MESSAGE_BYTES = 16 * 1024
# Up to max_message_bytes (a config or a drawing); "import" up to max_import_bytes.
BIG_TYPES = ("hello", "configure", "draw", "branch", "sweep")  # sweep: its base config may hold a drawing
_TYPE_FIRST = re.compile(r'\s*\{\s*"type"\s*:\s*"([a-z_]{1,20})"')


def _view_field(name: str) -> Any:
    """An optional message field with the bounds gan_core states for view option `name`."""
    lim = VIEW_LIMITS[name]
    return Field(None, ge=lim.lo, le=lim.hi, description=lim.description)


class ProtocolError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class _Msg(BaseModel):
    # Unknown fields are errors that name them: a typo ("sed" for "seed") must not pass silently;
    # NaN and infinities (which Python's JSON reader accepts) are errors naming the field.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ViewOptions(_Msg):
    """What frames carry and how often; absent fields keep their current value."""

    samples: int | None = _view_field("samples")
    grid: int | None = _view_field("grid")  # the 2D cap (GRID_2D_MAX) is checked against the target
    manifold: int | None = _view_field("manifold")
    gradients: bool | None = None
    optimal_d: bool | None = None
    density: bool | None = None
    metrics: bool | None = None
    fps: float | None = Field(None, ge=FPS_RANGE[0], le=FPS_RANGE[1], description="frame cap, frames/s")
    # The region the page draws, [xmin, xmax, ymin, ymax] (data units; 1D: y ignored): D's surface, D*
    # and the density curves are computed over it. gan_core checks it (finite, bounded, not empty).
    # A list of 4, not a tuple: messages are validated strictly, and strict mode takes no JSON array
    # for a tuple (the handler makes it gan_core's Window tuple).
    window: list[float] | None = Field(None, min_length=4, max_length=4, description="region the view draws")


class Hello(_Msg):
    type: Literal["hello"]
    preset: str | None = Field(None, max_length=200)
    config: dict[str, Any] | None = None
    resume: str | None = Field(None, max_length=200)
    view: ViewOptions | None = None
    watch: str | None = Field(None, max_length=40, description="a broadcast's join code: watch it, read-only")


class Play(_Msg):
    type: Literal["play"]
    # Pause when the iteration reaches this (exactly; a preset's budget). Absent: play until paused.
    until: int | None = Field(None, ge=1, le=2**31 - 1, description="iteration to pause at")


class Pause(_Msg):
    type: Literal["pause"]


class Step(_Msg):
    type: Literal["step"]
    n: int = Field(1, ge=1, le=1000)
    part: Literal["iteration", "d", "g"] = "iteration"


class Reset(_Msg):
    type: Literal["reset"]
    seed: int | None = Field(None, ge=0, le=2**31 - 1)


class Configure(_Msg):
    type: Literal["configure"]
    patch: dict[str, Any]
    # Which experiment of a comparison (A is the only one otherwise); the target and the seed are
    # shared, so a change to either applies to both.
    slot: Literal["A", "B"] = "A"


class Preset(_Msg):
    type: Literal["preset"]
    name: str = Field(max_length=200)


class SetView(ViewOptions):
    type: Literal["set_view"]


class Draw(_Msg):
    type: Literal["draw"]
    points: list[Annotated[list[float], Field(min_length=2, max_length=2)]] = Field(
        min_length=1, max_length=MAX_DRAWN_POINTS)


class Export(_Msg):
    type: Literal["export"]
    weights: bool = True


class Import(_Msg):
    type: Literal["import"]
    data: dict[str, Any]


class Ping(_Msg):
    type: Literal["ping"]


class Seek(_Msg):
    """Show the run as it was at `iteration` (docs/protocol.md, the timeline)."""

    type: Literal["seek"]
    iteration: int = Field(ge=0, le=MAX_ITERATION)
    exact: bool = True  # False: the nearest earlier checkpoint at once (dragging); True: replay to it


class Branch(_Msg):
    """A new branch of the timeline from where the run is, with `patch` applied on it."""

    type: Literal["branch"]
    patch: dict[str, Any] | None = None
    label: str | None = Field(None, min_length=1, max_length=60)


class SwitchBranch(_Msg):
    type: Literal["switch_branch"]
    branch: int = Field(ge=0, le=MAX_ITERATION)


class Speed(_Msg):
    """The session's cap on iterations per second while it plays (null: as fast as it goes)."""

    type: Literal["speed"]
    its: float | None = Field(ge=SPEED_RANGE[0], le=SPEED_RANGE[1], description="iterations/s cap, or null")


class SweepRequest(_Msg):
    """Start a stability map (docs/sweeps.md): the `toygan sweep` options, the grid items as the CLI's."""

    type: Literal["sweep"]
    # Always given (null only with config), so an old client's message without it still reads as missing.
    preset: str | None = Field(max_length=200, description="the preset the cells start from, or (with config) "
                               "the base's origin; null with config: a person's own experiment")
    config: dict[str, Any] | None = Field(None, description="the base config (the lab's current experiment), "
                                          "validated as a configure's; errors name config.<path>")
    grid: list[Annotated[str, Field(max_length=2000)]] = Field(min_length=1, max_length=2)
    seeds: int = Field(3, ge=1, le=32)
    steps: int | None = Field(None, ge=1)


class SweepPrepare(_Msg):
    """The page opened its Map panel: start the sweep workers now, so the first map does not wait for them."""

    type: Literal["sweep_prepare"]


class SweepCancel(_Msg):
    """Stop one sweep of this client (its id), or all of them (no id)."""

    type: Literal["sweep_cancel"]
    id: str | None = Field(None, max_length=64)
class Broadcast(_Msg):
    """The owner shares the session with a class (answered with its join code and link), or stops."""

    type: Literal["broadcast"]
    stop: bool = False


class Fork(_Msg):
    """A viewer takes its own session from the watched one's current state."""

    type: Literal["fork"]


class Compare(_Msg):
    """Two experiments side by side, A and B, trained in lock-step (see docs/protocol.md)."""

    type: Literal["compare"]
    name: str | None = Field(None, max_length=200, description="a built-in comparison (GET /api/comparisons)")
    patch: dict[str, Any] | None = Field(None, description="B is A's config with this patch")
    stop: bool = False


ClientMessage = Annotated[
    Hello | Play | Pause | Step | Reset | Configure | Preset | SetView | Draw | Export | Import | Ping
    | Seek | Branch | SwitchBranch | Speed | SweepRequest | SweepPrepare | SweepCancel | Broadcast | Fork | Compare,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(ClientMessage)
# Messages for the session (server.sessions.handlers has one handler each) ...
MESSAGE_TYPES = ("hello", "play", "pause", "step", "reset", "configure", "preset", "set_view", "draw",
                 "export", "import", "ping", "seek", "branch", "switch_branch", "speed", "broadcast", "fork",
                 "compare")
# ... and the sweep messages, which the web edge gives to the sweep service (server.sweeps), not the session.
SWEEP_TYPES = ("sweep", "sweep_prepare", "sweep_cancel")
ALL_TYPES = MESSAGE_TYPES + SWEEP_TYPES
# What a viewer may send once it watches: nothing that changes the teacher's experiment or its frames.
VIEWER_TYPES = ("ping", "fork")


def _first_error(exc: ValidationError) -> ProtocolError:
    err = exc.errors(include_url=False)[0]
    loc = [str(p) for p in err.get("loc", ())]
    if loc and loc[0] in ALL_TYPES:  # the union's tag, not a field of the message
        loc = loc[1:]
    field = ".".join(loc) or None
    kind, msg = err.get("type", ""), str(err.get("msg", "invalid"))
    if kind == "extra_forbidden":
        msg = "unknown field"
    elif kind == "missing":
        msg = "required field is missing"
    elif kind in ("dict_type", "model_type"):  # validated from the parsed object: say it in JSON's words
        msg = "Input should be an object"
    elif kind == "list_type":
        msg = "Input should be an array"
    return ProtocolError(f"{field}: {msg}" if field else msg, field)


def utf8_size(text: str) -> int:
    """Bytes of `text` in UTF-8, without copying it when it is ASCII (base64 weights, most JSON)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def size_limits(max_message_bytes: int, max_import_bytes: int) -> dict[str, int]:
    """The most bytes a message of each type may have."""
    limits = dict.fromkeys(ALL_TYPES, SMALL_MESSAGE_BYTES)
    limits.update(dict.fromkeys(BIG_TYPES, max_message_bytes))
    limits["import"] = max(max_import_bytes, max_message_bytes)
    return limits


def check_size(text: str, limits: dict[str, int]) -> str | None:
    """Refuse (ProtocolError) a message over its type's size before parsing it. Returns the type a
    big message names first; None for one small enough to parse whole (SMALL_MESSAGE_BYTES at
    most: check_parsed_size then holds it to its own type's limit)."""
    if len(text) <= min(limits.values()) and utf8_size(text) <= min(limits.values()):
        return None
    size = utf8_size(text)
    m = _TYPE_FIRST.match(text, 0, 200)
    if m is not None and m.group(1) in limits:
        kind = m.group(1)
        check_parsed_size(kind, size, limits)
        return kind
    if size <= SMALL_MESSAGE_BYTES:
        return None
    raise ProtocolError(f"type: a message over {SMALL_MESSAGE_BYTES} bytes must name its type first "
                        '({"type": "draw", ...})', "type")


def check_parsed_size(kind: str, size: int, limits: dict[str, int]) -> None:
    if size > limits[kind]:
        raise ProtocolError(f"message too large: a {kind} message may have at most {limits[kind]} bytes, "
                            f"this one has {size}", None)


def parse_message(text: str) -> Any:
    """One client text message -> a message model; raises ProtocolError naming the field."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ProtocolError(f"message is not valid JSON ({exc})", None) from None
    except RecursionError:  # ~1,000 nested brackets: Python's reader gives up; so do we, politely
        raise ProtocolError("message is nested too deeply to be a ToyGAN message", None) from None
    if not isinstance(data, dict):
        raise ProtocolError("message must be a JSON object with a 'type'", None)
    kind = data.get("type")
    if kind is None:
        raise ProtocolError("type: required field is missing", "type")
    if kind not in ALL_TYPES:
        raise ProtocolError(f"type: unknown message type {str(kind)[:40]!r} (known: {', '.join(ALL_TYPES)})",
                            "type")
    try:
        # Strict: "5" is not a number and 1.5 not an integer. The parsed object, not the text again:
        # one pass of parsing per message.
        return _ADAPTER.validate_python(data, strict=True)
    except ValidationError as exc:
        raise _first_error(exc) from None
    except RecursionError:
        raise ProtocolError("message is nested too deeply to be a ToyGAN message", None) from None


def error(message: str, field: str | None = None) -> dict[str, Any]:
    """The server's error reply (contract: type, message, field)."""
    return {"type": "error", "message": message, "field": field}

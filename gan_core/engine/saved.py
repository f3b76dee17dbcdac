"""A saved experiment: the JSON object the lab's `export` sends and `import` reads back.

    export_experiment(trainer, preset, weights=True) -> dict      # JSON-ready
    import_experiment(data) -> Trainer                             # ConfigError naming data.<field>
    saved_preset(data) -> str | None                               # the preset label it was saved with
    encode_weights(Trainer.state_dict()) -> str                    # base64 of torch.save
    decode_weights(text, config) -> dict                           # for Trainer.load_state_dict

    {"format": "toygan-experiment", "version": 3, "schema_version": 3, "config": {...}, "iteration": N,
     "preset": NAME | null, "history": [loss points], "metrics": [metric points], "weights"?: base64}

`history` and `metrics` are the run's thinned curves (gan_core.engine.timeline: its branch from the
start of the run, at most HISTORY_POINTS each); `weights` hold everything the run needs to go on bit
for bit: networks, optimizers (their learning rates after an lr drop too), the RNG, the
historical-averaging means and the last losses. An import restores all of it, and its timeline
starts at the saved iteration with the saved curves before it.

Versions (`migrate` reads every older one): 1 had a config of schema 1 (flat sections, read
through gan_core.engine.config.upgrade_config); 2 a config of schema 2 (kinds as unions); 3 (this
one) adds `metrics`, the historical averages and last losses inside `weights`, and `schema_version`,
the config's schema version, on its own (before, `version` was both). From versions 1 and 2 there
is no metric curve, and the historical averages (when that penalty is on) restart from the saved
weights. A payload without `version` is read as version 1; a newer version, or one that is not a
known integer, is refused with an error naming `data.version`.

Bytes in, bytes out: no files, no sockets. Loading never runs code from the payload
(`torch.load(weights_only=True)`), and every refusal is a ConfigError whose field is the
payload's path (`data.config.<path>`, `data.weights`, `data.history`, ...), so a bad file costs an
error message. Nothing is loaded before the file's declared sizes are checked against its config
(`check_archive`): torch.save writes its zip entries uncompressed, so an entry that is compressed,
or more bytes in all than the config's networks and optimizers hold, is refused before a byte is
inflated (a 1.4 MB payload of re-compressed zeros used to allocate ~1 GiB).
"""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
from typing import Any

import torch

from gan_core.engine import cost
from gan_core.engine.config import SCHEMA_VERSION, ConfigError, ExperimentConfig, parse_config
from gan_core.engine.history import thin
from gan_core.engine.trainer import Trainer

FORMAT = "toygan-experiment"
VERSION = 3
OLDEST_VERSION = 1
# The config schema of the formats before `schema_version` travelled on its own (their version).
SCHEMA_OF_VERSION = {1: 1, 2: 2}
HISTORY_POINTS = 2000  # loss and metric points an export carries, each (thinned evenly): ~200 KB of JSON
POINT_KEYS = 40  # values per history point at most (a loss point has ~9, a metric point ~12)
PRESET_CHARS = 200
# What Trainer.state_dict() holds besides the config (which travels as `config`, beside the weights).
STATE_KEYS = frozenset({"generator", "discriminator", "optimizer_g", "optimizer_d", "rng", "iteration"})
# What a weights file holds beside the tensors of its config: the pickle, the RNG state (~5 KB),
# step counters, zip headers. Generous: a file is refused only when it is clearly not this config's.
ARCHIVE_SLACK_BYTES = 1024 * 1024


def export_experiment(trainer: Trainer, preset: str | None = None, weights: bool = True) -> dict[str, Any]:
    """The trainer's experiment as a JSON-ready dict; `weights`: also everything to go on bit for bit."""
    # The curves up to where the run is (after a seek back, the branch's later points are not this state's).
    at = trainer.iteration
    losses, metrics = ([p for p in points if p["iteration"] <= at] for points in trainer.timeline.lineage())
    data: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "schema_version": SCHEMA_VERSION,
        "config": trainer.config.model_dump(mode="json"),
        "iteration": trainer.iteration, "preset": preset, "history": thin(losses, HISTORY_POINTS),
        "metrics": thin(metrics, HISTORY_POINTS),
    }
    if weights:
        data["weights"] = encode_weights(trainer.state_dict())
    return data


def import_experiment(data: dict[str, Any]) -> Trainer:
    """A new Trainer for a saved experiment: its config, its weights when it has them, and its curves."""
    data = migrate(data)
    config = read_config(data)
    losses, metrics = read_points(data, "history"), read_points(data, "metrics")
    trainer = Trainer(config)
    weights = data.get("weights")
    if weights is not None:
        state = decode_weights(weights, config)
        try:
            trainer.load_state_dict(state)
        except Exception as exc:  # shapes that do not fit the config's networks, a corrupt RNG state
            raise ConfigError(f"data.weights: do not fit data.config ({_first_line(exc)})", "data.weights") from None
    # The curves that led to the saved iteration (without weights the run starts again: none did).
    at = trainer.iteration
    trainer.restart_timeline([p for p in losses if p["iteration"] <= at] if at else [],
                             [p for p in metrics if p["iteration"] <= at] if at else [])
    return trainer


def saved_preset(data: dict[str, Any]) -> str | None:
    """The preset label the experiment was saved with (null when none); errors name `data.preset`."""
    preset = data.get("preset")
    if preset is not None and (not isinstance(preset, str) or len(preset) > PRESET_CHARS):
        raise ConfigError(f"data.preset: must be a preset name (a string of at most {PRESET_CHARS} characters) "
                          "or null", "data.preset")
    return preset


def migrate(data: Any) -> dict[str, Any]:
    """The payload in this version's layout; errors name `data.format` or `data.version`."""
    if not isinstance(data, dict):
        raise ConfigError("data: a saved experiment is a JSON object", "data")
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise ConfigError(f"data.format: not a ToyGAN Lab experiment (format {str(fmt)[:40]!r}, "
                          f"expected {FORMAT!r})", "data.format")
    version = data.get("version", OLDEST_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < OLDEST_VERSION:
        raise ConfigError(f"data.version: unknown format version {str(version)[:20]!r} (this ToyGAN Lab "
                          f"reads versions {OLDEST_VERSION} to {VERSION})", "data.version")
    if version > VERSION:
        raise ConfigError(f"data.version: saved by a newer ToyGAN Lab (format version {version}); this one "
                          f"reads versions {OLDEST_VERSION} to {VERSION}: update ToyGAN Lab to open it",
                          "data.version")
    if version in SCHEMA_OF_VERSION:  # version 3 added the metric curve (and more state inside `weights`)
        return {**data, "version": VERSION, "schema_version": SCHEMA_OF_VERSION[version], "metrics": []}
    schema = data.get("schema_version", SCHEMA_VERSION)
    if isinstance(schema, bool) or not isinstance(schema, int) or not 1 <= schema <= SCHEMA_VERSION:
        raise ConfigError(f"data.schema_version: its config is of config schema {repr(schema)[:20]}; this "
                          f"ToyGAN Lab reads config schemas 1 to {SCHEMA_VERSION}", "data.schema_version")
    return data


def read_points(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """`data[key]` (history or metrics): a list of {"iteration": int, name: number | null}, iterations
    rising; thinned to HISTORY_POINTS. Errors name `data.<key>`."""
    points = data.get(key, [])
    field = f"data.{key}"
    if not isinstance(points, list):
        raise ConfigError(f"{field}: must be a list of points", field)
    out: list[dict[str, Any]] = []
    for i, p in enumerate(points):
        it = p.get("iteration") if isinstance(p, dict) else None
        if isinstance(it, bool) or not isinstance(it, int) or it < 0 or len(p) > POINT_KEYS:
            raise ConfigError(f"{field}[{i}]: must be an object with an integer iteration >= 0 and at most "
                              f"{POINT_KEYS} values", f"{field}.{i}")
        if out and it <= out[-1]["iteration"]:
            raise ConfigError(f"{field}[{i}]: iterations must rise (iteration {it} after {out[-1]['iteration']})",
                              f"{field}.{i}")
        bad = [k for k, v in p.items() if k != "iteration" and (
            len(k) > 40 or (v is not None and (isinstance(v, bool) or not isinstance(v, int | float))))]
        if bad:
            raise ConfigError(f"{field}[{i}]: {str(bad[0])[:40]!r} must be a number or null", f"{field}.{i}")
        out.append(dict(p))
    return thin(out, HISTORY_POINTS)


def read_config(data: dict[str, Any]) -> ExperimentConfig:
    """The payload's config, validated (upgraded from the payload's `schema_version`; none: that of
    its `version`, see migrate); errors name `data.config.<path>`."""
    if not isinstance(data.get("config"), dict):
        raise ConfigError("data.config: an export needs its config object", "data.config")
    schema = data.get("schema_version", SCHEMA_VERSION)  # migrate() put it there for older versions
    try:
        return parse_config(data["config"], version=schema)
    except ConfigError as exc:
        raise ConfigError(f"data.config: {exc.message}",
                          f"data.config.{exc.field}" if exc.field else "data.config") from None


def encode_weights(state: dict[str, Any]) -> str:
    """base64 (ASCII) of torch.save of a Trainer.state_dict()."""
    buf = io.BytesIO()
    torch.save(state, buf)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def decode_weights(text: Any, config: ExperimentConfig) -> dict[str, Any]:
    """The state dict in `text` (encode_weights' output), with `config` beside it, ready for
    Trainer.load_state_dict; errors name `data.weights`."""
    if not isinstance(text, str):
        raise ConfigError("data.weights: must be a base64 string", "data.weights")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("data.weights: not valid base64", "data.weights") from None
    check_archive(raw, config)
    try:
        # weights_only: tensors and plain containers only; a pickle that would run code is refused.
        state = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ConfigError(f"data.weights: not a ToyGAN weights file ({_first_line(exc)})", "data.weights") from None
    if not isinstance(state, dict) or not STATE_KEYS <= state.keys():
        missing = sorted(STATE_KEYS - set(state) if isinstance(state, dict) else STATE_KEYS)
        raise ConfigError(f"data.weights: missing {missing}", "data.weights")
    return {**state, "config": config.model_dump()}  # the config travels beside the weights


def check_archive(raw: bytes, config: ExperimentConfig) -> None:
    """Refuse a weights file whose zip entries are compressed, or declare more bytes than the
    config's networks and optimizers can hold, before anything is inflated or loaded."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            entries = z.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise ConfigError("data.weights: not a ToyGAN weights file (not a torch.save archive)", "data.weights") from None
    packed = [e.filename for e in entries if e.compress_type != zipfile.ZIP_STORED or e.file_size != e.compress_size]
    if packed:
        raise ConfigError(f"data.weights: compressed entries ({packed[0]}{' ...' if len(packed) > 1 else ''}); "
                          "torch.save stores its tensors uncompressed", "data.weights")
    declared, limit = sum(e.file_size for e in entries), cost.file_bytes(cost.workload(config)) + ARCHIVE_SLACK_BYTES
    if declared > limit:
        raise ConfigError(f"data.weights: {declared} bytes declared, more than data.config's networks and optimizers "
                          f"hold ({limit} at most)", "data.weights")


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]

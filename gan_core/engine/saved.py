"""A saved experiment: the JSON object the lab's `export` sends and `import` reads back.

    export_experiment(trainer, preset, weights=True) -> dict      # JSON-ready
    import_experiment(data) -> Trainer                             # ConfigError naming data.<field>
    encode_weights(Trainer.state_dict()) -> str                    # base64 of torch.save
    decode_weights(text, config) -> dict                           # for Trainer.load_state_dict

    {"format": "toygan-experiment", "version": 2, "config": {...}, "iteration": N,
     "preset": NAME | null, "history": [<= 2000 points, thinned], "weights"?: base64}

`version` is the schema version of `config` (gan_core.engine.config.SCHEMA_VERSION): a version 1
export (flat config sections: a ring target carrying means, stds, low, high...) is read through
upgrade_config, which keeps what applies to each kind and drops the rest.

Bytes in, bytes out: no files, no sockets. Loading never runs code from the payload
(`torch.load(weights_only=True)`), and every refusal is a ConfigError whose field is the
payload's path (`data.config.<path>`, `data.weights`), so a bad file costs an error message.
Nothing is loaded before the file's declared sizes are checked against its config
(`check_archive`): torch.save writes its zip entries uncompressed, so an entry that is compressed,
or more bytes in all than the config's networks and optimizers hold, is refused before a byte is
inflated (a 1.4 MB payload of re-compressed zeros used to allocate ~1 GiB).

Each step has its own function, so what later formats need goes in one place: the config of an
older `version` is upgraded in `read_config`, the declared tensor sizes checked against the config in
`decode_weights` between the base64 decoding and `torch.load`, and more of the payload (history,
preset label) restored next to the weights in `import_experiment`.
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
VERSION = SCHEMA_VERSION  # an export's version is its config's schema version
HISTORY_POINTS = 2000  # loss/metric points an export carries (thinned evenly): ~200 KB of JSON
# What Trainer.state_dict() holds besides the config (which travels as `config`, beside the weights).
STATE_KEYS = frozenset({"generator", "discriminator", "optimizer_g", "optimizer_d", "rng", "iteration"})
# What a weights file holds beside the tensors of its config: the pickle, the RNG state (~5 KB),
# step counters, zip headers. Generous: a file is refused only when it is clearly not this config's.
ARCHIVE_SLACK_BYTES = 1024 * 1024


def export_experiment(trainer: Trainer, preset: str | None = None, weights: bool = True) -> dict[str, Any]:
    """The trainer's experiment as a JSON-ready dict; `weights`: also networks, optimizers and RNG."""
    data: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "config": trainer.config.model_dump(mode="json"),
        "iteration": trainer.iteration, "preset": preset, "history": thin(trainer.history, HISTORY_POINTS),
    }
    if weights:
        data["weights"] = encode_weights(trainer.state_dict())
    return data


def import_experiment(data: dict[str, Any]) -> Trainer:
    """A new Trainer for a saved experiment: its config, and its weights when it has them."""
    config = read_config(data)
    trainer = Trainer(config)
    weights = data.get("weights")
    if weights is not None:
        state = decode_weights(weights, config)
        try:
            trainer.load_state_dict(state)
        except Exception as exc:  # shapes that do not fit the config's networks, a corrupt RNG state
            raise ConfigError(f"data.weights: do not fit data.config ({_first_line(exc)})", "data.weights") from None
    return trainer


def read_config(data: dict[str, Any]) -> ExperimentConfig:
    """The payload's config, validated (upgraded from the payload's `version`; none: 1); errors name
    `data.config.<path>`."""
    if not isinstance(data.get("config"), dict):
        raise ConfigError("data.config: an export needs its config object", "data.config")
    try:
        return parse_config(data["config"], version=data.get("version", 1))
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

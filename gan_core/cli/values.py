"""Values typed on a command line: `--set a.b=VALUE` patches and JSON config files (any schema version)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from gan_core.engine.config import (
    ConfigError,
    ExperimentConfig,
    deep_merge,
    dotted_patch,
    parse_config,
    upgrade_config,
)

# What a config file that does not say its "schema_version" is read as. Version 1 rules change
# nothing in a valid current config; they drop what does not apply to its kind (the flat v1 dumps
# of `toygan run --json` and the page's config export carry every kind's fields).
UNVERSIONED_FILE = 1


def add_base_arguments(p: argparse.ArgumentParser, starts: str) -> None:
    """--preset | --config (one required) and --set, as `toygan run` and `toygan sweep` take them;
    `starts`: what starts from the config, for the help ("the run", "every cell")."""
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--preset", help=f"the preset {starts} starts from (see `toygan presets`)")
    src.add_argument("--config", help=f"an ExperimentConfig as a JSON file {starts} starts from instead (the page's "
                     "Config download or a saved experiment; missing keys take defaults; files from older "
                     "versions of the lab are read too)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field of that config by dotted path, e.g. optimizer_d.lr=1e-4 (value parsed "
                   "as JSON when it can be, else taken as a string); repeatable")


def parse_value(text: str) -> Any:
    """JSON when it parses (numbers, true/false/null, lists, objects, quoted strings), else the raw string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def set_patch(assignments: list[str]) -> dict[str, Any]:
    """["a.b=1", "c=x"] -> {"a": {"b": 1}, "c": "x"}; raises ConfigError for a malformed item."""
    patch: dict[str, Any] = {}
    for item in assignments:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"--set: expected KEY=VALUE, got {item!r}", None)
        patch = deep_merge(patch, dotted_patch(key.strip(), parse_value(value)))
    return patch


def read_config_file(path: str) -> dict[str, Any]:
    """The JSON object in file `path`; ConfigError (field "config") when it cannot be read."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}", "config") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid JSON ({exc})", "config") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object", "config")
    return data


def config_file(path: str) -> tuple[ExperimentConfig, list[str]]:
    """The config in JSON file `path`, and the dotted fields left out because they do not apply to
    their section's kind (a file written for schema version 1; see UNVERSIONED_FILE). ConfigError
    naming the field when it does not validate."""
    data = read_config_file(path)
    data, dropped = upgrade_config(data, data.pop("schema_version", UNVERSIONED_FILE))
    return parse_config(data), dropped

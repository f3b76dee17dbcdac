"""Values typed on a command line: `--set a.b=VALUE` patches and JSON config files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gan_core.engine.config import ConfigError, deep_merge, dotted_patch


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

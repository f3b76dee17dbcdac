"""The `toygan` console script: `serve` runs the lab; `run`, `presets`, `claims`, `reproduce` and `sweep` go to
gan_core.cli.

`serve` has one flag per field of server.settings.Settings, made from the field (type, help from
its description, default), and the README's Configuration table is made by `settings_table()`
from the same fields (a test checks the README against it).
"""

from __future__ import annotations

import argparse
import logging
import sys
import typing
from typing import Any

HEADLESS = ("run", "presets", "claims", "reproduce", "sweep")

# The flags spelled otherwise than `--` + the field's name with dashes, as they always were (scripts
# and docs use them): three in seconds without the unit, and one origin per (repeated) flag.
FLAG_NAMES = {"idle_pause_s": "--idle-pause", "idle_timeout_s": "--idle-timeout",
              "resume_grace_s": "--resume-grace", "allowed_origins": "--allowed-origin"}


def flag(name: str) -> str:
    """The `serve` flag of Settings field `name`."""
    return FLAG_NAMES.get(name) or "--" + name.replace("_", "-")


def env_var(name: str) -> str:
    from server.settings import Settings

    return Settings.model_config["env_prefix"] + name.upper()


def default_text(field: Any) -> str:
    """A field's default as the docs say it: in words when computed (doc_default), else the value."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if "doc_default" in extra:
        return str(extra["doc_default"])
    value = field.default
    return f"`{int(value) if isinstance(value, float) and value.is_integer() else value}`"


def arg_kind(name: str, annotation: Any) -> dict[str, Any]:
    """argparse keywords for a field's type: a list repeats its flag; numbers and text parse as such."""
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        return {"action": "append", "type": item}
    if annotation is bool:
        return {"action": argparse.BooleanOptionalAction}
    if annotation in (int, float, str):
        return {"type": annotation}
    raise TypeError(f"Settings.{name}: no `serve` flag for type {annotation!r}; add one in server/cli.py")


def serve_parser() -> argparse.ArgumentParser:
    from server.settings import Settings

    p = argparse.ArgumentParser(prog="toygan serve", description="Start the ToyGAN Lab web server (one "
                                "uvicorn worker). Every flag has an environment variable too.")
    for name, field in Settings.model_fields.items():
        text = f"{field.description} (default: {default_text(field).strip('`')}; env {env_var(name)})"
        p.add_argument(flag(name), dest=name, metavar=flag(name)[2:].replace("-", "_").upper(),
                       help=text.replace("%", "%%"), **arg_kind(name, field.annotation))
    return p


def settings_table() -> str:
    """The README's Configuration table: one row per setting, from the same fields as the flags."""
    from server.settings import Settings

    rows = ["| setting | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        rows.append(f"| `{flag(name)}` / `{env_var(name)}` | {default_text(field)} | {field.description} |")
    return "\n".join(rows) + "\n"


def serve(argv: list[str]) -> int:
    import uvicorn
    from pydantic import ValidationError

    from server.app import create_app
    from server.sessions.budget import ws_max_size
    from server.settings import Settings
    from server.web.protocols import http_protocol, ws_protocol

    args = serve_parser().parse_args(argv)
    overrides = {k: v for k, v in vars(args).items() if v is not None}
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        name = str(err["loc"][0]) if err.get("loc") else "settings"
        sys.stderr.write(f"toygan serve: error: {flag(name)}: {err['msg']}\n")
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # No permessage-deflate: frames are float32 arrays that barely compress, and deflating ~30 KB
    # per frame costs the server (and every browser) CPU that 30 shared seats need for frames.
    # The protocols add the deadlines that shed slow clients (server/web/protocols.py).
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, workers=1,
                http=http_protocol(settings.header_timeout_s), ws=ws_protocol(settings.send_stall_s),
                timeout_keep_alive=settings.keep_alive_s, ws_max_size=ws_max_size(settings),
                ws_per_message_deflate=False, log_level=settings.log_level.lower())
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in HEADLESS:
        from gan_core.cli import main as headless

        return headless(argv)
    if argv and argv[0] == "serve":
        return serve(argv[1:])
    sys.stderr.write("usage: toygan serve [--host H] [--port P] ... | toygan run ... | toygan presets\n"
                     "  serve    start the lab in the browser (toygan serve --help)\n"
                     "  run      train headless (toygan run --help)\n"
                     "  presets  list the presets\n")
    return 0 if argv and argv[0] in ("-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main())

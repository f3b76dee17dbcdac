"""The `toygan` console script: `serve` runs the lab; `run`, `presets`, `claims` and `reproduce` go to gan_core.cli."""

from __future__ import annotations

import argparse
import logging
import sys

HEADLESS = ("run", "presets", "claims", "reproduce")


def _serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="toygan serve", description="Start the ToyGAN Lab web server (one worker).")
    p.add_argument("--host", help="interface (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, help="TCP port (default 8000)")
    p.add_argument("--max-sessions", type=int, help="concurrent sessions (default 16 per core)")
    p.add_argument("--threads", type=int, help="torch threads (default 1)")
    p.add_argument("--workers", type=int, help="compute processes (default: one per core; 0: in-process)")
    p.add_argument("--shared-fps", type=float, help="frames/s every session keeps under load (default 12)")
    p.add_argument("--surface-fps", type=float, help="fresh D surfaces per second at most; frames between "
                   "carry the last (default 15)")
    p.add_argument("--idle-pause", type=float, dest="idle_pause_s", help="seconds without input before pausing")
    p.add_argument("--idle-timeout", type=float, dest="idle_timeout_s", help="seconds without input before ending")
    p.add_argument("--resume-grace", type=float, dest="resume_grace_s", help="seconds a dropped session waits")
    p.add_argument("--allowed-origin", action="append", dest="allowed_origins",
                   help="a browser Origin allowed on /ws (repeatable; '*' for any; default: same host)")
    p.add_argument("--max-message-bytes", type=int, help="largest client message")
    p.add_argument("--log-level", help="debug | info | warning | error")
    return p


def serve(argv: list[str]) -> int:
    import uvicorn
    from pydantic import ValidationError

    from server.app import create_app
    from server.settings import Settings

    args = _serve_parser().parse_args(argv)
    overrides = {k: v for k, v in vars(args).items() if v is not None}
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        name = str(err["loc"][0]) if err.get("loc") else "settings"
        field = "--" + name.removesuffix("_s").replace("_", "-")
        sys.stderr.write(f"toygan serve: error: {field}: {err['msg']}\n")
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # No permessage-deflate: frames are float32 arrays that barely compress, and deflating ~30 KB
    # per frame costs the server (and every browser) CPU that 30 shared seats need for frames.
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, workers=1,
                ws_max_size=settings.ws_max_size, ws_per_message_deflate=False,
                log_level=settings.log_level.lower())
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

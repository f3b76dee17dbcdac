"""The `toygan` headless parser: one subcommand per module of gan_core.cli, one error path."""

from __future__ import annotations

import argparse
import sys

from gan_core.cli import run, sweep
from gan_core.engine.config import ConfigError
from gan_core.science import claims, study
from gan_core.science.presets import list_presets

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() reports one line and returns 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(message, None)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="toygan", description="ToyGAN Lab: headless training runs.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run.add_arguments(sub.add_parser("run", help="train headless and print progress (and a JSON summary)"))
    sub.add_parser("presets", help="list the presets, one line each")
    claims.add_arguments(sub.add_parser(
        "claims", help="measure the presets' claims over seeds: pass rates and every seed's value"))
    study.add_arguments(sub.add_parser(
        "reproduce", help="the mode-coverage study: ring and grid x vanilla, unrolled, WGAN-GP x seeds "
        "(docs/results.md)"))
    sweep.add_arguments(sub.add_parser(
        "sweep", help="a stability map: one or two settings x seeds, every run classified (docs/sweeps.md)"))
    return p


def list_presets_lines() -> list[str]:
    """One line per preset: name, its title and the suggested headless steps."""
    return [f"{p.name:<24} {p.title} ({p.steps} steps)" for p in list_presets()]


def main(argv: list[str] | None = None) -> int:
    """Entry point for `toygan run|presets|claims|reproduce|sweep` and `python -m gan_core`; the exit code."""
    try:
        args = parser().parse_args(argv)
        if args.command == "presets":
            print("\n".join(list_presets_lines()))
            return 0
        if args.command == "claims":
            return claims.command(args)
        if args.command == "reproduce":
            study.study(study.options(args))
            return 0
        if args.command == "sweep":
            return sweep.command(args)
        return run.command(args)
    except ConfigError as exc:
        where = f"{exc.field}: " if exc.field and not exc.message.startswith(exc.field + ":") else ""
        print(f"toygan: error: {where}{exc.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except BrokenPipeError:  # `toygan run ... | head`: the reader left; not an error worth a traceback
        return 0

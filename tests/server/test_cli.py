"""The console script: subcommands are routed; `serve` has one flag per setting, made from the
Settings fields, with today's spellings; the README's Configuration table is made from them too."""

import pathlib
import re

import pytest

from server import cli
from server.cli import flag, main, serve_parser, settings_table
from server.settings import Settings

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def test_cli_routes_and_rejects_bad_settings(capsys):
    assert main(["serve", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err
    assert main(["serve", "--surface-fps", "0"]) == 2  # the flag reaches Settings and its bound
    assert "--surface-fps" in capsys.readouterr().err
    assert main(["serve", "--idle-pause", "-1"]) == 2  # the error names the flag, not the field
    assert "--idle-pause: " in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert main(["frobnicate"]) == 2
    assert main(["run", "--config", "/no/such/file.json"]) == 2  # gan_core.cli's one-line error
    assert "cannot read" in capsys.readouterr().err


def test_every_setting_has_a_flag_that_sets_it():
    p = serve_parser()
    for name, field in Settings.model_fields.items():
        value = {int: "7", float: "0.25", str: "x"}.get(field.annotation, "a")
        got = vars(p.parse_args([flag(name), value, flag(name), value]))[name]
        assert got == ([value] * 2 if name == "allowed_origins" else field.annotation(value)), name
    assert p.parse_args([]).__dict__ == dict.fromkeys(Settings.model_fields)  # unset: Settings decides


def test_todays_flag_spellings_are_kept_and_compute_slots_is_gone(capsys):
    args = serve_parser().parse_args(["--idle-pause", "5", "--idle-timeout", "9", "--resume-grace", "3",
                                      "--allowed-origin", "http://a", "--allowed-origin", "*", "--workers", "0",
                                      "--max-message-bytes", "4096", "--surface-fps", "2", "--shared-fps", "6",
                                      "--max-sessions", "4", "--threads", "1", "--host", "0.0.0.0", "--port", "1",
                                      "--log-level", "debug"])
    st = Settings(**{k: v for k, v in vars(args).items() if v is not None})
    assert (st.idle_pause_s, st.idle_timeout_s, st.resume_grace_s) == (5.0, 9.0, 3.0)
    assert st.allowed_origins == ["http://a", "*"] and st.workers == 0 and st.max_message_bytes == 4096
    with pytest.raises(SystemExit):
        serve_parser().parse_args(["--compute-slots", "2"])  # one host loop: the setting means nothing now
    assert "unrecognized arguments: --compute-slots" in capsys.readouterr().err


def test_a_setting_of_a_type_without_a_flag_fails_loudly():
    with pytest.raises(TypeError, match="Settings.weights: no `serve` flag"):
        cli.arg_kind("weights", dict[str, float])


def test_the_readme_configuration_table_is_made_from_the_settings():
    text = README.read_text()
    found = re.search(r"^\| setting \| default \| meaning \|\n(?:^\|.*\|\n)+", text, re.M)
    assert found, "README.md has no Configuration table"
    assert found.group(0) == settings_table(), (
        "README.md's Configuration table is out of date; replace it with server.cli.settings_table():\n"
        + settings_table())

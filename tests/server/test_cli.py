"""The console script routes its subcommands; `serve` flags reach Settings and its bounds."""

from server.cli import main


def test_cli_routes_and_rejects_bad_settings(capsys):
    assert main(["serve", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err
    assert main(["serve", "--surface-fps", "0"]) == 2  # the flag reaches Settings and its bound
    assert "--surface-fps" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert main(["frobnicate"]) == 2
    assert main(["run", "--config", "/no/such/file.json"]) == 2  # gan_core.cli's one-line error
    assert "cannot read" in capsys.readouterr().err

"""`toygan reproduce` on the command line: bad options exit 2 with one line naming the option, and
nothing runs; `python -m gan_core reproduce` is the same command."""

import pytest

from gan_core import cli


@pytest.mark.parametrize(("argv", "option"), [
    (["--seeds", "0"], "--seeds"),
    (["--only", "vanilla,bogus"], "--only"),
    (["--steps-scale", "0"], "--steps-scale"),
    (["--jobs", "0"], "--jobs"),
    (["--steps", "-3"], "--steps"),
    (["--seeds", "two"], "--seeds"),
])


def test_bad_options_exit_2_naming_the_option(capsys, tmp_path, argv, option):
    rc = cli.main(["reproduce", *argv, "--out", str(tmp_path / "o")])
    out, err = capsys.readouterr()
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("toygan: error:") and option in lines[0]
    assert not (tmp_path / "o").exists()  # nothing ran, nothing written


def test_python_m_spelling_is_the_same_command(capsys):
    assert cli.main(["reproduce", "--only", "nope"]) == 2
    assert "--only" in capsys.readouterr().err

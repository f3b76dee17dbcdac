"""The project installs as `toygan`, and a built wheel carries the frontend (not only the source tree)."""

import pathlib
import re
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    first_block = re.search(r"```(?:sh|bash)?\n(.*?)```", text, re.S)
    assert first_block and text.index("```") < 400, "README must open with its two commands"
    commands = [ln.split("#")[0].strip() for ln in first_block.group(1).splitlines() if ln.strip()]
    assert commands == ["make run", "make test"]
    make = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", make, re.M) and re.search(r"^test:", make, re.M)
    # `make test` runs the whole suite (no marker filter), browser tests included.
    test_recipe = make.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "pytest" in test_recipe and not re.search(r"pytest.* -m ", test_recipe)


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert commands[-1] == "make test"
    assert "set -euo pipefail" in ci and "chromium" in ci


@pytest.mark.slow
def test_wheel_contains_engine_server_and_frontend(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    wheel = next(tmp_path.glob("toygan-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"gan_core/engine/config.py", "server/app.py", "server/web/ws.py", "server/sessions/host.py",
            "server/wire/frames.py"} <= names
    assert "server/_frontend/index.html" in names, sorted(n for n in names if "front" in n)[:20]
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "toygan = server.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()

"""Every command README.md shows works as written right after `make run`: `toygan` is called by
its path in .venv/bin (nothing assumes an activated venv), every make target exists, every file a
command names is in the repository, every `toygan` line parses; `make run` installs the lab
without the test tools; and the README points at no file outside the repository."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()
PREFIXES = ("make ", ".venv/bin/", "docker ", "podman ")


def shell_lines() -> list[str]:
    out = []
    for block in re.findall(r"```(?:sh|bash)\n(.*?)```", README, re.S):
        # A line ending in a backslash continues on the next one (the sweep examples).
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def make_targets() -> set[str]:
    return set(re.findall(r"^([\w-]+):", MAKEFILE, re.M))


def recipe_chain(target: str, seen: set[str] | None = None) -> str:
    """The recipes `make target` runs, its prerequisites' included (file targets as the Makefile names them)."""
    seen = seen if seen is not None else set()
    if target in seen:
        return ""
    seen.add(target)
    m = re.search(rf"^{re.escape(target)}:([^\n]*)\n((?:\t[^\n]*\n)*)", MAKEFILE, re.M)
    if not m:
        return ""
    prereqs = m.group(1).replace("|", " ").split()
    return m.group(2) + "".join(recipe_chain(p, seen) for p in prereqs)


def test_the_readme_points_at_nothing_outside_the_repository():
    # No pointer outside the repository (a clone has no design folder beside it).
    assert "shared/" not in README and "DESIGN.md" not in README
    assert "docs/architecture.md" in README and (ROOT / "docs" / "architecture.md").is_file()
    for link in re.findall(r"\]\(([^)#]+)\)", README):
        if not link.startswith("http"):
            assert (ROOT / link).exists(), link


def test_every_command_is_runnable_as_written():
    lines = shell_lines()
    assert len(lines) >= 15
    for line in lines:
        assert line.startswith(PREFIXES), f"not runnable as written after `make run`: {line!r}"
        assert "[" not in line.split("ARGS=")[0], f"placeholder brackets are not a command: {line!r}"
        words = shlex.split(line)
        if words[0] == "make":
            for target in (w for w in words[1:] if "=" not in w):
                assert target in make_targets(), f"make has no target {target!r}: {line!r}"
        for w in words[1:]:
            if re.fullmatch(r"[\w./-]+\.(json|py|md)", w) and not w.startswith("out"):
                assert (ROOT / w).exists(), f"{line!r} names {w}, which the repository does not have"


def test_make_run_installs_the_lab_without_the_test_tools():
    run = recipe_chain("run")
    assert "pip install torch==2.13.0" in run and "pip install -e ." in run
    assert "[test]" not in run, "make run must not install the test tools"
    assert "[test]" in recipe_chain("test") and "[test]" in recipe_chain("lint")
    for target in ("presets", "reproduce", "claims", "bench"):
        assert "[test]" not in recipe_chain(target), target


def test_every_toygan_line_parses_and_the_example_config_trains():
    from gan_core.cli.main import parser
    from server.cli import serve_parser

    toygan = [shlex.split(ln)[1:] for ln in shell_lines() if ln.startswith(".venv/bin/toygan ")]
    assert {args[0] for args in toygan} >= {"serve", "presets", "run"}
    for args in toygan:
        if args[0] == "serve":
            serve_parser().parse_args(args[1:])
        else:
            parser().parse_args(args)
    # The --config example really runs (a few steps instead of its default budget).
    line = next(a for a in toygan if "--config" in a)
    out = subprocess.run([sys.executable, "-m", "gan_core", *line, "--steps", "2", "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert '"wgan-gp"' in out.stdout.splitlines()[-1]


@pytest.mark.parametrize("target", ["presets", "reproduce", "claims", "bench", "bench-server", "bench-render"])
def test_the_make_targets_the_readme_shows_call_existing_things(target):
    chain = recipe_chain(target)
    for script in re.findall(r"(bench/\w+\.py)", chain):
        assert (ROOT / script).is_file(), script
    assert "$(BIN)/" in chain

"""`toygan sweep`: the CLI contract (--json's last line), the report, bad input refused before
anything runs (one line, exit 2), and Ctrl-C cancelling the runs (exit 130)."""

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from gan_core import cli

ROOT = Path(__file__).resolve().parents[3]
DIRAC = ["sweep", "--preset", "dirac-r1", "--grid", "regularizers.r1=0,1", "--grid",
         "training.update=alternating,simultaneous", "--seeds", "2", "--steps", "300", "--jobs", "2"]


def run_cli(capsys, *argv):
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_contract_text_map_and_report(capsys, tmp_path):
    report = tmp_path / "map.html"
    rc, out, err = run_cli(capsys, *DIRAC, "--json", "--report", str(report))
    assert rc == 0, err
    lines = out.strip().splitlines()
    res = json.loads(lines[-1])
    assert {"preset", "steps", "seeds", "backend", "seconds", "axes", "cells"} <= set(res)
    assert (res["preset"], res["steps"], res["seeds"], res["backend"]) == ("dirac-r1", 300, 2, "local")
    assert res["seconds"] > 0 and res["cancelled"] is False
    assert res["axes"] == [{"path": "regularizers.r1", "values": [0, 1]},
                           {"path": "training.update", "values": ["alternating", "simultaneous"]}]
    assert len(res["cells"]) == 4
    by = {(c["params"]["regularizers.r1"], c["params"]["training.update"]): c for c in res["cells"]}
    assert set(by) == {(0, "alternating"), (0, "simultaneous"), (1, "alternating"), (1, "simultaneous")}
    for c in res["cells"]:
        assert c["outcome"] in ("converged", "collapsed", "oscillating", "diverged", "stalled")
        assert len(c["outcomes"]) == 2 and c["outcome"] in c["outcomes"]
        assert all(v is None or isinstance(v, int | float) for v in c["metrics"].values())
        assert "distance_to_equilibrium" in c["metrics"] and "modes_captured" in c["metrics"]
    assert by[(0, "alternating")]["outcome"] == "oscillating"
    assert by[(0, "simultaneous")]["outcome"] == "diverged"
    assert by[(1, "alternating")]["outcome"] == "converged"
    # one line per cell as it finished, then the map (rows: first axis) and a summary
    assert sum(ln.startswith("[") for ln in lines) == 4
    assert any(ln.split() == ["0", "O", "D"] for ln in lines), out
    page = report.read_text()
    assert "Plotly.newPlot" in page and "oscillating" in page and "regularizers.r1" in page
    assert "https://" not in page.split("</script>")[-1]  # plotly.js inlined; nothing fetched


@pytest.mark.parametrize("argv, field, words", [
    (["--grid", "optimizer_d.lrr=0.1"], "optimizer_d.lrr", ["unknown config path"]),
    (["--grid", "optimizer_d.lr=0.1,20"], "optimizer_d.lr", ["20", "axis 1"]),
    (["--grid", "training.k_d=1", "--grid", "training.k_g=1", "--grid", "optimizer_d.lr=1"], "--grid",
     ["at most 2 axes"]),
    (["--grid", "optimizer_d.lr=log:1e-4:1:21", "--grid", "optimizer_g.lr=log:1e-4:1:21"], "--grid",
     ["441 cells", "cap"]),
    ([], "--grid", ["at least one"]),
    (["--grid", "training.k_d=1", "--seeds", "0"], "--seeds", ["between 1"]),
    (["--grid", "training.k_d=1", "--steps", "0"], "--steps", ["between 1"]),
    (["--grid", "training.k_d=1", "--jobs", "0"], "--jobs", [">= 1"]),
    (["--grid", "training.k_d=1", "--ray-address", "127.0.0.1:1"], "--ray-address", ["--backend ray"]),
    (["--grid", "training.k_d=1", "--report", "/no/such/dir/x.html"], "--report", ["does not exist"]),
])
def test_bad_input_is_one_line_naming_the_field(capsys, argv, field, words):
    rc, out, err = run_cli(capsys, "sweep", "--preset", "dirac-r1", *argv)
    assert rc == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"toygan: error: {field}: "), err
    for w in words:
        assert w in lines[0], lines[0]


def test_a_config_file_edited_by_set_is_the_base_of_every_cell(capsys, tmp_path):
    # A Dirac game of one's own (a saved or downloaded config), its R1 penalty turned off by --set: the
    # alternating updates then circle and the simultaneous ones spiral out, as dirac-r1's would.
    own = tmp_path / "own.json"
    own.write_text(json.dumps({"target": {"name": "dirac"}, "regularizers": {"r1": 0.3}, "objective": {"name": "minimax"},
                               "generator": {"kind": "point", "init": [1.0]},
                               "discriminator": {"kind": "linear", "bias": False, "init": [1.0]},
                               "optimizer_g": {"name": "sgd", "lr": 0.1}, "optimizer_d": {"name": "sgd", "lr": 0.1},
                               "training": {"batch_size": 1}}))
    report = tmp_path / "map.html"
    rc, out, err = run_cli(capsys, "sweep", "--config", str(own), "--set", "regularizers.r1=0", "--grid",
                           "training.update=alternating,simultaneous", "--seeds", "1", "--steps", "300", "--jobs", "1",
                           "--json", "--report", str(report))
    assert rc == 0, err
    assert out.splitlines()[0].startswith(f"sweep {own}: 2 cells")
    res = json.loads(out.strip().splitlines()[-1])
    assert res["preset"] is None and res["steps"] == 300
    by = {c["params"]["training.update"]: c["outcome"] for c in res["cells"]}
    assert by == {"alternating": "oscillating", "simultaneous": "diverged"}
    page = report.read_text()
    assert f"toygan sweep --config {own} --set regularizers.r1=0 --grid training.update=" in page
    assert "stability map: a config of its own" in page


@pytest.mark.parametrize("argv, field, words", [
    (["--config", "/no/such.json"], "config", ["cannot read"]),
    (["--preset", "dirac-r1", "--set", "optimizer_d.lrr=1"], "optimizer_d.lrr", ["not a field"]),
    (["--preset", "dirac-r1", "--set", "optimizer_d.lr=-1"], "optimizer_d.lr", ["greater than 0"]),
    (["--preset", "dirac-r1", "--config", "x.json"], "argument --config", ["not allowed with argument --preset"]),
])
def test_a_bad_base_is_one_line_naming_the_field(capsys, argv, field, words):
    rc, out, err = run_cli(capsys, "sweep", *argv, "--grid", "regularizers.r1=0,1")
    lines = err.strip().splitlines()
    assert rc == 2 and out == "" and len(lines) == 1 and lines[0].startswith(f"toygan: error: {field}: "), err
    assert all(w in lines[0] for w in words), lines[0]


def test_unknown_preset_and_missing_ray(capsys, monkeypatch):
    rc, _, err = run_cli(capsys, "sweep", "--preset", "nope", "--grid", "training.k_d=1")
    assert rc == 2 and err.startswith("toygan: error: preset: unknown preset 'nope'")
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if it were not installed
    rc, _, err = run_cli(capsys, "sweep", "--preset", "dirac-r1", "--grid", "training.k_d=1", "--backend", "ray")
    assert rc == 2 and err.strip() == ('toygan: error: --backend: ray is not installed: pip install ".[ray]" '
                                       "(in the project folder) or pip install ray")


def test_the_console_script_delegates_sweep(capsys):
    from server.cli import main as toygan

    assert toygan(["sweep", "--preset", "dirac-r1", "--grid", "nope=1"]) == 2
    assert "toygan: error: nope: unknown config path" in capsys.readouterr().err


def test_ctrl_c_cancels_the_runs_and_exits_130():
    cmd = [sys.executable, "-m", "gan_core", "sweep", "--preset", "dirac-r1", "--grid", "regularizers.r1=0,1",
           "--seeds", "2", "--steps", "900000", "--jobs", "2", "--json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # A session of its own: if the test fails, the whole group (the CLI and its sweep workers, each
    # with minutes of runs left) is killed, never left to load the machine for the tests after it.
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            # A terminal's Ctrl-C reaches a foreground process whose SIGINT is not
                            # ignored; a runner started in the background may pass on SIG_IGN.
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        header = proc.stdout.readline()  # printed once the workers are up
        assert header.startswith("sweep dirac-r1: 2 cells"), header + proc.stderr.read()
        threading.Event().wait(2.0)  # let both workers get into their runs
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)  # minutes of runs left: only a cancel ends this in time
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    res = json.loads(out.strip().splitlines()[-1])
    assert res["cancelled"] is True and res["cells"] == []
    assert "Traceback" not in err

"""Headless CLI: the CLI contract (`run ... --json`, `--set`, `presets`; README) and clear bad-input errors."""

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from gan_core import cli
from gan_core.cli import run as run_command
from gan_core.cli.values import parse_value, set_patch
from gan_core.engine.config import SCHEMA_VERSION, ConfigError, parse_config, upgrade_config
from gan_core.science.presets import get_preset, list_presets, preset_config

SMALL = ["--set", "generator.width=16", "--set", "discriminator.width=16", "--set", "training.batch_size=64"]
METRIC_KEYS = {"modes_captured", "modes_captured_strict", "modes_total", "high_quality_fraction",
               "off_mode_fraction", "d_real_mean", "d_fake_mean", "sample_distance", "mode_kl", "js_grid", "kl_grid"}


@pytest.fixture
def ring_file(tmp_path):
    p = tmp_path / "ring.json"
    p.write_text(json.dumps({"target": {"name": "ring"}, "seed": 3}))
    return str(p)


def run_cli(capsys, *argv):
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def last_json(out):
    return json.loads(out.strip().splitlines()[-1])


def test_run_json_contract(capsys, ring_file):
    rc, out, err = run_cli(capsys, "run", "--config", ring_file, "--steps", "20", "--every", "5", "--json",
                           "--set", "optimizer_d.lr=1e-4", "--set", "objective.name=hinge", *SMALL)
    assert rc == 0, err
    lines = out.strip().splitlines()
    # a progress line every 5 iterations, then the JSON object last
    assert [ln.split()[1] for ln in lines[:-1]] == ["5/20", "10/20", "15/20", "20/20"]
    assert all("d_loss" in ln and "modes " in ln and "(strict " in ln for ln in lines[:-1])  # both rules
    res = last_json(out)
    assert res["steps"] == 20 and res["status"] == "ok" and res["seconds"] > 0 and res["its"] > 0
    assert METRIC_KEYS <= set(res["metrics"])
    assert res["metrics"]["modes_total"] == 8
    assert 0 <= res["metrics"]["js_grid"] <= 0.6932  # ln 2 bounds JS
    cfg = parse_config(res["config"])  # the full resolved config, valid as is
    assert cfg.optimizer_d.lr == 1e-4 and cfg.objective.name == "hinge" and cfg.seed == 3
    assert cfg.generator.width == 16 and cfg.target.name == "ring"


def test_same_config_and_seed_give_the_same_metrics(capsys, ring_file):
    args = ("run", "--config", ring_file, "--steps", "10", "--json", "--seed", "11", *SMALL)
    a = last_json(run_cli(capsys, *args)[1])
    b = last_json(run_cli(capsys, *args)[1])
    assert a["config"]["seed"] == 11
    assert a["metrics"] == b["metrics"]
    c = last_json(run_cli(capsys, *args[:-len(SMALL) - 1], "12", *SMALL)[1])
    assert c["metrics"] != a["metrics"]


def test_without_json_the_last_line_is_progress(capsys, ring_file):
    rc, out, _ = run_cli(capsys, "run", "--config", ring_file, "--steps", "4", *SMALL)
    assert rc == 0
    assert out.strip().splitlines()[-1].startswith("iter 4/4")


def test_dirac_game_reports_distance_to_equilibrium(capsys, tmp_path):
    p = tmp_path / "dirac.json"
    p.write_text(json.dumps({"target": {"name": "dirac", "dim": 1}, "generator": {"kind": "point", "init": [1.0]},
                             "discriminator": {"kind": "linear", "bias": False, "init": [0.0]}}))
    rc, out, err = run_cli(capsys, "run", "--config", str(p), "--steps", "5", "--json")
    assert rc == 0, err
    m = last_json(out)["metrics"]
    assert m["distance_to_equilibrium"] > 0 and "eq_dist" in out


def test_a_diverging_run_stops_and_still_ends_with_strict_json(capsys, ring_file):
    rc, out, _ = run_cli(capsys, "run", "--config", ring_file, "--steps", "50", "--json",
                         "--set", "objective.name=least-squares", "--set", "optimizer_d.name=sgd",
                         "--set", "optimizer_d.lr=10", "--set", "optimizer_g.lr=10", *SMALL)
    assert rc == 0
    res = json.loads(out.strip().splitlines()[-1], parse_constant=pytest.fail)  # no NaN literals
    assert res["status"] == "diverged" and res["status_message"] and res["steps"] < 50
    assert "stopped:" in out


@pytest.mark.parametrize("text,value", [
    ("1e-4", 1e-4), ("3", 3), ("true", True), ("false", False), ("null", None), ("[1, 2]", [1, 2]),
    ("hinge", "hinge"), ("wgan-gp", "wgan-gp"), ('"7"', "7"), ("", ""),
])
def test_set_values_parse_as_json_else_string(text, value):
    assert parse_value(text) == value


def test_set_patch_merges_dotted_paths():
    assert set_patch(["objective.name=wgan-gp", "optimizer_d.lr=1e-4", "optimizer_d.beta1=0",
                          "target.means=[-3, 3]"]) == {
        "objective": {"name": "wgan-gp"}, "optimizer_d": {"lr": 1e-4, "beta1": 0}, "target": {"means": [-3, 3]}}
    assert set_patch(["a.b=x=y"]) == {"a": {"b": "x=y"}}  # the first '=' splits
    with pytest.raises(ConfigError):
        set_patch(["novalue"])


BAD = [
    (["run", "--config", "/nonexistent/x.json"], "config", "cannot read"),
    (["run", "--config", "{BAD_JSON}"], "config", "not valid JSON"),
    (["run", "--config", "{LIST_JSON}"], "config", "JSON object"),
    (["run", "--config", "{RING}", "--set", "target.foo=1"], "target.foo", "not a field of target 'ring'"),
    (["run", "--config", "{RING}", "--set", "training.foo=1"], "training.foo", "Extra inputs"),
    (["run", "--config", "{RING}", "--set", "optimizer_d.lr=-1"], "optimizer_d.lr", "greater than 0"),
    (["run", "--config", "{RING}", "--set", "training.k_d=500"], "training.k_d", "less than or equal"),
    (["run", "--config", "{RING}", "--set", "objective.name=nope"], "objective.name", "unknown objective 'nope'"),
    (["run", "--config", "{RING}", "--set", "optimizer_d.momentum=0.5"], "optimizer_d.momentum",
     "not a field of optimizer 'adam'"),
    (["run", "--config", "{V2_RING_MEANS}"], "target.means", "not a field of target 'ring'"),
    (["run", "--config", "{V9}"], "schema_version", "not a schema version"),
    (["run", "--config", "{RING}", "--set", "generator.kind=point"], "generator.kind", "Dirac"),
    (["run", "--config", "{RING}", "--set", "oops"], "--set", "KEY=VALUE"),
    (["run", "--config", "{RING}", "--steps", "-3"], "--steps", ">= 0"),
    (["run", "--config", "{RING}", "--steps", "many"], "--steps", "invalid int"),
    (["run", "--config", "{RING}", "--every", "0"], "--every", ">= 1"),
    (["run", "--config", "{RING}", "--report", "/nonexistent/dir/r.html"], "--report", "does not exist"),
    (["run"], "--preset", "required"),
    (["run", "--preset", "a", "--config", "{RING}"], "--config", "not allowed"),
    (["fly"], "command", "invalid choice"),
]


@pytest.mark.parametrize("argv,field,reason", BAD)
def test_bad_input_is_one_clear_line_and_exit_2(capsys, tmp_path, ring_file, argv, field, reason):
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "list.json").write_text("[1, 2]")
    # A file that says it is current is strict: a ring with a mixture's means is an error.
    (tmp_path / "means.json").write_text(json.dumps({"schema_version": 2, "target": {"name": "ring", "means": [1]}}))
    (tmp_path / "v9.json").write_text(json.dumps({"schema_version": 9}))
    subs = {"{RING}": ring_file, "{BAD_JSON}": str(tmp_path / "bad.json"), "{LIST_JSON}": str(tmp_path / "list.json"),
            "{V2_RING_MEANS}": str(tmp_path / "means.json"), "{V9}": str(tmp_path / "v9.json")}
    rc, out, err = run_cli(capsys, *[subs.get(a, a) for a in argv])
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("toygan: error: "), err
    assert field in lines[0] and reason in lines[0]
    assert "Traceback" not in err and out == ""


V1 = Path(__file__).resolve().parents[2] / "fixtures" / "schema_v1"


@pytest.mark.parametrize("v1_config", [
    json.loads((V1 / "run_json_bimodal.json").read_text()),  # `toygan run --json`'s config, schema version 1
    json.loads((V1 / "links.json").read_text())["dirac_lr"]["config"],  # the v1 page's "export config"
])
def test_run_reads_a_config_file_from_schema_version_1(capsys, tmp_path, v1_config):
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(v1_config))
    rc, out, err = run_cli(capsys, "run", "--config", str(path), "--steps", "2", "--json")
    assert rc == 0, err
    res = last_json(out)
    want, dropped = upgrade_config(v1_config, 1)
    assert res["config"] == parse_config(want).model_dump(mode="json") and res["schema_version"] == SCHEMA_VERSION
    assert res["config"]["target"]["name"] == v1_config["target"]["name"]
    # stderr says what was left out; stdout's last line stays the JSON object
    assert "target.radius" in dropped and "target.radius" in err and "schema version 1" in err


def test_set_switches_a_kind_to_that_kinds_defaults(capsys, ring_file):
    rc, out, err = run_cli(capsys, "run", "--config", ring_file, "--steps", "1", "--json", *SMALL,
                           "--set", "optimizer_d.lr=0.01", "--set", "optimizer_d.name=sgd", "--set", "target.name=grid")
    assert rc == 0, err
    cfg = last_json(out)["config"]
    assert cfg["optimizer_d"] == {"name": "sgd", "lr": 0.01, "weight_decay": 0.0}
    assert cfg["target"] == {"name": "grid", "modes": 5, "spacing": 2.0, "std": 0.05, "weights": None}


@pytest.fixture
def small_preset(monkeypatch):
    """`ring-collapse` as `toygan run` sees it, shrunk to 7 steps of small nets (a fast CLI test)."""
    real = get_preset("ring-collapse")
    small = replace(real, steps=7, config={**real.config, "generator": {"width": 16},
                                           "discriminator": {"width": 16}, "training": {"batch_size": 64}})
    monkeypatch.setattr(run_command, "get_preset", lambda name: small if name == small.name else get_preset(name))
    return small


def test_presets_lists_one_line_each(capsys):
    rc, out, _ = run_cli(capsys, "presets")
    assert rc == 0
    lines = out.strip().splitlines()
    presets = list_presets()
    assert len(lines) == len(presets)
    first = presets[0]
    assert lines[0].split() == [first.name, *first.title.split(), f"({first.steps}", "steps)"]


def test_run_preset_uses_its_suggested_steps_and_set_overrides(capsys, small_preset):
    rc, out, err = run_cli(capsys, "run", "--preset", "ring-collapse", "--json", "--set", "optimizer_g.lr=0.002")
    assert rc == 0, err
    res = last_json(out)
    assert res["steps"] == 7 and res["config"]["optimizer_g"]["lr"] == 0.002
    assert res["config"]["generator"]["width"] == 16


def test_unknown_preset_names_the_known_ones(capsys):
    rc, _, err = run_cli(capsys, "run", "--preset", "nope")
    assert rc == 2
    known = ", ".join(p.name for p in list_presets())
    assert err.strip() == f"toygan: error: preset: unknown preset 'nope' (known: {known})"


def test_python_dash_m_runs_without_the_web_stack(ring_file):
    code = ("import sys; from gan_core.cli import main; rc = main(sys.argv[1:]); "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'server', 'fastapi', 'uvicorn', 'starlette'}); "
            "assert not bad, bad; sys.exit(rc)")
    args = ["run", "--config", ring_file, "--steps", "3", "--json", *SMALL]
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "gan_core", *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert last_json(r.stdout)["steps"] == 3
    r = subprocess.run([sys.executable, "-m", "gan_core", "run", "--config", ring_file, "--set", "seed=-1"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "seed" in r.stderr and "Traceback" not in r.stderr


def test_run_writes_a_report(capsys, ring_file, tmp_path):
    out_path = tmp_path / "run.html"
    rc, out, err = run_cli(capsys, "run", "--config", ring_file, "--steps", "6", "--every", "3", "--json",
                           "--report", str(out_path), *SMALL)
    assert rc == 0, err
    assert f"report: {out_path}" in out and last_json(out)["steps"] == 6
    page = out_path.read_text()
    assert "Plotly.newPlot" in page and "iteration 6" in page


def test_every_real_preset_lists_and_runs_headless(capsys):
    """Each preset is listed once and runs 2 steps to strict JSON whose config is the preset's own."""
    rc, out, _ = run_cli(capsys, "presets")
    names = [p.name for p in list_presets()]
    assert rc == 0 and [ln.split()[0] for ln in out.strip().splitlines()] == names
    for name in names:
        rc, out, err = run_cli(capsys, "run", "--preset", name, "--steps", "2", "--json")
        assert rc == 0, (name, err)
        res = last_json(out)
        want = preset_config(name).model_dump(mode="json")
        assert res["config"] == want and res["steps"] <= 2 and METRIC_KEYS <= set(res["metrics"])


def test_run_uses_one_torch_thread(capsys, ring_file):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert run_cli(capsys, "run", "--config", ring_file, "--steps", "1", *SMALL)[0] == 0
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)

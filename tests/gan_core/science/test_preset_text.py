"""A preset's words come from its data (issue 13: texts said humps at +-2 where the config had
+-1.5, a target at 4 and 10 D updates where it had 8 and 5): placeholders render from the config,
budget and claims, and no number in a text is stated from nowhere."""

import re

import pytest

from gan_core.science.preset_text import render, spell, undeclared_numbers
from gan_core.science.presets import context, get_preset, list_presets, raw_entries

CTX = {"target": {"means": [-2.0, 2.0], "std": 0.25, "modes": 8}, "training": {"k_d": 5},
       "optimizer_g": {"lr": 0.001}, "optimizer_d": {"lr": 0.005}, "steps": 1500,
       "claims": {"hq": {"value": 0.5}, "band": {"value": [0.8, 1.2]}}}


def test_placeholders_render_from_the_context():
    assert render("humps at {target.means.0} and {target.means.1|+g}", CTX) == "humps at -2 and +2"
    assert render("{target.means|#w} humps, {target.modes|W} modes", CTX) == "two humps, Eight modes"
    assert render("{training.k_d} D updates over {steps} iterations", CTX) == "5 D updates over 1500 iterations"
    assert render("at most {claims.hq.value|.0%}", CTX) == "at most 50%"
    assert render("between {claims.band.value.0} and {claims.band.value.1}", CTX) == "between 0.8 and 1.2"
    assert render("{optimizer_d.lr / optimizer_g.lr|g} times faster", CTX) == "5 times faster"
    assert render("means ({target.means}), {{braces}}", CTX) == "means (-2, 2), {braces}"
    assert render("{1 / target.std} std", CTX) == "4 std"


def test_another_presets_context_is_read_by_name():
    other = {"training": {"k_d": 1}}
    lookup = {"lagging-critic": other}.__getitem__
    assert render("{lagging-critic:training.k_d|w} critic step", CTX, lookup) == "one critic step"


@pytest.mark.parametrize("template, why", [
    ("{target.mean.0}", "target.mean.0"),  # a typo: mean for means
    ("{target.means.2}", "target.means.2"),  # past the end
    ("{claims.nope.value}", "claims.nope.value"),
    ("{target.std|w}", "whole number"),
    ("{steps|#}", "needs a list"),
    ("{no-such:steps}", "no-such"),
])
def test_a_placeholder_that_does_not_resolve_is_an_error_naming_it(template, why):
    lookup = {}.__getitem__
    with pytest.raises(ValueError, match=re.escape(why)):
        render(template, CTX, lookup)


def test_spell():
    assert [spell(n) for n in (0, 2, 8, 19, 20, 25, 99, 100)] == [
        "zero", "two", "eight", "nineteen", "twenty", "twenty-five", "ninety-nine", "100"]


def test_undeclared_numbers_finds_digits_and_number_words_but_not_names():
    text = "Humps at -2 and +2 on a 5x5 grid, lr 1e-3, twenty-five modes, a hundred steps, tenfold."
    assert undeclared_numbers(text, {}) == ["2", "2", "5", "5", "1e-3", "twenty", "five", "hundred", "tenfold"]
    # Names with digits are not numbers; placeholders and declared literals are sourced.
    assert undeclared_numbers("R1 on a 2D target, beta1 and WGAN-GP; {steps} steps", {}) == []
    assert undeclared_numbers("Metz et al. 2017 showed it", {"Metz et al. 2017": "citation"}) == []
    assert undeclared_numbers("compare 'two-timescale' and 'oscillation-2d'", {}) == []


def test_the_old_texts_would_fail():
    # What bimodal-averaging said before issue 13 (its config had humps at +-1.5).
    old = "The target has two humps at -2 and +2 (std 0.5 each) but the generator is still a line"
    assert undeclared_numbers(old, {}) == ["2", "2", "0.5", "two"]


@pytest.mark.parametrize("entry", raw_entries(), ids=lambda e: e["name"])
def test_every_number_a_preset_states_has_a_source(entry):
    literals = entry.get("literals", {})
    for field in ("title", "description"):
        found = undeclared_numbers(entry[field], literals)
        assert not found, (f"{entry['name']}.{field} states {found} with no source: use a placeholder "
                           "({target.means.0}, {steps}, {claims.ID.value}) or declare it in literals")
    for literal, source in literals.items():
        assert literal in entry["title"] + " " + entry["description"], f"{entry['name']}: stale literal {literal!r}"
        assert isinstance(source, str) and len(source) > 10, f"{entry['name']}: literal {literal!r} needs its source"


@pytest.mark.parametrize("name", [p.name for p in list_presets()])
def test_rendered_texts_carry_no_placeholders_and_follow_the_config(name):
    p = get_preset(name)
    assert "{" not in p.description and "}" not in p.description and "{" not in p.title
    entry = next(e for e in raw_entries() if e["name"] == name)
    ctx = context(entry)
    assert ctx["steps"] == p.steps and ctx["target"]["name"] == p.experiment().target.name


def test_a_config_change_changes_the_text():
    # The number a text states follows its config: no edit of the words needed, no mismatch possible.
    others = {e["name"]: context(e) for e in raw_entries()}.__getitem__
    entry = next(e for e in raw_entries() if e["name"] == "bimodal-averaging")
    before = render(entry["description"], context(entry), others)
    entry["config"]["target"]["means"] = [-3.0, 3.0]
    after = render(entry["description"], context(entry), others)
    assert before != after and "-3" in after and "-3" not in before

"""Built-in comparisons: every entry names real presets, tells its story, and is fair (A and B
share the target and the seed) unless it says why not; every comparison the issue asks for is there."""

import json

import pytest

from gan_core.science import comparisons as cmp
from gan_core.science.comparisons import get_comparison, list_comparisons, start_differences

REQUIRED = [("ring-collapse", "ring-unrolled"), ("ring-collapse", "ring-wgan-gp"), ("bimodal-averaging", "bimodal-mlp"),
            ("dirac-simultaneous", "dirac-alternating"), ("saturating-stall", "non-saturating"),
            ("lagging-critic", "two-timescale")]


def test_the_comparisons_the_lab_promises_are_built_in():
    pairs = {(c.a, c.b) for c in list_comparisons()}
    assert set(REQUIRED) <= pairs


def test_every_comparison_shares_target_and_seed_or_says_why_not():
    for c in list_comparisons():
        a, b = c.experiments()
        differ = start_differences(a, b)
        if differ:
            assert c.why_not and len(c.why_not) > 40, f"{c.name}: {differ} differ and it does not say why"
        else:
            assert a.target == b.target and a.seed == b.seed
            assert c.why_not is None, f"{c.name}: a fair comparison needs no excuse"
        assert a != b, f"{c.name}: A and B are the same experiment"


def test_every_story_is_a_paragraph_about_both_sides():
    for c in list_comparisons():
        assert 200 <= len(c.story) <= 1200, c.name
        assert "A" in c.story.split() or "A's" in c.story, c.name
        assert "B" in c.story.split() or "B's" in c.story, c.name


def test_a_seed_applies_to_both():
    a, b = get_comparison("unrolled-vs-vanilla").experiments(seed=7)
    assert a.seed == b.seed == 7 and b.training.unroll == 5 and a.training.unroll == 0


def test_an_unknown_name_says_the_known_ones():
    with pytest.raises(KeyError) as e:
        get_comparison("nope")
    assert "unrolled-vs-vanilla" in str(e.value)


@pytest.mark.parametrize("entry, words", [
    ({"name": "x", "title": "t", "a": "ring-collapse", "b": "nope", "story": "s"}, "nope"),
    ({"name": "x", "title": "t", "a": "ring-collapse", "b": "ring-collapse", "story": "s"}, "both"),
    ({"name": "x", "title": "t", "a": "ring-collapse", "b": "ring-unrolled", "story": " "}, "story"),
    ({"name": "x", "title": "t", "a": "bimodal-averaging", "b": "bimodal-collapse", "story": "s"}, "why_not"),
])
def test_a_bad_entry_is_refused_naming_what_is_wrong(tmp_path, monkeypatch, entry, words):
    path = tmp_path / "comparisons.json"
    path.write_text(json.dumps([entry]))
    monkeypatch.setattr(cmp, "DATA", path)
    cmp._load.cache_clear()
    try:
        with pytest.raises((ValueError, KeyError)) as e:
            list_comparisons()
        assert words in str(e.value)
    finally:
        cmp._load.cache_clear()

"""Your own data as the target: a CSV file or pasted text of 1D values or 2D points; bad rows named
beside the input; the run trains on it; it is saved, exported and shared by link as far as a
link's length allows, with the reason and the way out beyond that."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytestmark = pytest.mark.browser

CONFIG = "window.__toygan.config"


def open_panel(page):
    page.click("#data-section > summary")
    page.wait_for_selector("[data-testid=data-text]", state="visible")


def test_a_csv_file_of_values_becomes_a_1d_target_that_trains_and_is_saved(lab_page, open_lab, lab_url, tmp_path):
    page = lab_page
    open_lab(page, lab_url)
    open_panel(page)
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(150, 4, 60), rng.normal(180, 4, 40)])
    csv = tmp_path / "heights.csv"
    csv.write_text("height_cm\n" + "\n".join(f"{v:.1f}" for v in values) + "\n")
    page.set_input_files("[data-testid=data-file]", str(csv))
    page.wait_for_function(f"{CONFIG}.target.name === 'data'")
    target = page.evaluate(f"{CONFIG}.target")
    assert target["dim"] == 1 and len(target["points"]) == 100 and target["source"] == "heights.csv"
    got = np.array(target["points"])[:, 0]
    # Rescaled (the default): mean 0, std 1, the two bumps kept apart.
    assert abs(got.mean()) < 0.01 and abs(got.std() - 1) < 0.01 and (got < 0).sum() == 60
    assert 0.01 <= target["std"] < 1
    summary = page.inner_text("[data-testid=data-summary]")
    assert "100 values (1D)" in summary and "heights.csv" in summary and "height_cm" in summary
    assert page.locator("[data-testid=data-error]").is_hidden()
    assert page.input_value("[data-testid=data-text]").startswith("height_cm")  # the file is shown
    # The run trains on it, in the 1D view, and the frame's real samples are the data's.
    page.wait_for_function("window.__toygan.mainKind() === '1d'")
    page.click("[data-testid=play]")
    page.wait_for_function("window.__toygan.iteration > 20", timeout=30000)
    page.click("[data-testid=pause]")
    real = page.evaluate("Array.from(window.__toygan.frame.arrays.real.data)")
    assert min(real) < -1 and max(real) > 1 and page.evaluate("window.__toygan.frame.header.dim") == 1
    # Saved with the experiment.
    with page.expect_download() as dl:
        page.click("[data-testid=export-experiment]")
    saved = json.loads(open(dl.value.path()).read())
    assert saved["config"]["target"]["points"] == target["points"]
    assert page.locator("[data-testid=data-link]").is_hidden()  # 100 values fit in a link
    assert page.errors == []


def test_pasted_points_with_bad_rows_name_each_row_and_change_nothing(lab_page, open_lab, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    open_panel(page)
    text = "x, y\n0.5, 1.0\n1.5, abc\n2.0\n3.0, 4.0, 5.0\n\n1.0,\n# a comment\n2.5, 0.5\n"
    page.fill("[data-testid=data-text]", text)
    page.click("[data-testid=data-apply]")
    errors = page.locator("[data-testid=data-error] li").all_inner_texts()
    assert errors[0].startswith("line 3") and '"abc" is not a number' in errors[0] and "y value" in errors[0]
    assert errors[1].startswith("line 4") and "1 value" in errors[1]
    assert errors[2].startswith("line 5") and "3 values" in errors[2]
    assert errors[3].startswith("line 7") and "is empty" in errors[3]
    assert len(errors) == 4
    assert page.evaluate(f"{CONFIG}.target.name") == "ring"  # nothing was used
    assert page.locator("[data-testid=error-banner]").is_hidden()  # said beside the input, not at the top
    # Unscaled values past the target's bounds are named too, with what to do.
    page.uncheck("[data-testid=data-rescale]")
    page.fill("[data-testid=data-text]", "1, 2\n3, 4\n5, 600\n")
    page.click("[data-testid=data-apply]")
    (err,) = page.locator("[data-testid=data-error] li").all_inner_texts()
    assert err.startswith("line 3") and "600" in err and "rescale" in err
    # Fixed: the 2D points are the target, and the error list is gone.
    page.fill("[data-testid=data-text]", "0.5; 1,5\n1,25; -0,5\n-1; 0\n")  # semicolons, decimal commas
    page.click("[data-testid=data-apply]")
    page.wait_for_function(f"{CONFIG}.target.name === 'data'")
    assert page.evaluate(f"{CONFIG}.target.points") == [[0.5, 1.5], [1.25, -0.5], [-1, 0]]
    assert page.evaluate(f"{CONFIG}.target.dim") == 2
    assert page.locator("[data-testid=data-error]").is_hidden()
    assert page.errors == []


def test_a_short_data_set_travels_in_the_link(lab_page, open_lab, lab_browser, lab_url):
    page = lab_page
    open_lab(page, lab_url)
    open_panel(page)
    page.fill("[data-testid=data-text]", "\n".join(f"{x / 10:.1f}" for x in range(-20, 21)))
    page.uncheck("[data-testid=data-rescale]")
    page.click("[data-testid=data-apply]")
    page.wait_for_function(f"{CONFIG}.target.name === 'data'")
    target = page.evaluate(f"{CONFIG}.target")
    other = lab_browser.new_page()
    try:
        open_lab(other, lab_url + page.evaluate("location.hash"))
        assert other.evaluate(f"{CONFIG}.target") == target
    finally:
        other.close()


def test_a_link_too_long_to_share_is_explained(lab_page, open_lab, lab_url, tmp_path):
    page = lab_page
    open_lab(page, lab_url)
    open_panel(page)
    rng = np.random.default_rng(1)
    pts = rng.normal(0, 1, (3000, 2))
    csv = tmp_path / "cloud.csv"
    csv.write_text("\n".join(f"{a:.4f},{b:.4f}" for a, b in pts))
    page.set_input_files("[data-testid=data-file]", str(csv))
    page.wait_for_function(f"{CONFIG}.target.name === 'data' && {CONFIG}.target.points.length === 3000")
    note = page.locator("[data-testid=data-link]")
    note.wait_for(state="visible")
    text = note.inner_text()
    length = page.evaluate("location.href.length")
    assert length > 8000 and f"{length:,}" in text and "too long" in text and "Save experiment" in text, text
    page.click("[data-testid=classroom-link]")
    assert page.locator("[data-testid=share-note]").is_visible()
    # Back to a preset: the link is short again and the note goes.
    page.select_option("[data-testid=preset]", "ring-collapse")
    page.wait_for_function(f"{CONFIG}.target.name === 'ring'")
    note.wait_for(state="hidden")
    assert page.errors == []

"""Connection states a classroom meets: a full server, and getting the seat once it frees up."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

STATE = "document.querySelector('[data-testid=status]').dataset.state"


def test_server_full_is_explained_and_a_freed_seat_is_taken(lab_browser, open_lab, one_seat_lab_url):
    first = lab_browser.new_context(viewport={"width": 1280, "height": 720})
    second = lab_browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        a = first.new_page()
        open_lab(a, one_seat_lab_url)
        b = second.new_page()
        b.goto(one_seat_lab_url)
        b.wait_for_function(f"{STATE} === 'full'", timeout=15000)
        assert "Server full" in b.inner_text("[data-testid=status]")
        assert b.locator("[data-testid=reconnect]").is_visible()
        a.close()  # the first student leaves: a dropped socket gives its seat up
        b.wait_for_timeout(500)
        b.click("[data-testid=reconnect]")
        b.wait_for_function(f"{STATE} === 'paused' && window.__toygan.config", timeout=15000)
        assert b.locator("[data-testid=error-banner]").is_hidden()  # the "full" message went with the state
        b.click("[data-testid=step]")
        b.wait_for_function("Number(document.querySelector('[data-testid=iteration]').textContent) >= 1")
    finally:
        first.close()
        second.close()

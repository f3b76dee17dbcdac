"""The page's view options (what frames carry) follow the server: defaults and bounds from
GET /api/schema's `x-view`, never a copy in the page; a link's view is read within those bounds."""

from __future__ import annotations

import base64
import json

import pytest

pytestmark = pytest.mark.browser


def b64url(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def first_frame_after_a_step(page) -> dict:
    page.evaluate("window.__toygan.frame = null")
    page.click("[data-testid=step]")
    page.wait_for_function("window.__toygan.frame && window.__toygan.frame.header.iteration >= 1")
    return page.evaluate("""(() => { const a = window.__toygan.frame.arrays;
      return {real: a.real.shape, grad: Boolean(a.fake_grad), surface: a.d_surface && a.d_surface.shape}; })()""")


def test_view_defaults_are_the_servers(lab_page, open_lab, lab_url):
    # The server's schema, with other view defaults than the usual ones: the page must ask for
    # those (a page with its own copy of 512 samples and a 64 grid would ignore them).
    page = lab_page

    def changed_schema(route):
        schema = route.fetch().json()
        schema["x-view"]["samples"]["default"] = 300
        schema["x-view"]["grid"]["default"] = 40
        route.fulfill(json=schema)

    page.route("**/api/schema", changed_schema)
    open_lab(page, lab_url)
    got = first_frame_after_a_step(page)
    assert got["real"] == [300, 2] and got["surface"] == [40, 40], got
    assert "v=" not in page.evaluate("location.hash"), "the server's defaults are not a change to link"


def test_a_links_out_of_bounds_view_is_refused_readably_and_the_rest_applies(lab_page, open_lab, lab_url):
    page = lab_page
    # samples past x-view's maximum (4096), an option the page no longer has (the plotly renderer),
    # and a layer switched off: the layer must still reach the server.
    view = {"samples": 99999, "renderer": "plotly", "layers": {"arrows": False}}
    open_lab(page, lab_url + "#v=" + b64url(view))
    banner = page.locator("[data-testid=error-banner]")
    assert banner.is_visible()
    text = banner.inner_text()
    assert "samples" in text and "4096" in text and "512" in text, text
    got = first_frame_after_a_step(page)
    assert got["real"] == [512, 2] and not got["grad"], got
    assert page.locator("[data-testid=view-2d]").is_visible()
    assert not page.is_checked("[data-testid=layer-arrows]")
    # The link the page writes back keeps what it understood and drops the rest.
    written = page.evaluate("location.hash")
    v = json.loads(base64.urlsafe_b64decode(written.split("v=")[1].split("&")[0] + "=="))
    assert v == {"layers": {"arrows": False}}, v
    assert page.errors == []

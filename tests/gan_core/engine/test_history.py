"""gan_core.engine.history: what is new since an iteration, and thinning that keeps the newest."""

from gan_core.engine.history import since, thin


def _hist(first: int, last: int) -> list[dict]:
    return [{"iteration": i, "d_loss": float(i)} for i in range(first, last + 1)]


def test_since_returns_only_the_entries_after_the_iteration():
    h = _hist(1, 100)
    assert [e["iteration"] for e in since(h, 97)] == [98, 99, 100]
    assert since(h, 100) == [] and since([], 0) == []
    assert len(since(h, 0)) == 100
    # After the trainer dropped its older half, a reader behind it gets what is left.
    assert [e["iteration"] for e in since(_hist(51, 100), 10)][:2] == [51, 52]


def test_since_walks_back_at_most_scan_entries():
    assert [e["iteration"] for e in since(_hist(1, 100), 0, scan=10)] == list(range(91, 101))


def test_thin_keeps_the_newest_point():
    pts = [{"iteration": i} for i in range(1000)]
    out = thin(pts, 32)
    assert len(out) == 32 and out[-1]["iteration"] == 999 and out[0]["iteration"] == 0
    assert thin(pts[:5], 32) == pts[:5]

"""Which region of data space a view draws: the target's box and the generated samples, together.

A view fixed on the target's box loses the generator when it starts far away (a 1D run that begins
at 0 against a target at 8) or is thrown out (a large learning rate). `fit_window` is the region
that frames both: the target's box, joined with the box that holds the generated samples between
their FIT_QUANTILE and 1 - FIT_QUANTILE quantiles per axis (so a few far outliers do not shrink the
picture to nothing), padded by FIT_PAD of its span on each side. Content wider than MAX_ZOOM_OUT
times the target's span (a generator thrown far away by a huge learning rate) is not chased: the
target would be a speck and the picture would jump with every throw, so the window is then the
target's own padded box and the page points at the samples outside it.

The page applies the same rule (its constants come from GET /api/schema's `x-view.window`) with
hysteresis and easing on top; the HTML report uses it as is for each snapshot it shows. Pure numpy.
"""

from __future__ import annotations

import numpy as np

FIT_QUANTILE = 0.01  # per axis and side: the share of generated samples a fitted window may leave out
FIT_PAD = 0.08  # margin around the fitted content, as a fraction of its span, on each side
MAX_ZOOM_OUT = 20.0  # the window spans at most this many times the target's box (per axis)
# Bounds every window must keep (data units), the server's check on a page's `set_view.window` too:
# edges within +-WINDOW_MAX_ABS (far past any target's +-100) and at least WINDOW_MIN_EXTENT wide.
WINDOW_MAX_ABS = 1e4
WINDOW_MIN_EXTENT = 1e-3

Window = tuple[float, float, float, float]


def _pad(lo: np.ndarray, hi: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi] padded by FIT_PAD of its span on each side, made square around its middle in 2D."""
    pad = FIT_PAD * (hi - lo)
    lo, hi = lo - pad, hi + pad
    if dim == 2:
        half = float(np.max(hi - lo)) / 2
        mid = (lo + hi) / 2
        lo, hi = mid - half, mid + half
    return lo, hi


def fit_window(bounds: Window, fake: np.ndarray | None, dim: int) -> Window:
    """The window (xmin, xmax, ymin, ymax) that frames the target's box `bounds` and the generated
    samples `fake` (n, dim); square in 2D (the views draw equal axis scales), y = (0, 1) in 1D.
    Non-finite samples are left out."""
    b = np.asarray(bounds, dtype=np.float64)
    t_lo, t_hi = b[[0, 2]][:dim], b[[1, 3]][:dim]
    lo, hi = t_lo.copy(), t_hi.copy()
    if fake is not None and len(fake):
        f = np.asarray(fake, dtype=np.float64).reshape(len(fake), -1)[:, :dim]
        f = f[np.isfinite(f).all(axis=1)]
        if len(f):
            q = np.quantile(f, [FIT_QUANTILE, 1 - FIT_QUANTILE], axis=0)
            lo, hi = np.minimum(lo, q[0]), np.maximum(hi, q[1])
    if np.any(hi - lo > MAX_ZOOM_OUT * float(np.max(t_hi - t_lo))):
        lo, hi = t_lo, t_hi  # too far to frame together: the target, and arrows to the rest
    lo, hi = _pad(lo, hi, dim)
    out = [v for i in range(dim) for v in (float(lo[i]), float(hi[i]))] + ([0.0, 1.0] if dim == 1 else [])
    return clamp_window(tuple(out))  # type: ignore[arg-type]


def clamp_window(w: Window) -> Window:
    """`w` moved inside the bounds every window keeps (WINDOW_MAX_ABS, WINDOW_MIN_EXTENT)."""
    out = []
    for a, b in ((w[0], w[1]), (w[2], w[3])):
        a, b = max(-WINDOW_MAX_ABS, a), min(WINDOW_MAX_ABS, b)
        if b - a < WINDOW_MIN_EXTENT:
            mid = min(max((a + b) / 2, -WINDOW_MAX_ABS + WINDOW_MIN_EXTENT), WINDOW_MAX_ABS - WINDOW_MIN_EXTENT)
            a, b = mid - WINDOW_MIN_EXTENT / 2, mid + WINDOW_MIN_EXTENT / 2
        out += [float(a), float(b)]
    return tuple(out)  # type: ignore[return-value]


def window_problem(w: object) -> str | None:
    """Why `w` is not a window a view may ask for (None when it is one): four finite numbers
    [xmin, xmax, ymin, ymax], each within +-WINDOW_MAX_ABS, each axis at least WINDOW_MIN_EXTENT wide."""
    if not isinstance(w, (tuple, list)) or len(w) != 4:
        return "must be [xmin, xmax, ymin, ymax]"
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in w):
        return "must be 4 finite numbers"
    if any(abs(v) > WINDOW_MAX_ABS for v in w):
        return f"edges must be within +-{WINDOW_MAX_ABS:g}"
    if w[1] - w[0] < WINDOW_MIN_EXTENT or w[3] - w[2] < WINDOW_MIN_EXTENT:
        return f"xmax - xmin and ymax - ymin must be at least {WINDOW_MIN_EXTENT:g}"
    return None


def window_schema() -> dict[str, float]:
    """The rule's constants for the page (`x-view.window` in GET /api/schema)."""
    return {"fit_quantile": FIT_QUANTILE, "fit_pad": FIT_PAD, "max_zoom_out": MAX_ZOOM_OUT,
            "max_abs": WINDOW_MAX_ABS, "min_extent": WINDOW_MIN_EXTENT}

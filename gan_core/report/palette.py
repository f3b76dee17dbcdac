"""The lab page's colours, for the HTML reports: a report reads like the page it came from.

The page owns them (its COLORS object and the PuOr map of D, frontend/views/); these are copies, and
tests/gan_core/report/test_run_report.py fails when the two differ, so a change of the page's colours
must be made here too.
"""

from __future__ import annotations

REAL = "#111111"  # real samples: dark filled dots (drawn over the generated ones)
FAKE = "#56b4e9"  # generated samples: Okabe-Ito sky-blue dots ...
FAKE_STROKE = "#0072b2"  # ... with a darker rim of the same hue
D_CURVE = "#b35806"  # D(x) in 1D
D_STAR = "#542788"  # D*(x)
REAL_DENSITY = "rgba(17, 17, 17, 0.18)"  # the real density's filled area (its outline: REAL_DENSITY_LINE)
REAL_DENSITY_LINE = "#333"
FAKE_DENSITY = "#0072b2"  # the generated density's curve
D_HALF = "rgba(0,0,0,0.55)"  # the D = 1/2 contour

# D's diverging map (ColorBrewer PuOr, colour-blind safe): purple = "looks generated" (D -> 0), near
# white = undecided (D = 1/2), orange = "looks real" (D -> 1); evenly spaced stops from 0 to 1.
PUOR = ((45, 0, 75), (84, 39, 136), (128, 115, 172), (178, 171, 210), (216, 218, 235), (247, 247, 247),
        (254, 224, 182), (253, 184, 99), (224, 130, 20), (179, 88, 6), (127, 59, 8))


def d_colorscale() -> list[list]:
    """PUOR as a plotly colorscale (the page draws D's surface at alpha 170/255 over white: so does the report)."""
    n = len(PUOR) - 1
    return [[i / n, f"rgb({r},{g},{b})"] for i, (r, g, b) in enumerate(PUOR)]

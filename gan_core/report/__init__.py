"""Self-contained HTML pages (plotly) of a run and of the mode-coverage study; the only part of gan_core that imports plotly."""

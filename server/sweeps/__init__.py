"""Sweeps for the page's Map panel: server.sweeps.service.SweepService (gan_core's sweep, run off the
event loop in a warm pool of low-priority workers, with a cap per client). Imports no web code."""

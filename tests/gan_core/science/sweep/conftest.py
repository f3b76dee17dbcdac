"""Shared by the sweep tests: one warm pool of two sweep workers for the whole session (starting one
costs a few seconds: spawn, import torch, a warm-up run), closed at the end."""

import pytest

from gan_core.science.sweep import LocalPool


@pytest.fixture(scope="session")
def sweep_pool():
    with LocalPool(jobs=2) as pool:
        yield pool

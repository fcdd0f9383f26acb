"""Shared pytest set-up for cnnlab's tests.

Hypothesis runs with no deadline (the first call of a NumPy routine can be slow on a busy
machine) and a modest number of examples, so the whole suite stays quick on two cores.  Set
``HYPOTHESIS_PROFILE=thorough`` for a longer search.
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "cnnlab", deadline=None, max_examples=25, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "cnnlab"))


@pytest.fixture
def rng():
    """A seeded random generator, fresh for each test."""
    return np.random.default_rng(20261123)

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



# `make test` runs in several processes (pytest-xdist, --dist loadscope): a notebook's cells
# share one kernel and a module's tests often share an expensive module fixture (a built
# assignment, a Jupyter server, a browser), so each file is one unit that one process runs in
# order.  The browser tests of the widget pages are independent page by page (their fixture is
# a headless Chromium, a second start is cheap) and are spread over the processes, since as one
# unit they would be the last and longest.
_SPREAD = ("tests/test_browser_widgets.py::",)


@pytest.hookimpl(optionalhook=True)      # a hook of pytest-xdist: ignored without it
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    if config.getoption("dist") != "loadscope":
        return None

    class SpreadBrowserPages(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return nodeid if nodeid.startswith(_SPREAD) else super()._split_scope(nodeid)

    return SpreadBrowserPages(config, log)

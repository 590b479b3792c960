"""Test-session settings shared by the tests and the doctests.

The disk cache of compiled pytensor functions (``decide._config.PYMC_DISK_CACHE_DIR``)
is pointed at a fresh temporary directory, removed at the end of the session: the tests
never write to the user's cache and never read a stale one. Subprocesses inherit it
through ``DECIDE_CACHE_DIR``.
"""

from __future__ import annotations

import os
import shutil
import tempfile

_CACHE_DIR = tempfile.mkdtemp(prefix="decide-test-cache-")
os.environ["DECIDE_CACHE_DIR"] = _CACHE_DIR

from decide import _config  # noqa: E402  (after the environment is set)

_config.PYMC_DISK_CACHE_DIR = _CACHE_DIR  # type: ignore[misc]  (decide was imported earlier)


def pytest_sessionfinish(session, exitstatus) -> None:
    """Remove the session's disk cache."""
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)

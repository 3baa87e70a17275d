"""Fixtures for the widgets' Python-side tests."""

from __future__ import annotations

from typing import Any, Iterator

import pytest


@pytest.fixture
def ipython_shell() -> Iterator[Any]:
    """IPython's global test shell, made the current shell (``IPython.get_ipython()``) for this test only.

    Other test modules tear the singleton down after use; this puts it back for
    the test and leaves things as it found them.
    """
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.testing import globalipapp

    shell = globalipapp.start_ipython() or globalipapp.get_ipython()
    classes = [c for c in type(shell).__mro__ if isinstance(c, type) and issubclass(c, InteractiveShell)]
    was_current = InteractiveShell.initialized() and InteractiveShell.instance() is shell
    if not was_current:
        for cls in classes:
            cls._instance = shell
    try:
        yield shell
    finally:
        if not was_current:
            for cls in classes:
                cls._instance = None

"""A safety net for pandas imported outside any cell by a background thread (a metric flush, say).

pandas picks ``display.max_columns`` when it is imported: 20 in a notebook
kernel, 0 ("fit the terminal") when ``get_ipython`` is not a builtin, which
IPython only provides while a cell runs. So an import made between cells
by any thread sets the terminal value, and wide frames print cut. Our own
code avoids importing pandas (``core.arrow_columns``); this restores the
notebook value if pandas appeared between two cells anyway.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["restore_notebook_display"]

_NOTEBOOK_MAX_COLUMNS = 20  # pandas' own value for a kernel (pandas.core.config_init)


def restore_notebook_display(shell: Any) -> bool:
    """Set ``display.max_columns`` (value and default) to the kernel value if pandas took the terminal one.

    Returns whether anything changed. Outside a kernel (a terminal IPython) 0 is right and is kept.
    """
    pd = sys.modules.get("pandas")
    if pd is None or getattr(shell, "kernel", None) is None:
        return False
    try:
        from pandas._config import config

        key = "display.max_columns"
        option = config._registered_options.get(key)
        if option is None or option.defval != 0 or pd.get_option(key) != 0:
            return False
        config._registered_options[key] = option._replace(defval=_NOTEBOOK_MAX_COLUMNS)
        pd.set_option(key, _NOTEBOOK_MAX_COLUMNS)
        return True
    except Exception:  # noqa: BLE001 -- pandas internals moved: leave pandas alone
        return False

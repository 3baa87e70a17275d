"""Serving: ``mlm serve`` scores a registered model version over HTTP (uvicorn + Starlette).

The package imports nothing from Jupyter: a model server runs where only
``mlm-jupyter[serve]`` is installed and reaches the store like any script.

- ``payload``: MLflow scoring-server request formats -> a frame or an array.
- ``input_check``: inputs checked against the version's signature (400s name the column).
- ``served_model``: a loaded version, the slot requests read it from, and the safe load.
- ``alias_follower``: reloads in the background when the alias moves; swaps between requests.
- ``observation``: the one adapter to ``mlm.monitor`` (every prediction logged with its version).
- ``shadow``: scores a challenger off the response path.
- ``app``: the Starlette routes; ``runner``: uvicorn with N workers.
"""

from __future__ import annotations

__all__ = ["ServeConfig"]

from mlm_jupyter.serving.config import ServeConfig

"""MonitoredModel: a loaded model whose ``predict`` and ``predict_proba`` log themselves to a Monitor."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from mlm_jupyter.tracking.monitor import Monitor

__all__ = ["MonitoredModel"]

log = logging.getLogger("mlm_jupyter")


class MonitoredModel:
    """Wraps ``model``: predictions are returned unchanged, then logged (a logging failure is logged,
    never raised into the caller's request). Every other attribute is the model's own."""

    def __init__(self, model: Any, monitor: Monitor) -> None:
        self.model = model
        self.monitor = monitor
        self._warned = False

    def _log(self, X: Any, y_pred: Any, proba: Any = None, ids: Any = None) -> None:
        try:
            self.monitor.log(X, y_pred, ids=ids, proba=proba)
        except Exception:  # noqa: BLE001 -- observation must never break serving
            if not self._warned:
                log.warning("mlm-jupyter: could not log predictions of %s v%s", self.monitor.model_name,
                            self.monitor.version, exc_info=True)
                self._warned = True

    def predict(self, X: Any, *args: Any, ids: Any = None, **kwargs: Any) -> Any:
        """``model.predict(X)``, logged with ``ids`` when given."""
        y_pred = self.model.predict(X, *args, **kwargs)
        self._log(X, y_pred, ids=ids)
        return y_pred

    def predict_proba(self, X: Any, *args: Any, ids: Any = None, **kwargs: Any) -> Any:
        """``model.predict_proba(X)``; the logged prediction is the most likely class."""
        proba = self.model.predict_proba(X, *args, **kwargs)
        classes = getattr(self.model, "classes_", None)
        array = np.asarray(proba)
        y_pred = None
        if array.ndim == 2 and len(array):
            best = array.argmax(axis=1)
            y_pred = np.asarray(classes)[best] if classes is not None and len(classes) == array.shape[1] else best
        self._log(X, y_pred, proba=array, ids=ids)
        return proba

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["model"], name)

    def __repr__(self) -> str:
        return f"MonitoredModel({self.model!r}, {self.monitor!r})"

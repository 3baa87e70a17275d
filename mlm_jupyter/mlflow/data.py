"""``mlflow.data``: datasets to pass to ``mlflow.log_input`` (fingerprinted by mlm when logged)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Dataset", "from_numpy", "from_pandas"]


@dataclass(frozen=True)
class Dataset:
    """A dataset to log: ``df`` (or ``features``), a ``name``, ``targets`` and ``source``."""

    df: Any
    name: str | None = None
    targets: str | None = None
    source: Any = None
    features: Any = None

    @property
    def digest(self) -> str:
        from mlm_jupyter.core.fingerprint import fingerprint

        return str(fingerprint(self.df if self.df is not None else self.features).digest)[:16]


def from_pandas(df: Any, source: Any = None, targets: str | None = None, name: str | None = None,
                digest: str | None = None, predictions: str | None = None) -> Dataset:
    return Dataset(df=df, name=name, targets=targets, source=source)


def from_numpy(features: Any, source: Any = None, targets: Any = None, digest: str | None = None,
               name: str | None = None) -> Dataset:
    return Dataset(df=None, name=name, source=source, features=features)

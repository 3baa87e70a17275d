"""Arguments of ``search_runs`` under our names and MLflow's, reduced to one filter, experiment list and order."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mlm_jupyter.core.errors import InvalidInputError

__all__ = ["MlflowSearchNames", "search_arguments"]


def search_arguments(filter: str | None = None, experiment: str | Iterable[str] | None = None,
                     order_by: str | Sequence[str] | None = None, *, filter_string: str | None = None,
                     experiment_names: str | Iterable[str] | None = None,
                     experiment_ids: str | Iterable[str] | None = None,
                     id_to_name: Callable[[], dict[str, str]] | None = None,
                     ) -> tuple[str | None, list[str] | None, list[str]]:
    """Reduce both spellings to ``(filter, experiments, order_by)``.

    ``filter_string``, ``experiment_names`` and ``experiment_ids`` are
    MLflow's names; ``experiment_ids`` takes our experiment ids (or names).
    A single ``order_by`` string is one clause, not a list of characters.

    Raises:
        InvalidInputError: both spellings of the filter were given and differ.
    """
    if filter_string is not None and filter is not None and filter_string != filter:
        raise InvalidInputError("give the run filter once: either filter=... or filter_string=..., not both")
    text = filter if filter is not None else filter_string
    if text is not None and not isinstance(text, str):
        raise InvalidInputError(f"the run filter is a string such as \"metrics.auc > 0.9\", not a "
                                f"{type(text).__name__}; pass experiment=... to choose experiments.")
    if text is not None and not text.strip():
        text = None  # MLflow's default filter_string is ""
    experiments: list[str] = []
    for given in (experiment, experiment_names):
        experiments += _names(given)
    ids = _names(experiment_ids)
    if ids:
        known = id_to_name() if id_to_name is not None else {}
        experiments += [known.get(i, i) for i in ids]
    if order_by is not None and not isinstance(order_by, (str, list, tuple)):
        raise InvalidInputError(f"order_by is a string or a list of strings such as ['metrics.auc desc'], "
                                f"not a {type(order_by).__name__}")
    orders = [order_by] if isinstance(order_by, str) else list(order_by or [])
    return text, (list(dict.fromkeys(experiments)) or None), orders


def _names(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Iterable):
        raise InvalidInputError(f"experiments are given by name, a string or a list of strings, not a "
                                f"{type(value).__name__} ({value!r:.40})")
    return [str(v) for v in value]


class MlflowSearchNames:
    """``MlmClient.search_runs`` also under MLflow's keyword names (a mixin placed before ``RunsClient``).

    ``client.search_runs(experiment_ids=[...], filter_string="...", order_by="metrics.acc desc")``
    works as it does in MLflow; our own positional form is unchanged. ``search_runs_table`` takes the same.
    """

    def search_runs(self, filter: str | None = None, experiment: str | Iterable[str] | None = None,
                    order_by: str | Sequence[str] | None = None, max_results: int = 1000, offset: int = 0, *,
                    filter_string: str | None = None, experiment_names: str | Iterable[str] | None = None,
                    experiment_ids: str | Iterable[str] | None = None) -> Any:
        arguments = self._search_arguments(filter, experiment, order_by, max_results, offset, filter_string,
                                           experiment_names, experiment_ids)
        return super().search_runs(*arguments)  # type: ignore[misc]

    def search_runs_table(self, filter: str | None = None, experiment: str | Iterable[str] | None = None,
                          order_by: str | Sequence[str] | None = None, max_results: int = 1000, offset: int = 0, *,
                          filter_string: str | None = None, experiment_names: str | Iterable[str] | None = None,
                          experiment_ids: str | Iterable[str] | None = None) -> Any:
        arguments = self._search_arguments(filter, experiment, order_by, max_results, offset, filter_string,
                                           experiment_names, experiment_ids)
        return super().search_runs_table(*arguments)  # type: ignore[misc]

    def _search_arguments(self, filter: Any, experiment: Any, order_by: Any, max_results: Any, offset: Any,
                          filter_string: Any, experiment_names: Any,
                          experiment_ids: Any) -> tuple[str | None, list[str] | None, list[str], int, Any]:
        try:
            limit = operator.index(max_results)  # ints and numpy ints; not floats or strings
        except TypeError:
            limit = -1
        if isinstance(max_results, bool) or limit < 0:
            raise InvalidInputError(f"max_results is a whole number of runs (0 or more), not {max_results!r}")
        names_to_ids: Callable[[], dict[str, str]] = getattr(self, "experiment_ids")  # noqa: B009 -- RunsClient's
        text, experiments, orders = search_arguments(
            filter, experiment, order_by, filter_string=filter_string, experiment_names=experiment_names,
            experiment_ids=experiment_ids, id_to_name=lambda: {id_: name for name, id_ in names_to_ids().items()})
        return text, experiments, orders, limit, offset

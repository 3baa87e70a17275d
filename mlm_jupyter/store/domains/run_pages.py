"""One page of a run search as plain rows: what a view paints, read without Arrow, numpy or pandas.

``search_runs`` answers in Arrow (a long table per map column) because its
callers build DataFrames over thousands of runs. A view shows 50: the runs
table widget and the sidebar need run objects, and going through Arrow costs a
fresh process more than the page (``pa.array``, ``Array.to_numpy`` and
``pyarrow.compute`` import pandas, about half a second). Here DuckDB's
``fetchall`` hands over the page's rows, maps as dicts, and nothing else is
imported. The plan is ``search_runs``' own, step for step (same filter
compilation, order, ties, NaN placement and count rules), so a page here
holds the same runs in the same order with the same total; the tests compare
the two.
"""

from __future__ import annotations

from typing import Any, Sequence

from mlm_jupyter.core.query import compile_order_by
from mlm_jupyter.store.domains import search_columns
from mlm_jupyter.store.domains.runs import count_matches, search_where
from mlm_jupyter.store.session import Session

__all__ = ["READERS", "runs_page"]

# column in run_summaries -> key of the run object
_BASE = (("run_id", "id"), ("name", "name"), ("status", "status"), ("experiment", "experiment"),
         ("start_time", "start_time"), ("end_time", "end_time"), ("user_name", "user"))
_DETAIL = (("status_reason", "status_reason"), ("parent_run_id", "parent_run_id"), ("source", "source"),
           ("owner", "owner"))
_MAPS = ("params", "metrics", "tags")
_START = 4  # position of start_time in a row


def runs_page(s: Session, filter: str | None = None, experiments: list[str] | None = None,
              order_by: list[str] | None = None, max_results: int = 50, offset: int = 0,
              detail: bool = False, total: int | None = None) -> dict[str, Any]:
    """``{"runs": [run object, ...], "total": n}``: the page ``search_runs`` would give, as plain data.

    A run object is ``{"id", "name", "status", "experiment", "start_time", "end_time", "user",
    "params": {}, "metrics": {}, "tags": {}}`` (times in epoch seconds; ``detail`` adds
    ``status_reason``, ``parent_run_id``, ``source`` and ``owner``); maps are sorted by key and
    keep every stored value, NaN and infinities included (the REST codec carries them).
    Arguments and ``total`` (a count the caller already holds) are those of ``search_runs``.
    """
    where_sql, params = search_where(filter, experiments,
                                     columns=search_columns.for_search(s) if filter else None)
    limit, offset = max(int(max_results), 0), max(int(offset), 0)
    known = None if total is None else max(int(total), 0)
    columns = _BASE + (_DETAIL if detail else ())
    # a map's keys and values as two lists: DuckDB hands lists over at twice the speed of maps
    maps = ", ".join(f"map_keys(s.{name}), map_values(s.{name})" for name in _MAPS)
    select = f"SELECT {', '.join(f's.{column}' for column, _ in columns)}, {maps} FROM run_summaries s"
    rows: list[tuple[Any, ...]] | None = None
    if limit and not order_by:
        rows, count = _matches_in_default_order(s, select, where_sql, params, offset, limit)
    if rows is None:
        rows, count = _ordered_page(s, select, where_sql, params, order_by or [], limit, offset, known)
    names = [key for _, key in columns]
    return {"runs": [_run_object(names, row) for row in rows], "total": count}


def _matches_in_default_order(s: Session, select: str, where_sql: str, params: list[Any], offset: int,
                              limit: int) -> tuple[list[tuple[Any, ...]] | None, int]:
    """Newest first without DuckDB's sort when at most ``offset + limit`` runs match (see
    ``search_runs``' function of that name); ``(None, 0)`` when more match or a start time is NaN."""
    wanted = offset + limit
    found = s.con.execute(f"{select} WHERE {where_sql} LIMIT ?", [*params, wanted + 1]).fetchall()
    if len(found) > wanted or any(row[_START] != row[_START] for row in found):
        return None, 0  # NaN sorts first in DuckDB: let DuckDB order it
    found.sort(key=lambda row: (-row[_START], row[0]))  # start_time desc, then run_id (byte order = code points)
    return found[offset:wanted], len(found)


def _ordered_page(s: Session, select: str, where_sql: str, params: list[Any], order_by: list[str], limit: int,
                  offset: int, known: int | None) -> tuple[list[tuple[Any, ...]], int]:
    """DuckDB's top-N page and the total, counted only when the page does not tell it (``_top_matches``).

    A filtered page in a chosen order takes its total from the same scan as the page's ids
    (``_sorted_matches``): the filter is what costs at a million runs.
    """
    order_sql, order_params = compile_order_by(order_by, search_columns.for_search(s))
    if limit and order_by and where_sql != "(TRUE)" and known is None:
        found = s.con.execute(
            f"SELECT s.run_id, count(*) OVER () FROM run_summaries s WHERE {where_sql} "
            f"ORDER BY {order_sql} LIMIT ? OFFSET ?", [*params, *order_params, limit, offset]).fetchall()
        if not found:
            return [], count_matches(s, where_sql, params)
        ids = [run_id for run_id, _ in found]
        by_id = {row[0]: row for row in s.con.execute(f"{select} WHERE list_contains(?, s.run_id)",
                                                      [ids]).fetchall()}
        return [by_id[run_id] for run_id in ids if run_id in by_id], int(found[0][1])
    page: list[tuple[Any, ...]] = []
    if limit:
        page = s.con.execute(f"{select} WHERE {where_sql} ORDER BY {order_sql} LIMIT ? OFFSET ?",
                             [*params, *order_params, limit, offset]).fetchall()
        if len(page) < limit and (page or not offset):
            return page, offset + len(page)
    return page, known if known is not None else count_matches(s, where_sql, params)


def _run_object(names: Sequence[str], row: tuple[Any, ...]) -> dict[str, Any]:
    run = dict(zip(names, row))
    at = len(names)
    for index, name in enumerate(_MAPS):
        keys, values = row[at + 2 * index], row[at + 2 * index + 1]
        run[name] = dict(sorted(zip(keys, values))) if keys else {}
    return run


READERS = {"runs_page": runs_page}

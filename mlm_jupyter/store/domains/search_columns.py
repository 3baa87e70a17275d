"""Typed search columns: the params and metrics a search filters on, as plain columns of ``run_summaries``.

Why: ``run_summaries`` holds each run's params and latest metrics as maps. A filter such as
``params.p3 = 'v3' and metrics.m0 > 0.5`` evaluated on the maps looks each key up in every run's map
(a search through its keys): 5-6 ms of a 12 ms search at 10,000 runs, and most of a filtered page or
count at a million. The same comparison on a plain column costs a fraction of that: DuckDB compares a
dictionary-compressed column in bulk and pushes the condition into its scan.

The maps stay the record: pages, DataFrames and every other read come from them. The columns are a copy
that every write changing a map keeps in step inside the same transaction: ``log_params``, the metric
flush, a create that finds points logged before its run, the bulk import. ``search_columns`` names them.

* ``params``: the param's text (VARCHAR); ``params_num``: its number where it parses as one (DOUBLE);
  ``metrics``: the latest value (DOUBLE) with NaN stored as NULL. A search treats NaN as neither above,
  below nor equal to a number, which is what NULL gives; ``!=``, ``IN``, ``IS NULL`` and ordering on a
  metric read the map, where a NaN differs from a missing key.
* The first ``MAX_KEYS`` param keys and ``MAX_KEYS`` metric keys a store sees get columns; later keys are
  searched through the maps, as before, so a store whose runs log thousands of distinct keys does not
  grow thousands of columns.
* A column is added when its key is first written, and filled from the maps of the runs that already
  hold the key (a store made before this existed). Columns are never dropped, so a reader whose list is
  older than the store's only misses the newest columns and reads those keys from the maps: correct,
  just slower.
* Each connection keeps the list it read (reading it checks the catalog: ~2.5 ms). It stays right while
  the connection is open: no other process can write the file then, and a connection of this process that
  adds columns bumps the store's generation here, which makes the others read it again.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from typing import Any

from mlm_jupyter.store.session import Session

__all__ = ["MAX_KEYS", "ensure", "expression", "for_search", "forget", "registered"]

MAX_KEYS = 48  # per kind of key (params, metrics): 48 param keys take 96 columns (text and number)
_TYPES = {"params": "VARCHAR", "params_num": "DOUBLE", "metrics": "DOUBLE"}
_FROM_MAP = {"params": "{t}params[?]", "params_num": "{t}params_num[?]",
             "metrics": "nullif({t}metrics[?], 'NaN'::DOUBLE)"}
_KINDS_OF = {"params": ("params", "params_num"), "metrics": ("metrics",)}
_NAME = re.compile(r"sc[0-9]{1,9}")
_COLUMNS_OF_SUMMARIES = ("SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                         "AND schema_name = 'main' AND table_name = 'run_summaries'")
# the list each connection last read or changed, with the store's generation then
_known: weakref.WeakKeyDictionary[Any, tuple[int, dict[tuple[str, str], str]]] = weakref.WeakKeyDictionary()
_generation: dict[str, int] = {}  # per store folder: bumped when a connection of this process adds columns


def registered(s: Session) -> dict[tuple[str, str], str]:
    """Every typed column of the store, ``(kind, key) -> column name``: the listed columns that exist (a
    ``run_summaries`` rebuilt without them lists none) and have a name ``ensure`` makes (the name goes into
    SQL, and a store file can come from anyone)."""
    rows = s.con.execute(f"SELECT kind, key, name FROM search_columns WHERE name IN ({_COLUMNS_OF_SUMMARIES})"
                         ).fetchall()
    return {(kind, key): name for kind, key, name in rows if kind in _TYPES and _NAME.fullmatch(name)}


def for_search(s: Session) -> dict[tuple[str, str], str]:
    """The typed columns a filter may read (``registered``, kept per connection: see the module)."""
    generation = _generation.get(_directory(s), 0)
    try:
        known = _known.get(s.con)
    except TypeError:  # a connection that takes no weak reference: read the list each time
        return registered(s)
    if known is not None and known[0] == generation:
        return known[1]
    columns = registered(s)
    _known[s.con] = (generation, columns)
    return columns


def expression(kind: str, table: str = "") -> str:
    """The SQL (one ``?``: the key) that reads a typed column's value from its map in ``table``."""
    return _FROM_MAP[kind].format(t=f"{table}." if table else "")


def ensure(s: Session, prefix: str, keys: Iterable[str]) -> dict[tuple[str, str], str]:
    """Every typed column, after adding columns for those of ``keys`` (``prefix``: params or metrics) that
    have none while there is room. Runs inside the writing transaction: a rollback takes the columns back
    (the store then calls ``forget``). A write whose keys all have columns, or cannot get one, reads
    nothing (the connection's list).
    """
    kinds = _KINDS_OF[prefix]
    wanted = list(dict.fromkeys(keys))
    columns = for_search(s)
    if not _room_for(columns, kinds[0], wanted):
        return columns
    columns = registered(s)  # about to add: decide on the stored list, not a remembered one
    added = _room_for(columns, kinds[0], wanted)
    if added:
        existing = [row[0] for row in s.con.execute(_COLUMNS_OF_SUMMARIES).fetchall()]
        # listed columns that are gone (a rebuilt run_summaries) are unlisted; names are never reused
        s.con.execute(f"DELETE FROM search_columns WHERE name NOT IN ({_COLUMNS_OF_SUMMARIES})")
        listed = [row[0] for row in s.con.execute("SELECT name FROM search_columns").fetchall()]
        number = max((int(name[2:]) for name in [*existing, *listed] if _NAME.fullmatch(name)), default=0)
        for key in added:
            for kind in kinds:
                number += 1
                name = f"sc{number}"  # generated, never user text: safe to place in SQL
                s.con.execute(f'ALTER TABLE run_summaries ADD COLUMN "{name}" {_TYPES[kind]}')
                s.con.execute("INSERT INTO search_columns (kind, key, name) VALUES (?, ?, ?)", [kind, key, name])
                columns[(kind, key)] = name
        # runs that hold these keys already (a store older than its columns): fill them from the maps
        sets = ", ".join(f'"{columns[(kind, key)]}" = {expression(kind)}' for key in added for kind in kinds)
        holder = " OR ".join(f"map_contains({prefix}, ?)" for _ in added)
        s.con.execute(f"UPDATE run_summaries SET {sets} WHERE {holder}",
                      [key for key in added for _ in kinds] + list(added))
        directory = _directory(s)
        _generation[directory] = _generation.get(directory, 0) + 1
    try:
        _known[s.con] = (_generation.get(_directory(s), 0), columns)
    except TypeError:
        pass
    return columns


def forget(con: Any) -> None:
    """The writing transaction on ``con`` rolled back: the columns it added are gone, and so is its list."""
    try:
        _known.pop(con, None)
    except TypeError:  # a connection that takes no weak reference remembers nothing
        pass


def _room_for(columns: dict[tuple[str, str], str], kind: str, keys: list[str]) -> list[str]:
    """The keys that have no column yet and would get one (the first, up to ``MAX_KEYS`` of the kind)."""
    missing = [key for key in keys if (kind, key) not in columns]
    if not missing:
        return []
    room = MAX_KEYS - sum(1 for have, _ in columns if have == kind)
    return missing[:max(room, 0)]


def _directory(s: Session) -> str:
    return str(s.directory)

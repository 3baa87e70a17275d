"""What a domain's appliers and readers get: the open connection and the store's folders."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["Session", "first_row"]


def first_row(con: Any, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
    """The first row of a query, or ``None``; always drains the result.

    DuckDB 2 refuses further work (``register`` in particular) on a connection
    whose last result was not fully fetched, so never use ``fetchone()``.
    """
    rows = con.execute(sql, list(params)).fetchall()
    return tuple(rows[0]) if rows else None


@dataclass
class Session:
    """One open DuckDB connection inside the store, plus helpers every domain needs."""

    con: Any
    directory: Path
    clock: Callable[[], float] = field(default=time.time)

    def now(self) -> float:
        return self.clock()

    def insert_table(self, target: str, table: pa.Table, columns: Sequence[str] | None = None,
                     conflict: str = "") -> None:
        """Bulk insert an Arrow table (never row by row: see JUPYTER-NOTES on executemany)."""
        name = "_mlm_incoming"
        self.con.register(name, table)
        try:
            cols = list(columns or table.column_names)
            col_sql = ", ".join(f'"{c}"' for c in cols)
            self.con.execute(f"INSERT INTO {target} ({col_sql}) SELECT {col_sql} FROM {name} {conflict}")
        finally:
            self.con.unregister(name)

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row of a query, or ``None`` (see ``first_row``)."""
        return first_row(self.con, sql, params)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Query rows as dicts (for small results)."""
        cursor = self.con.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def table(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Query a result as an Arrow table (for large results)."""
        return self.con.sql(sql, params=list(params) or None).to_arrow_table()

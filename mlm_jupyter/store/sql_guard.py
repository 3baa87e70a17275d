"""What read-only raw SQL may touch: the store's own tables and ordinary functions, never settings, paths or files.

``mlm sql``, ``%mlm sql`` and ``POST /mlm/api/store/sql`` run a caller's
SELECT. Being read-only is not enough: DuckDB's introspection answers with
the server's paths and configuration (``duckdb_settings()``,
``current_setting('temp_directory')``, ``duckdb_databases()``,
``pragma_database_list``), ``query('...')`` runs a statement built from a
string, and file readers reach the disk (external access is off as well,
but its error messages name paths). So a statement is parsed by DuckDB
itself (``json_serialize_sql``) and every relation and function in it is
checked: tables and views must be the store's own (or a CTE of the query,
or ``information_schema``), table functions come from a short list of
generators, and scalar functions that read settings, variables or the
environment are refused.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from mlm_jupyter.core.errors import InvalidInputError, PermissionDeniedError

__all__ = ["ALLOWED_TABLE_FUNCTIONS", "check_statement", "store_relations"]

# Generators over values the query itself gives: nothing outside the statement is read.
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest", "json_each", "json_tree"})
_REFUSED_FUNCTIONS = frozenset({"current_setting", "getenv", "getvariable", "which_secret", "query", "query_table",
                                "read_text", "read_blob", "glob", "sniff_csv"})
_REFUSED_PREFIXES = ("duckdb_", "pragma_", "read_", "parquet_", "iceberg_", "delta_", "sqlite_", "postgres_",
                     "mysql_")
_ALLOWED_SCHEMAS = ("", "main")
_EXPLAIN = re.compile(r"^\s*explain(\s+analy[sz]e)?\s+", re.IGNORECASE)


def store_relations(con: Any) -> frozenset[str]:
    """Lower-cased names of the store's own tables and views (schema ``main`` of the open database)."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND schema_name = 'main' "
        "AND database_name = current_database() UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal "
        "AND schema_name = 'main' AND database_name = current_database()").fetchall()
    return frozenset(str(row[0]).lower() for row in rows)


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    stack = [value]
    while stack:  # iterative: a deeply nested statement must not exhaust Python's recursion
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _refusal(what: str, relations: frozenset[str]) -> PermissionDeniedError:
    shown = ", ".join(sorted(relations)[:12]) + (", ..." if len(relations) > 12 else "")
    return PermissionDeniedError(
        f"{what} is refused: it reads the server's settings, paths, files or environment rather than the store. "
        f"Raw SQL may read only the store's own tables ({shown}) and information_schema, with ordinary functions.")


def check_statement(con: Any, statement: str, relations: frozenset[str]) -> None:
    """Raise ``PermissionDeniedError`` if ``statement`` (one SELECT, or EXPLAIN of one) reads beyond the store.

    Args:
        con: a DuckDB connection, used only to parse (``json_serialize_sql`` runs nothing).
        statement: the caller's SQL.
        relations: the store's own tables and views (``store_relations``).
    """
    inner = _EXPLAIN.sub("", statement, count=1)
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [inner]).fetchone()[0])
    if tree.get("error"):
        raise InvalidInputError(f"SQL does not parse as one SELECT: {tree.get('error_message', '')}")
    ctes: set[str] = set()
    for node in _nodes(tree):
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            ctes.update(str(entry.get("key", "")).lower() for entry in cte_map.get("map") or [])
    database = str(con.execute("SELECT current_database()").fetchone()[0]).lower()
    for node in _nodes(tree):
        kind = node.get("type")
        if kind == "BASE_TABLE":
            name = str(node.get("table_name", "")).lower()
            schema = str(node.get("schema_name", "")).lower()
            catalog = str(node.get("catalog_name", "")).lower()
            if schema == "information_schema" and catalog in ("", database):
                continue
            if catalog not in ("", database) or schema not in _ALLOWED_SCHEMAS or \
                    (name not in relations and name not in ctes):
                raise _refusal(f"reading {'.'.join(p for p in (catalog, schema, name) if p)!r}", relations)
        elif kind == "TABLE_FUNCTION":
            function = node.get("function") or {}
            name = str(function.get("function_name", "")).lower()
            if name not in ALLOWED_TABLE_FUNCTIONS or function.get("schema") or function.get("catalog"):
                raise _refusal(f"the table function {name}()", relations)
        elif node.get("class") == "FUNCTION":
            name = str(node.get("function_name", "")).lower()
            if name in _REFUSED_FUNCTIONS or name.startswith(_REFUSED_PREFIXES) or node.get("catalog") \
                    or str(node.get("schema", "")).lower() not in _ALLOWED_SCHEMAS:
                raise _refusal(f"the function {name}()", relations)

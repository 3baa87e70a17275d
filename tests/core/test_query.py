"""The run search language: precedence, every operator, and errors that point at the column."""

from __future__ import annotations

import pytest

from mlm_jupyter.core.errors import QuerySyntaxError
from mlm_jupyter.core.query import compile_filter, compile_order_by, parse_field


def test_empty_filter_matches_everything() -> None:
    assert compile_filter("") == ("TRUE", [])
    assert compile_filter("   ") == ("TRUE", [])


def test_literals_become_parameters_never_sql_text() -> None:
    sql, params = compile_filter("tags.note = 'x''; DROP TABLE runs; --'")
    assert "DROP" not in sql
    assert params == ["note", "x'; DROP TABLE runs; --"]


def test_and_binds_tighter_than_or() -> None:
    sql, _ = compile_filter("metrics.a > 1 or metrics.b > 2 and metrics.c > 3")
    assert sql.startswith("(coalesce(nullif(s.metrics") and " OR (coalesce(nullif(s.metrics" in sql


def test_parentheses_override_precedence() -> None:
    sql, params = compile_filter("(metrics.a > 1 or metrics.b > 2) and metrics.c > 3")
    assert sql.startswith("((coalesce(nullif(s.metrics")
    assert params == ["a", 1, "b", 2, "c", 3]


def test_numeric_param_literal_compares_numbers() -> None:
    sql, params = compile_filter("params.lr < 0.1")
    assert "nullif(s.params_num[?], 'NaN'::DOUBLE) < ?" in sql and params == ["lr", 0.1]


def test_string_param_literal_compares_text() -> None:
    sql, params = compile_filter("params.optimizer = 'adam'")
    assert "s.params[?] = ?" in sql and params == ["optimizer", "adam"]


@pytest.mark.parametrize("text, fragment", [
    ("params.name like 'rf%'", "LIKE ?"),
    ("params.name ilike 'RF%'", "ILIKE ?"),
    ("params.name not like 'rf%'", "(NOT coalesce(s.params[?] LIKE ?"),
    ("attributes.status in ('finished', 'failed')", "s.status IN (?, ?)"),
    ("attributes.status not in ('killed')", "(NOT s.status IN (?))"),
    ("metrics.acc is null", "s.metrics[?] IS NULL"),
    ("metrics.acc is not null", "s.metrics[?] IS NOT NULL"),
    ("not metrics.acc > 0.5", "(NOT coalesce(nullif(s.metrics[?], 'NaN'::DOUBLE) > ?"),
    ("datasets.name = 'train'", "run_inputs"),
    ("attributes.end_time is null", "s.end_time IS NULL"),
])
def test_operators(text: str, fragment: str) -> None:
    sql, _ = compile_filter(text)
    assert fragment in sql


def test_keywords_are_case_insensitive() -> None:
    assert compile_filter("metrics.a > 1 AND NOT params.b = 2")[1] == ["a", 1, "b", 2.0]


def test_backticked_and_dotted_names() -> None:
    assert compile_filter("metrics.`val loss` < 1")[1] == ["val loss", 1]
    assert compile_filter("metrics.val.auc > 0.5")[1] == ["val.auc", 0.5]


def test_iso_dates_on_time_attributes() -> None:
    _, params = compile_filter("attributes.start_time > '2026-01-01'")
    assert params == [1767225600.0]


@pytest.mark.parametrize("text, column", [
    ("metrics.acc >", 14),
    ("metrics.acc > 1 and", 20),
    ("bogus.acc > 1", 1),
    ("metrics.acc = 'high'", 15),
    ("metrics.acc > 1 params.b = 2", 17),
    ("(metrics.acc > 1", 17),
    ("metrics.acc ~ 1", 13),
    ("attributes.colour = 'red'", 12),
    ("params.a is maybe", 13),
])
def test_syntax_errors_point_at_the_offending_column(text: str, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        compile_filter(text)
    assert caught.value.column == column
    assert "^" in str(caught.value)


def test_order_by_clauses() -> None:
    sql, params = compile_order_by(["metrics.acc desc", "attributes.name"])
    assert sql.index("DESC NULLS LAST") < sql.index("s.name ASC")
    assert params == ["acc"]


def test_parse_field() -> None:
    field = parse_field("params.`max depth`")
    assert (field.prefix, field.name) == ("params", "max depth")

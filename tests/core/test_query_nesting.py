"""A filter nested too deeply is a clear QuerySyntaxError, never a RecursionError (issue 11, item 4)."""

from __future__ import annotations

import pytest

from mlm_jupyter.core.errors import QuerySyntaxError
from mlm_jupyter.core.query import MAX_NESTING, MAX_TERMS, compile_filter


@pytest.mark.parametrize("text", [
    "(" * 500 + "metrics.a > 1" + ")" * 500,
    "not " * 2000 + "metrics.a > 1",
    "(not " * 400 + "metrics.a > 1" + ")" * 400,
    "(" * 100_000,
])
def test_deep_nesting_is_a_query_syntax_error(text: str) -> None:
    with pytest.raises(QuerySyntaxError, match="nested") as caught:
        compile_filter(text)
    assert caught.value.column > 0


def test_nesting_up_to_the_limit_still_compiles() -> None:
    depth = MAX_NESTING - 1
    sql, params = compile_filter("(" * depth + "metrics.a > 1" + ")" * depth)
    assert "?" in sql and params
    assert compile_filter("not not metrics.a > 1")[0].count("NOT") == 2


def test_too_many_terms_is_a_query_syntax_error() -> None:
    with pytest.raises(QuerySyntaxError, match="conditions"):
        compile_filter(" or ".join(f"params.p = '{i}'" for i in range(MAX_TERMS + 1)))
    compile_filter(" or ".join(f"params.p = '{i}'" for i in range(50)))

"""The run search language, compiled to parameterised DuckDB SQL.

Grammar (keywords are case-insensitive)::

    filter     := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | comparison
    comparison := field op value
                | field ["not"] "in" "(" value ("," value)* ")"
                | field ["not"] ("like" | "ilike") string
                | field "is" ["not"] "null"
    field      := ("metrics" | "params" | "tags" | "attributes" | "datasets") "." name
    op         := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="

A name is letters, digits, ``_ - . /`` or any text in backticks or double
quotes. Strings use single quotes (``''`` escapes a quote). Params compare as
numbers when the literal is a number (``params.lr < 0.1`` matches ``"0.01"``).
Every literal becomes a ``?`` parameter: user text never reaches SQL text.

The compiled SQL refers to ``run_summaries s`` (one row per run: its
attributes, experiment name, and ``params``, ``params_num``, ``metrics`` and
``tags`` maps) and, for ``datasets.``, a semi-join on ``run_inputs``. A
comparison on a key the run lacks is false (never NULL), so ``not`` keeps
runs without the key, as a semi-join would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from mlm_jupyter.core.errors import QuerySyntaxError

__all__ = ["ATTRIBUTES", "MAX_NESTING", "MAX_TERMS", "compile_filter", "compile_order_by", "filter_reads_clock",
           "parse_field"]

ATTRIBUTES: dict[str, str] = {
    "run_id": "s.run_id", "id": "s.run_id", "name": "s.name", "run_name": "s.name", "status": "s.status",
    "experiment": "s.experiment", "experiment_id": "s.experiment_id", "user": "s.user_name",
    "start_time": "s.start_time", "end_time": "s.end_time", "source": "s.source",
    "parent_run_id": "s.parent_run_id",
    "duration": "(coalesce(s.end_time, epoch(current_timestamp)) - s.start_time)",
}
_TIME_ATTRIBUTES = {"start_time", "end_time"}
# MLflow keeps some run attributes as system tags; a filter on them means the attribute
_MLFLOW_SYSTEM_TAGS = {"mlflow.runname": "name", "mlflow.user": "user", "mlflow.parentrunid": "parent_run_id",
                       "mlflow.source.name": "source"}
_MILLISECONDS_FROM = 1e11  # as epoch seconds that is the year 5138: such a time is MLflow's milliseconds
_DATASET_COLUMNS = {"name": "dataset", "dataset": "dataset", "role": "role", "digest": "digest"}
_PREFIXES = {"metrics": "metrics", "metric": "metrics", "params": "params", "param": "params",
             "parameters": "params", "tags": "tags", "tag": "tags", "attributes": "attributes",
             "attribute": "attributes", "attr": "attributes", "run": "attributes",
             "datasets": "datasets", "dataset": "datasets"}
_COMPARISONS = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_KEYWORDS = {"and", "or", "not", "in", "like", "ilike", "is", "null", "asc", "desc"}

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>`[^`]*`|"[^"]*")
  | (?P<op><=|>=|!=|<>|==|=|<|>)
  | (?P<punct>[(),.])
  | (?P<word>[^\s(),.'"`=<>!]+)
""", re.VERBOSE)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    column: int  # 1-based

    @property
    def keyword(self) -> str | None:
        lowered = self.text.lower()
        return lowered if self.kind == "word" and lowered in _KEYWORDS else None


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise QuerySyntaxError(f"unexpected character {text[position]!r}", text=text, column=position + 1)
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), position + 1))
        position = match.end()
    return tokens


@dataclass(frozen=True)
class Field:
    """A parsed ``prefix.name`` reference."""

    prefix: str
    name: str


# Bounds that keep a hostile filter from exhausting Python's recursion (the parser descends once per
# parenthesis or ``not``) or building an enormous SQL condition; real filters stay far below them.
MAX_NESTING = 50
MAX_TERMS = 1000


class _Parser:
    def __init__(self, text: str, columns: Mapping[tuple[str, str], str] | None = None) -> None:
        self.text = text
        self.columns = columns or {}
        self.tokens = _tokenize(text)
        self.index = 0
        self.params: list[Any] = []
        self.depth = 0
        self.terms = 0

    # helpers ------------------------------------------------------------
    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def error(self, message: str, token: Token | None = None) -> QuerySyntaxError:
        token = token or self.peek()
        column = token.column if token else len(self.text) + 1
        return QuerySyntaxError(message, text=self.text, column=column)

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error("the filter ends too early")
        self.index += 1
        return token

    def accept_keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and token.keyword in words:
            self.index += 1
            return token.keyword
        return None

    def expect_punct(self, char: str) -> Token:
        token = self.peek()
        if token is None or token.text != char:
            raise self.error(f"expected {char!r}")
        return self.take()

    # grammar --------------------------------------------------------------
    def parse(self) -> str:
        if not self.tokens:
            return "TRUE"
        sql = self.or_expr()
        if self.peek() is not None:
            raise self.error(f"unexpected {self.peek().text!r}; expected 'and', 'or' or the end")  # type: ignore[union-attr]
        return sql

    def or_expr(self) -> str:
        parts = [self.and_expr()]
        while self.accept_keyword("or"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def and_expr(self) -> str:
        parts = [self.not_expr()]
        while self.accept_keyword("and"):
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def not_expr(self) -> str:
        token = self.peek()
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"the filter is nested more than {MAX_NESTING} levels deep (parentheses and 'not'); "
                             "simplify it", token)
        try:
            if self.accept_keyword("not"):
                return f"(NOT {self.not_expr()})"
            if token is not None and token.text == "(":
                self.take()
                inner = self.or_expr()
                self.expect_punct(")")
                return inner
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise self.error(f"the filter has more than {MAX_TERMS} conditions; narrow it, or use IN (...) "
                                 "for a list of values", token)
            return self.comparison()
        finally:
            self.depth -= 1

    def field(self) -> Field:
        token = self.take()
        if token.kind != "word" or token.keyword is not None:
            raise self.error(f"expected a field such as metrics.acc or params.lr, got {token.text!r}", token)
        prefix = _PREFIXES.get(token.text.lower())
        following = self.peek()
        if token.text.lower() in ATTRIBUTES and (following is None or following.text != "."):
            return Field("attributes", token.text)  # MLflow habit: a bare attribute (status, start_time)
        if prefix is None:
            raise self.error(
                f"unknown field kind {token.text!r}; use metrics., params., tags., attributes. or datasets.", token)
        self.expect_punct(".")
        name_token = self.take()
        if name_token.kind == "quoted":
            name = name_token.text[1:-1]
        elif name_token.kind in ("word", "number"):
            name = name_token.text
            # names may contain dots: metrics.val.auc
            while self.peek() is not None and self.peek().text == "." and self.index + 1 < len(self.tokens):  # type: ignore[union-attr]
                nxt = self.tokens[self.index + 1]
                if nxt.kind not in ("word", "number") or nxt.column != self.peek().column + 1:  # type: ignore[union-attr]
                    break
                self.index += 2
                name += "." + nxt.text
        else:
            raise self.error(f"expected a name after {token.text}.", name_token)
        if prefix == "tags" and name.lower() in _MLFLOW_SYSTEM_TAGS:
            return Field("attributes", _MLFLOW_SYSTEM_TAGS[name.lower()])
        if prefix == "attributes" and name.lower() not in ATTRIBUTES:
            raise self.error(f"unknown attribute {name!r}; known: {', '.join(sorted(ATTRIBUTES))}", name_token)
        if prefix == "datasets" and name.lower() not in _DATASET_COLUMNS:
            raise self.error(f"unknown dataset field {name!r}; use datasets.name, datasets.role or datasets.digest",
                             name_token)
        return Field(prefix, name)

    def value(self) -> tuple[Any, Token]:
        token = self.take()
        if token.kind == "number":
            number = float(token.text)
            return (int(number) if number.is_integer() and re.fullmatch(r"[-+]?\d+", token.text) else number), token
        if token.kind == "string":
            return token.text[1:-1].replace("''", "'"), token
        if token.kind == "word" and token.text.lower() in ("true", "false"):
            return token.text.lower(), token
        if token.kind == "quoted" and token.text.startswith('"'):
            return token.text[1:-1], token
        raise self.error(f"expected a value (a number or a 'quoted string'), got {token.text!r}", token)

    def comparison(self) -> str:
        start = self.peek()
        field = self.field()
        token = self.peek()
        if token is None:
            raise self.error("expected a comparison after the field")
        if token.keyword == "is":
            self.take()
            negate = bool(self.accept_keyword("not"))
            if not self.accept_keyword("null"):
                raise self.error("expected NULL after IS")
            return self.compile_null(field, negate)
        negate = False
        if token.keyword == "not":
            self.take()
            negate = True
            token = self.peek()
            if token is None or token.keyword not in ("in", "like", "ilike"):
                raise self.error("expected IN, LIKE or ILIKE after NOT")
        if token.keyword == "in":
            self.take()
            self.expect_punct("(")
            values = [self.value()]
            while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                self.take()
                values.append(self.value())
            self.expect_punct(")")
            return self.compile_in(field, values, negate, start)
        if token.keyword in ("like", "ilike"):
            operator = token.keyword.upper()
            self.take()
            pattern, value_token = self.value()
            if not isinstance(pattern, str):
                raise self.error(f"{operator} needs a 'quoted pattern'", value_token)
            sql = self.compile_text(field, f"{operator} ?", [pattern], value_token)
            return f"(NOT {sql})" if negate else sql
        if token.kind != "op":
            raise self.error(f"expected a comparison operator (=, !=, <, <=, >, >=, LIKE, IN, IS), got {token.text!r}")
        self.take()
        operator = _COMPARISONS[token.text]
        value, value_token = self.value()
        return self.compile_compare(field, operator, value, value_token)

    # compilation ------------------------------------------------------------
    def compile_compare(self, field: Field, operator: str, value: Any, token: Token) -> str:
        if field.prefix == "metrics":
            if not isinstance(value, (int, float)):
                raise self.error(f"metrics.{field.name} is numeric: compare it with a number", token)
            return _number_lookup("metrics", field.name, operator, value, self.params, self.columns)
        if field.prefix == "params":
            if isinstance(value, (int, float)):
                return _number_lookup("params_num", field.name, operator, float(value), self.params, self.columns)
            return _lookup("params", field.name, f"{operator} ?", [value], self.params, self.columns)
        if field.prefix == "attributes":
            column = ATTRIBUTES[field.name.lower()]
            value = self.attribute_value(field, value, token)
            self.params.append(value)
            return f"{column} {operator} ?"
        return self.compile_text(field, f"{operator} ?", [_as_text(value)], token)

    def compile_text(self, field: Field, condition: str, values: list[Any], token: Token) -> str:
        if field.prefix == "metrics":
            raise self.error("metrics are numbers; LIKE works on params, tags, attributes and datasets", token)
        if field.prefix == "attributes":
            self.params.extend(values)
            return f"CAST({ATTRIBUTES[field.name.lower()]} AS VARCHAR) {condition}"
        if field.prefix == "datasets":
            self.params.extend(values)
            column = _DATASET_COLUMNS[field.name.lower()]
            return f"s.run_id IN (SELECT x.run_id FROM run_inputs x WHERE x.{column} {condition})"
        return _lookup(field.prefix, field.name, condition, values, self.params, self.columns)

    def compile_in(self, field: Field, values: list[tuple[Any, Token]], negate: bool, start: Token | None) -> str:
        marks = ", ".join("?" for _ in values)
        if field.prefix == "metrics":
            for value, token in values:
                if not isinstance(value, (int, float)):
                    raise self.error(f"metrics.{field.name} is numeric: IN needs numbers", token)
            sql = _lookup("metrics", field.name, f"IN ({marks})", [v for v, _ in values], self.params, self.columns)
        elif field.prefix == "params" and all(isinstance(v, (int, float)) for v, _ in values):
            sql = _lookup("params_num", field.name, f"IN ({marks})", [float(v) for v, _ in values], self.params,
                          self.columns)
        elif field.prefix == "attributes":
            self.params.extend(self.attribute_value(field, v, t) for v, t in values)
            sql = f"{ATTRIBUTES[field.name.lower()]} IN ({marks})"
        else:
            sql = self.compile_text(field, f"IN ({marks})", [_as_text(v) for v, _ in values],
                                    values[0][1])
        return f"(NOT {sql})" if negate else sql

    def compile_null(self, field: Field, negate: bool) -> str:
        if field.prefix == "attributes":
            return f"{ATTRIBUTES[field.name.lower()]} IS {'NOT ' if negate else ''}NULL"
        if field.prefix == "datasets":
            exists = "s.run_id IN (SELECT x.run_id FROM run_inputs x)"
            return exists if negate else f"(NOT {exists})"
        typed = self.columns.get((field.prefix, field.name)) if field.prefix == "params" else None
        if typed is not None:  # (not a metric's column: it holds a NaN as NULL, and a NaN is not missing)
            return f's."{typed}" IS {"NOT " if negate else ""}NULL'
        self.params.append(field.name)  # map values are never NULL: a NULL lookup means "no such key"
        return f"s.{field.prefix}[?] IS {'NOT ' if negate else ''}NULL"

    def attribute_value(self, field: Field, value: Any, token: Token) -> Any:
        name = field.name.lower()
        if name in _TIME_ATTRIBUTES and isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                raise self.error(f"attributes.{name} takes epoch seconds or an ISO date such as '2026-01-31'",
                                 token) from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return moment.timestamp()
        if name in _TIME_ATTRIBUTES or name == "duration":
            if not isinstance(value, (int, float)):
                raise self.error(f"attributes.{name} is a number of seconds", token)
            if name in _TIME_ATTRIBUTES and abs(value) >= _MILLISECONDS_FROM:
                return float(value) / 1000.0  # MLflow's epoch milliseconds
            return float(value)
        return _as_text(value).lower() if name == "status" else _as_text(value)  # MLflow writes 'FINISHED'


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _lookup(column: str, key: str, condition: str, values: list[Any], params: list[Any],
            columns: Mapping[tuple[str, str], str]) -> str:
    # a missing key makes the lookup NULL: coalesce keeps the two-valued logic of a semi-join,
    # so "not params.x = 'a'" matches runs without params.x
    typed = columns.get((column, key))
    if typed is not None and column != "metrics":  # (a metric's column holds NaN as NULL: not for != )
        params.extend(values)
        return f'coalesce(s."{typed}" {condition}, false)'
    params.append(key)
    params.extend(values)
    return f"coalesce(s.{column}[?] {condition}, false)"


def _number_lookup(column: str, key: str, operator: str, value: Any, params: list[Any],
                   columns: Mapping[tuple[str, str], str]) -> str:
    # NaN is stored (and shown) as NaN but, as in IEEE arithmetic and MLflow, it is neither above nor below
    # a number: DuckDB would otherwise sort it above everything, so "metrics.loss > 0" matched diverged runs
    # (DuckDB's NaN equals NaN, so nullif turns it into a missing value)
    if operator not in ("<", "<=", ">", ">=", "="):
        return _lookup(column, key, f"{operator} ?", [value], params, columns)
    typed = columns.get((column, key))
    if typed is not None:  # a typed column holds a NaN as NULL already
        params.append(value)
        return f'coalesce(s."{typed}" {operator} ?, false)'
    params.extend([key, value])
    return f"coalesce(nullif(s.{column}[?], 'NaN'::DOUBLE) {operator} ?, false)"


def compile_filter(text: str, columns: Mapping[tuple[str, str], str] | None = None) -> tuple[str, list[Any]]:
    """Compile a filter string to ``(sql_condition, params)``.

    ``columns``: the store's typed search columns, ``(kind, key) -> column`` (``store.domains.search_columns``);
    a comparison on such a key reads its column instead of looking the key up in every run's map (same
    result). Without it every lookup reads the maps.

    Raises:
        QuerySyntaxError: with the 1-based ``column`` of the offending token.
    """
    parser = _Parser(text, columns)
    return parser.parse(), parser.params


def filter_reads_clock(text: str) -> bool:
    """Whether the filter's matches change with time alone (``attributes.duration`` of a running run reads
    the clock), so a count of them cannot be kept until the next write. A filter that does not compile
    answers ``True``: nothing about it may be cached."""
    try:
        sql, _ = compile_filter(text)
    except QuerySyntaxError:
        return True
    return "current_timestamp" in sql


def parse_field(text: str) -> Field:
    """Parse a single ``prefix.name`` reference (used by ``order_by`` and column pickers)."""
    parser = _Parser(text)
    field = parser.field()
    if parser.peek() is not None:
        raise parser.error(f"unexpected {parser.peek().text!r} after the field")  # type: ignore[union-attr]
    return field


def compile_order_by(order_by: list[str],
                     columns: Mapping[tuple[str, str], str] | None = None) -> tuple[str, list[Any]]:
    """Compile ``["metrics.acc desc", "attributes.start_time"]`` to ``(sql, params)``.

    Runs without the ordering value sort last; ties fall back to newest first. ``columns``: as for
    ``compile_filter``; a param orders on its typed columns (a metric on its map, where a NaN sorts
    above every number instead of among the runs without the metric).
    """
    columns = columns or {}
    parts: list[str] = []
    params: list[Any] = []
    for clause in order_by:
        text = clause.strip()
        direction = "ASC"
        match = re.search(r"\s+(asc|desc)\s*$", text, re.IGNORECASE)
        if match:
            direction = match.group(1).upper()
            text = text[: match.start()]
        field = parse_field(text)
        if field.prefix == "attributes":
            parts.append(f"{ATTRIBUTES[field.name.lower()]} {direction} NULLS LAST")
        elif field.prefix in ("metrics", "params", "tags"):
            typed = [columns.get((kind, field.name)) for kind in ("params_num", "params")]
            if field.prefix == "params" and None not in typed:
                parts.extend(f's."{name}" {direction} NULLS LAST' for name in typed)
                continue
            if field.prefix == "params":  # numbers in numeric order first, then text
                params.append(field.name)
                parts.append(f"s.params_num[?] {direction} NULLS LAST")
            params.append(field.name)
            parts.append(f"s.{field.prefix}[?] {direction} NULLS LAST")
        else:
            raise QuerySyntaxError("cannot order by datasets.*", text=clause, column=1)
    parts.extend(["s.start_time DESC", "s.run_id"])
    return ", ".join(parts), params

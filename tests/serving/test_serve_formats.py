"""Every MLflow scoring-server input format, and each bad input's 400, against a real ``mlm serve`` process."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.serving.serve_process import ServeProcess

pytestmark = pytest.mark.slow

ROWS = [[30, 61.5], [70, 40.0], [25, 20.0]]


@pytest.fixture(scope="module")
def server(model_store: Path) -> Iterator[ServeProcess]:
    with ServeProcess(model_store, "models:/churn@production", "--no-monitor") as process:
        yield process


@pytest.fixture(scope="module")
def expected(model_store: Path) -> list[int]:
    import pandas as pd

    from mlm_jupyter.tracking.client import MlmClient

    client = MlmClient(model_store)
    try:
        model = client.load_model("models:/churn/1")
    finally:
        client.close()
    return [int(v) for v in model.predict(pd.DataFrame(ROWS, columns=["age", "income"]))]


def _post(server: ServeProcess, body: Any = None, *, content: bytes | None = None,
          content_type: str = "application/json") -> httpx.Response:
    if content is None:
        return httpx.post(f"{server.url}/invocations", json=body, timeout=30)
    return httpx.post(f"{server.url}/invocations", content=content, headers={"Content-Type": content_type},
                      timeout=30)


@pytest.mark.parametrize("body", [
    {"dataframe_split": {"columns": ["age", "income"], "data": ROWS}},
    {"dataframe_split": {"columns": ["income", "age", "extra"], "data": [[r[1], r[0], "x"] for r in ROWS]}},
    {"dataframe_records": [{"age": a, "income": i} for a, i in ROWS]},
    {"instances": ROWS},
    {"instances": [{"age": a, "income": i} for a, i in ROWS]},
    {"inputs": {"age": [r[0] for r in ROWS], "income": [r[1] for r in ROWS]}},
    {"inputs": ROWS},
], ids=["split", "split-reordered-extra-column", "records", "instances-rows", "instances-records", "inputs-columns",
        "inputs-rows"])
def test_every_json_format_gives_the_models_predictions(server: ServeProcess, expected: list[int], body: Any) -> None:
    response = _post(server, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected}
    assert response.headers["X-Model-Version"] == "1"
    assert response.headers["X-Request-Id"]


def test_csv_gives_the_same_predictions(server: ServeProcess, expected: list[int]) -> None:
    csv = "age,income\n" + "".join(f"{a},{i}\n" for a, i in ROWS)
    response = _post(server, content=csv.encode(), content_type="text/csv")
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected}


def test_health_version_metadata_and_headers(server: ServeProcess, model_store: Path) -> None:
    for path in ("/ping", "/health"):
        response = httpx.get(server.url + path)
        assert response.status_code == 200 and response.headers["X-Model-Version"] == "1"
    assert httpx.get(server.url + "/version").text == __import__("mlm_jupyter").__version__
    meta = httpx.get(server.url + "/metadata").json()
    assert (meta["name"], meta["version"], meta["alias"], meta["flavor"]) == ("churn", 1, "production", "sklearn")
    assert [c["name"] for c in meta["signature"]["inputs"]] == ["age", "income"]
    assert meta["run_id"] and len(meta["lineage_digest"]) == 64 and len(meta["sha256"]) == 64
    missing = httpx.get(server.url + "/nope")
    assert missing.status_code == 404 and missing.headers["X-Model-Version"] == "1"
    assert httpx.get(server.url + "/invocations").status_code == 405
    given = httpx.post(f"{server.url}/invocations", json={"instances": ROWS[:1]}, headers={"X-Request-Id": "req-42"})
    assert given.headers["X-Request-Id"] == "req-42"


@pytest.mark.parametrize(("body", "status", "column", "reason"), [
    ({"dataframe_split": {"columns": ["age"], "data": [[30]]}}, 400, "income", "missing"),
    ({"dataframe_records": [{"age": 30, "income": "lots"}]}, 400, "income", "wrong_type"),
    ({"inputs": {"age": [30.5], "income": [50.0]}}, 400, "age", "wrong_type"),
    ({"inputs": {"age": [True], "income": [50.0]}}, 400, "age", "wrong_type"),
    ({"dataframe_split": {"columns": ["age", "income"], "data": [["30", 50.0]]}}, 400, "age", "wrong_type"),
    ({"instances": [[30, 50.0], [31, True]]}, 400, "income", "wrong_type"),
    ({"instances": [[30, 50.0], [31.5, 1.0]]}, 400, "age", "wrong_type"),
    ({"inputs": {"age": [30], "income": [None]}}, 400, "income", "non_finite"),
    ({"inputs": {"age": [None], "income": [1.0]}}, 400, "age", "non_finite"),
    ({"instances": [[30, 50.0], [31]]}, 400, None, "bad_shape"),
    ({"instances": []}, 400, None, "empty"),
    ({"dataframe_split": {"columns": ["age", "income"], "data": [[1, 2, 3]]}}, 400, None, "bad_shape"),
    ({"inputs": {"age": [1, 2], "income": [1.0]}}, 400, None, "bad_shape"),
    ({"instances": ROWS, "inputs": ROWS}, 400, None, "bad_format"),
    ({"rows": ROWS}, 400, None, "bad_format"),
    ([1, 2], 400, None, "bad_format"),
    ({"instances": ROWS, "params": {"temperature": 1}}, 400, None, "bad_format"),
], ids=["missing-column", "text-in-float", "fraction-in-int", "bool-in-int", "numeric-text-in-int",
        "bool-in-float-row", "fraction-in-int-row", "null-in-float", "null-in-int",
        "ragged-rows", "no-rows", "row-wider-than-columns", "columns-of-different-length", "two-formats",
        "unknown-key", "not-an-object", "params"])
def test_each_bad_input_is_a_400_naming_column_and_reason(server: ServeProcess, body: Any, status: int,
                                                          column: str | None, reason: str) -> None:
    response = _post(server, body)
    assert response.status_code == status, response.text
    error = response.json()
    assert (error["error_code"], error["column"], error["reason"]) == ("BAD_REQUEST", column, reason), error
    assert error["message"]
    assert response.headers["X-Model-Version"] == "1"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_json_literals_are_refused(server: ServeProcess, literal: str) -> None:
    body = f'{{"inputs": {{"age": [30], "income": [{literal}]}}}}'.encode()
    error = _post(server, content=body).json()
    assert (error["column"], error["reason"], error["row"]) == ("income", "non_finite", 0)


def test_bad_bodies(server: ServeProcess) -> None:
    assert _post(server, content=b"{not json").json()["reason"] == "bad_format"
    assert _post(server, content=b"age,income\n30,1\n", content_type="text/plain").status_code == 415
    assert _post(server, content=b"", content_type="text/csv").json()["reason"] == "empty"
    csv_error = _post(server, content=b"age,income\n30,inf\n", content_type="text/csv").json()
    assert (csv_error["column"], csv_error["reason"]) == ("income", "non_finite")
    too_big = httpx.post(f"{server.url}/invocations", content=b"x" * (17 * 1024 * 1024),
                         headers={"Content-Type": "application/json"}, timeout=60)
    assert too_big.status_code == 413
    assert httpx.get(server.url + "/ping").status_code == 200  # the server is still fine

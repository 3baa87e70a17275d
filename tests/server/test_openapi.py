"""docs/openapi.yaml matches the URL table, and schemathesis finds no 5xx against a real server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from mlm_jupyter.server.routes import ROUTES, methods_of

OPENAPI = Path(__file__).parents[2] / "docs" / "openapi.yaml"
MAX_EXAMPLES = 10


def documented() -> set[tuple[str, str]]:
    spec = yaml.safe_load(OPENAPI.read_text())
    return {(path, method) for path, item in spec["paths"].items() for method in item
            if method in ("get", "head", "post", "put", "delete", "patch")}


def served() -> set[tuple[str, str]]:
    return {(template, method) for template, handler in ROUTES for method in methods_of(handler)}


def test_openapi_documents_exactly_the_routes() -> None:
    assert documented() == served()


def test_fixed_routes_are_served() -> None:
    required = {("/mlm/api/runs", "get"), ("/mlm/api/runs/{run_id}", "get"),
                ("/mlm/api/runs/{run_id}/metrics/{key}", "get"), ("/mlm/api/artifacts/{sha256}", "get"),
                ("/mlm/api/models", "get"), ("/mlm/api/models/{name}", "get"),
                ("/mlm/api/models/{name}/history", "get"), ("/mlm/api/models/{name}/aliases", "post"),
                ("/mlm/api/version", "get")}
    assert required <= served()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
    from server_process import JupyterServerProcess

    workdir = tmp_path_factory.mktemp("fuzz")
    process = JupyterServerProcess(workdir, workdir / "store").start()
    yield process
    process.stop()


@pytest.mark.slow
def test_schemathesis_finds_no_server_errors(server: Any) -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    seeded = server.post("mlm/api/store/write", {"id": "seed", "ops": [
        {"kind": "create_run", "args": {"run_id": "r1", "experiment": "e", "name": "r1", "start_time": 0.0}}]})
    assert seeded.status_code == 200, seeded.text
    schema = schemathesis.openapi.from_path(str(OPENAPI))
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call(base_url=server.url.rstrip("/"), headers=server.headers, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query} -> {response.status_code} "
                                f"{response.text[:300]}")

        check()
    assert server.get("api/status").status_code == 200
    assert not failures, "\n".join(failures[:20])

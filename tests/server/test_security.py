"""Authentication, XSRF, traversal attempts, bad JSON and oversized bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from mlm_jupyter.server.context import Limits

def every_route() -> list[tuple[str, tuple[str, ...]]]:
    """Every (verb, path) of the URL table, with sample path parameters, plus the catch-all."""
    import re

    from mlm_jupyter.server.routes import ROUTES, methods_of

    samples = {"run_id": "x", "key": "k", "sha256": "0" * 64, "name": "m", "query": "counts", "version": "1",
               "experiment": "e"}
    probes = []
    for template, handler in ROUTES:
        path = re.sub(r"\{(\w+)\}", lambda m: samples.get(m.group(1), "x"), template)
        parts = tuple(path.removeprefix("/mlm/api/").split("/"))
        probes.extend((method.upper(), parts) for method in methods_of(handler))
    return [*probes, ("GET", ("no", "such", "route"))]


ROUTES_TO_PROBE = every_route()


async def fetch_status(jp_fetch: Any, method: str, parts: tuple[str, ...], headers: dict[str, str]) -> int:
    kwargs: dict[str, Any] = {"method": method, "headers": headers, "allow_nonstandard_methods": True}
    if method in ("POST", "PUT"):
        kwargs["body"] = "{}"
    try:
        response = await jp_fetch("mlm", "api", *parts, **kwargs)
    except HTTPClientError as error:
        return error.code
    return response.code


@pytest.mark.parametrize(("method", "parts"), ROUTES_TO_PROBE)
async def test_no_token_is_refused(jp_fetch: Any, method: str, parts: tuple[str, ...]) -> None:
    assert await fetch_status(jp_fetch, method, parts, {"Authorization": ""}) in (401, 403)


@pytest.mark.parametrize(("method", "parts"), ROUTES_TO_PROBE)
async def test_wrong_token_is_refused(jp_fetch: Any, method: str, parts: tuple[str, ...]) -> None:
    assert await fetch_status(jp_fetch, method, parts, {"Authorization": "token not-the-token"}) in (401, 403)


async def test_kernel_style_post_with_token_and_xsrf_pair_passes(jp_fetch: Any, jp_serverapp: Any) -> None:
    token = jp_serverapp.identity_provider.token
    response = await jp_fetch("mlm", "api", "store", "write", method="POST",
                              body=json.dumps({"id": "b1", "ops": [{"kind": "create_experiment",
                                                                    "args": {"name": "e"}}]}),
                              headers={"Authorization": f"token {token}", "Cookie": "_xsrf=abc123",
                                       "X-XSRFToken": "abc123"})
    assert response.code == 200 and len(json.loads(response.body)["results"]) == 1


TRAVERSALS = [
    "../../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fmlm.duckdb", "/etc/passwd",
    "%2Fetc%2Fpasswd", "....//....//etc/passwd", "..\\..\\mlm.duckdb", "mlm.duckdb", "A" * 64,
    "0" * 63 + "/", "%00" + "0" * 61, "0" * 64 + "/../../mlm.duckdb",
]


@pytest.mark.parametrize("attempt", TRAVERSALS)
@pytest.mark.parametrize("route", [("artifacts",), ("store", "blobs")])
async def test_traversal_attempts_never_read_files(jp_fetch: Any, jp_serverapp: Any, route: tuple[str, ...],
                                                   attempt: str) -> None:
    token = jp_serverapp.identity_provider.token
    url = f"{jp_serverapp.base_url}mlm/api/{'/'.join(route)}/{attempt}"
    from tornado.httpclient import AsyncHTTPClient

    client = AsyncHTTPClient()
    try:
        response = await client.fetch(f"http://127.0.0.1:{jp_serverapp.port}{url}",
                                      headers={"Authorization": f"token {token}"}, raise_error=False)
    finally:
        client.close()
    assert response.code in (400, 404), (attempt, response.code, response.body[:200])
    assert b"root:" not in response.body and b"DUCK" not in response.body
    assert json.loads(response.body)["code"] in ("INVALID_PARAMETER", "NOT_FOUND")


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", "\"text\"", "\xff\xfe"])
async def test_bad_json_is_400_with_code(api: Any, body: str) -> None:
    status, reply = await api("models", "m", "aliases", method="POST", body=body.encode("latin-1"))
    assert status in (400, 501) and reply["code"] in ("INVALID_PARAMETER", "NOT_IMPLEMENTED")
    status, reply = await api("store", "write", method="POST", body=body.encode("latin-1"))
    assert status == 400 and reply["code"] == "INVALID_PARAMETER"


async def test_malformed_write_batch_is_400(api: Any) -> None:
    status, reply = await api("store", "write", method="POST", body=json.dumps({"ops": "nope"}))
    assert status == 400 and reply["code"] == "INVALID_PARAMETER"
    status, reply = await api("store", "write", method="POST",
                              body=json.dumps({"id": "x", "ops": [{"kind": "drop_everything", "args": {}}]}))
    assert status == 400 and "unknown store operation" in reply["message"]
    for op in ({"kind": "create_run", "args": {}}, {"kind": "log_metrics", "args": {"points": "nope"}},
               {"kind": "log_params", "args": {"run_id": 3, "params": [1]}}):
        status, reply = await api("store", "write", method="POST", body=json.dumps({"id": "bad", "ops": [op]}))
        assert status in (400, 404) and reply["code"] in ("INVALID_PARAMETER", "NOT_FOUND"), (op, reply)
    for args in ('{"run_id": 1, "extra": 2}', '{"nope": 1}', '{"run_id": {"a": 1}}'):
        status, reply = await api("store", "read", "run", params={"args": args})
        assert status in (400, 404) and reply["code"] in ("INVALID_PARAMETER", "NOT_FOUND"), (args, reply)


async def test_oversized_bodies_are_413(api: Any, mlm_app: Any) -> None:
    mlm_app.context.limits = Limits(max_body_bytes=1_000, max_blob_bytes=2_000)
    status, reply = await api("store", "write", method="POST", body="x" * 5_000)
    assert status == 413 and reply["code"] == "PAYLOAD_TOO_LARGE"
    status, reply = await api("store", "blobs", "0" * 64, method="PUT", body=b"x" * 5_000)
    assert status == 413 and reply["code"] == "PAYLOAD_TOO_LARGE"


async def test_raw_sql_is_read_only_and_bounded(api: Any, mlm_app: Any) -> None:
    mlm_app.context.limits = Limits(sql_max_rows=5)
    for statement in ("DELETE FROM runs", "DROP TABLE runs", "ATTACH 'x.db' AS x", "COPY runs TO '/tmp/x.csv'",
                      "SELECT 1; DELETE FROM runs", "INSTALL httpfs"):
        status, reply = await api("store", "sql", method="POST", body=json.dumps({"statement": statement}))
        assert status in (400, 403), statement
        assert reply["code"] in ("PERMISSION_DENIED", "INVALID_PARAMETER")
    status, reply = await api("store", "sql", method="POST",
                              body=json.dumps({"statement": "SELECT * FROM range(100)", "max_rows": 1000}))
    assert status == 200
    from mlm_jupyter.store import codec

    assert codec.decode(reply["result"]).num_rows == 5
    status, reply = await api("store", "sql", method="POST",
                              body=json.dumps({"statement": "SELECT * FROM read_csv('/etc/passwd')"}))
    assert status == 403 and "read_csv" in reply["message"]  # refused before DuckDB names any path


async def test_raw_sql_has_a_time_limit(api: Any, mlm_app: Any) -> None:
    mlm_app.context.limits = Limits(sql_timeout_s=0.3)
    started = __import__("time").monotonic()
    status, reply = await api("store", "sql", method="POST", body=json.dumps(
        {"statement": "SELECT count(*) FROM range(100000000000) a", "timeout_s": 60}))
    assert status == 400 and reply["code"] == "INVALID_PARAMETER" and "longer than" in reply["message"]
    assert __import__("time").monotonic() - started < 20


async def test_browser_session_posts_need_the_xsrf_header(jp_serverapp: Any, jp_base_url: str,
                                                          http_server_client: Any) -> None:
    """A browser logged in with a cookie (not a token) must send X-XSRFToken with its POSTs."""
    from http.cookies import SimpleCookie

    from tornado.httpclient import AsyncHTTPClient

    client = AsyncHTTPClient()
    base = f"http://127.0.0.1:{jp_serverapp.port}{jp_base_url}"
    cookies: dict[str, str] = {}

    def remember(response: Any) -> None:
        for header in response.headers.get_list("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                cookies[name] = morsel.value

    def cookie_header() -> str:
        return "; ".join(f"{k}={v}" for k, v in cookies.items())

    try:
        remember(await client.fetch(base + "login", raise_error=False))
        xsrf = cookies["_xsrf"]
        login = await client.fetch(base + "login", method="POST", follow_redirects=False, raise_error=False,
                                   body=f"password={jp_serverapp.identity_provider.token}&_xsrf={xsrf}",
                                   headers={"Cookie": cookie_header()})
        remember(login)
        assert login.code == 302 and len(cookies) >= 2, (login.code, cookies)
        batch = json.dumps({"id": "browser-1", "ops": [{"kind": "create_experiment", "args": {"name": "b"}}]})
        url = base + "mlm/api/store/write"
        refused = await client.fetch(url, method="POST", body=batch, raise_error=False,
                                     headers={"Cookie": cookie_header()})
        assert refused.code == 403
        allowed = await client.fetch(url, method="POST", body=batch, raise_error=False,
                                     headers={"Cookie": cookie_header(), "X-XSRFToken": xsrf})
        assert allowed.code == 200, allowed.body
        read = await client.fetch(base + "mlm/api/experiments", headers={"Cookie": cookie_header()})
        assert read.code == 200  # GETs need the session cookie only
    finally:
        client.close()


async def test_values_the_store_cannot_take_are_400(api: Any, mlm_app: Any) -> None:
    store = mlm_app.context.store
    from mlm_jupyter.store.contract import Op, WriteBatch

    store.write(WriteBatch.of(Op("create_run", {"run_id": "r", "experiment": "e", "name": "r", "start_time": 0.0})))
    for op in ({"kind": "create_run", "args": {"run_id": "q", "experiment": "e", "name": "q", "start_time": "soon"}},
               {"kind": "end_run", "args": {"run_id": "r", "status": "finished", "end_time": "later"}}):
        status, reply = await api("store", "write", method="POST", body=json.dumps({"id": "v", "ops": [op]}))
        assert status == 400 and reply["code"] == "INVALID_PARAMETER", (op, reply)
    status, reply = await api("store", "read", "search_runs", params={"args": '{"max_results": "many"}'})
    assert status == 400, reply

"""REST routes for reproduction verdicts and session diffs, on a real in-process Jupyter server."""

from __future__ import annotations

from typing import Any

from mlm_jupyter.tracking.client import MlmClient


def server_client(mlm_app: Any) -> MlmClient:
    return mlm_app.context.client


async def test_reproductions_of_a_run_newest_first_with_its_latest_verdict(api: Any, mlm_app: Any) -> None:
    client = server_client(mlm_app)
    original = client.create_run("churn", name="train")
    client.end_run(original.id)
    for verdict in ("differs", "reproduced"):
        rerun = client.create_run("churn", name="reproduce-train",
                                  tags={"mlm.reproduction_of": original.id, "mlm.reproduction.verdict": verdict})
        client.end_run(rerun.id)
        client.set_tags(original.id, {"mlm.reproduced": verdict, "mlm.reproduced_by": rerun.id})

    status, body = await api("runs", original.id, "reproductions")

    assert status == 200
    assert body["verdict"] == "reproduced"
    assert [r["verdict"] for r in body["reproductions"]] == ["reproduced", "differs"]


async def test_unknown_runs_are_404_and_untracked_runs_have_an_empty_session_diff(api: Any, mlm_app: Any) -> None:
    client = server_client(mlm_app)
    a, b = client.create_run("x"), client.create_run("x")
    status, body = await api("runs", "nope", "reproductions")
    assert status == 404 and body["code"] == "NOT_FOUND"
    status, body = await api("runs", a.id, "session-diff", b.id)
    assert status == 200 and body["cells"] == [] and body["counts"] == {"added": 0, "removed": 0, "changed": 0}
    status, body = await api("runs", a.id, "session-diff", "nope")
    assert status == 404


async def test_the_routes_need_authentication(jp_fetch: Any, mlm_app: Any) -> None:
    from tornado.httpclient import HTTPClientError

    run = server_client(mlm_app).create_run("x")
    try:
        await jp_fetch("mlm", "api", "runs", run.id, "reproductions", headers={"Authorization": ""})
        raise AssertionError("an unauthenticated request was served")
    except HTTPClientError as error:
        assert error.code == 403

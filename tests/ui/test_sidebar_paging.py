"""The sidebar on a store of thousands of runs: the server's count, one page of rows, never the whole list."""

from __future__ import annotations

import urllib.parse
import uuid

import pytest

from tests.ui.sidebar_fixtures import SIDEBAR_TAB, open_sidebar

pytestmark = pytest.mark.ui

RUNS = 3_000


def test_the_sidebar_shows_the_servers_count_and_fetches_one_page_at_a_time(page, lab_server):
    experiment = f"paging-{uuid.uuid4().hex[:6]}"
    client = lab_server.client()
    try:
        client.import_runs({"run_id": f"{experiment}-{i:05d}", "experiment": experiment, "name": f"run-{i}",
                            "status": "finished", "start_time": 1_700_000_000.0 + i, "metrics": {"acc": i / RUNS}}
                           for i in range(RUNS))
    finally:
        client.close()
    total = lab_server.api("mlm/api/runs?limit=1")["total"]  # every run on the shared test server
    assert total >= RUNS
    responses = []
    page.on("response", lambda response: responses.append(response)
            if urllib.parse.urlparse(response.url).path.endswith("/mlm/api/runs") else None)
    open_sidebar(page, lab_server)
    assert page.locator(SIDEBAR_TAB).count() == 1
    shows = "(text) => document.querySelector('#mlm-sidebar .mlm-count')?.textContent === text"
    page.wait_for_function(shows, arg=f"1-50 of {total} runs")
    assert page.locator("#mlm-sidebar tr.mlm-run").count() == 50
    search = page.locator("#mlm-sidebar input.mlm-search")
    search.fill(f"attributes.experiment = '{experiment}' and metrics.acc >= 0.5")
    search.press("Enter")
    page.wait_for_function(shows, arg=f"1-50 of {RUNS // 2} runs")
    page.click("#mlm-sidebar button.mlm-next")
    page.wait_for_function(shows, arg=f"51-100 of {RUNS // 2} runs")
    # newest first: the second page starts after the 50 newest matches
    assert page.locator("#mlm-sidebar tr.mlm-run .mlm-run-name").first.inner_text() == f"run-{RUNS - 51}"
    # every request asked for one page, and no answer carried more than a page of rows
    queries = [urllib.parse.parse_qs(urllib.parse.urlparse(r.url).query) for r in responses]
    assert queries and all(query.get("limit") == ["50"] for query in queries)
    assert any(query.get("offset") == ["50"] for query in queries)
    assert max(len(r.json()["runs"]) for r in responses) == 50

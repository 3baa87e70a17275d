"""The sidebar against the rest of issue 8's text: no polling while hidden, a refused promotion, chart axes."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.ui.conftest import artifact_path
from tests.ui.sidebar_fixtures import SIDEBAR_TAB, choose_experiment, open_sidebar, seed
from tests.ui.theme import assert_readable, set_theme

pytestmark = pytest.mark.ui

# Counts the page's own requests to the mlm API (Playwright's request events miss some fetches).
COUNT_FETCHES = """
window.__mlmFetches = [];
const originalFetch = window.fetch;
window.fetch = function (input, init) {
  const url = typeof input === 'string' ? input : input.url;
  if (url.includes('/mlm/api/')) { window.__mlmFetches.push([performance.now(), url]); }
  return originalFetch.apply(this, arguments);
};
"""


def fetches_between(page, start: float, end: float) -> list[str]:
    return page.evaluate("([a, b]) => window.__mlmFetches.filter(f => f[0] > a && f[0] < b).map(f => f[1])",
                         [start, end])


def test_no_requests_while_the_panel_is_hidden(page, lab_server):
    client = lab_server.client()
    experiment = f"hidden-{uuid.uuid4().hex[:6]}"
    try:
        run_id = client.create_run(experiment, "still-running").id  # a running run: the panel polls every 2 s
        client.flush()
        page.add_init_script(COUNT_FETCHES)
        open_sidebar(page, lab_server)
        choose_experiment(page, experiment)
        page.locator(f"#mlm-sidebar .mlm-run[data-run-id='{run_id}']").wait_for()
        shown = page.evaluate("performance.now()")
        time.sleep(4.5)
        assert any("/mlm/api/runs" in url for url in fetches_between(page, shown, page.evaluate("performance.now()")))
        page.click(SIDEBAR_TAB)  # collapse the left area
        page.wait_for_selector("#mlm-sidebar", state="hidden")
        hidden = page.evaluate("performance.now()") + 300  # a request already in flight may finish
        time.sleep(6)
        assert fetches_between(page, hidden, page.evaluate("performance.now()")) == []
        again = page.evaluate("performance.now()")
        page.click(SIDEBAR_TAB)
        page.wait_for_function(
            "(t) => window.__mlmFetches.some(f => f[0] > t && f[1].includes('/mlm/api/runs'))", arg=again,
            timeout=10_000)
        client.end_run(run_id)
    finally:
        client.close()


def test_a_refused_promotion_shows_the_gate_and_lands_in_the_audit_trail(page, lab_server):
    client = lab_server.client()
    try:
        seeded = seed(client)
        if not seeded.model:
            pytest.skip("scikit-learn is needed to register a model")
        client.set_promotion_rule(seeded.model, "metric_threshold", metric="val_auc", op=">=", threshold=0.99)
        client.flush()
        open_sidebar(page, lab_server)
        page.locator("#mlm-sidebar .lm-TabBar-tab", has_text="Registry").click()
        page.locator(f"#mlm-sidebar .mlm-model[data-model='{seeded.model}'] a.mlm-model-name").click()
        detail = page.locator(f"#mlm-sidebar .mlm-model-detail[data-model='{seeded.model}']")
        detail.wait_for()
        detail.locator("input.mlm-promote-alias").fill("production")
        detail.locator("select.mlm-promote-version").select_option("2")  # not the latest (3)
        detail.locator("input.mlm-promote-reason").fill("deeper trees")
        detail.locator("button.mlm-promote").click()
        error = page.locator("#mlm-sidebar .mlm-promote-error")
        page.wait_for_function(
            "() => (document.querySelector('#mlm-sidebar .mlm-promote-error')?.textContent || '').includes('val_auc')")
        assert "val_auc >= 0.99" in error.inner_text()
        page.wait_for_function(
            "() => (document.querySelector('#mlm-sidebar table.mlm-audit')?.textContent || '')"
            ".includes('promotion_blocked')")
        assert "deeper trees" in page.locator("#mlm-sidebar table.mlm-audit").inner_text()
        assert detail.locator("tr[data-alias='production'] .mlm-alias-version").inner_text().strip() == "1"
        assert client.get_model_version(seeded.model, "production").version == 1
        # the refused form keeps every field as the user left it
        assert detail.locator("input.mlm-promote-alias").input_value() == "production"
        assert detail.locator("select.mlm-promote-version").input_value() == "2"
        assert detail.locator("input.mlm-promote-reason").input_value() == "deeper trees"
    finally:
        client.close()


def test_log_scale_and_time_axis_redraw_the_chart(page, lab_server):
    client = lab_server.client()
    experiment = f"axes-{uuid.uuid4().hex[:6]}"
    try:
        ids = []
        for name in ("first", "second"):
            run_id = client.create_run(experiment, name).id
            for step in range(5):  # one call per step: every point gets its own time
                client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
                time.sleep(0.01)
            client.end_run(run_id)
            ids.append(run_id)
        client.flush()
        open_sidebar(page, lab_server)
        choose_experiment(page, experiment)
        for run_id in ids:
            page.locator(f"#mlm-sidebar .mlm-run[data-run-id='{run_id}'] input.mlm-run-select").check()
        page.locator("#mlm-sidebar button.mlm-compare").click()
        chart = ".mlm-Comparison:not(.lm-mod-hidden) .mlm-chart"
        page.locator(f"{chart}[data-traces='2'][data-axis='step'][data-scale='linear']").wait_for()
        assert page.locator(chart).get_attribute("data-points") == "5"  # steps 0..4 shared by both runs
        page.locator(".mlm-Comparison:not(.lm-mod-hidden) input.mlm-log-toggle").check()
        page.locator(f"{chart}[data-scale='log'][data-traces='2']").wait_for()
        page.select_option(".mlm-Comparison:not(.lm-mod-hidden) select.mlm-axis-select", "time")
        page.locator(f"{chart}[data-axis='time'][data-scale='log'][data-traces='2']").wait_for()
        assert page.locator(chart).get_attribute("data-points") == "10"  # each point at its own time
        assert page.locator(f"{chart} canvas").count() == 1
    finally:
        client.close()



def test_keyboard_and_both_themes_in_the_sidebar(page, lab_server):
    """Arrows move, space selects, enter opens; selected rows, differences, errors and success read light and dark."""
    client = lab_server.client()
    try:
        seeded = seed(client)
    finally:
        client.close()
    open_sidebar(page, lab_server)
    choose_experiment(page, seeded.experiment)
    rows = page.locator("#mlm-sidebar tr.mlm-run")
    page.wait_for_function("() => document.querySelectorAll('#mlm-sidebar tr.mlm-run').length === 4")
    rows.first.click()
    for key in ["ArrowDown", "Space", "ArrowDown", "Space"]:
        page.keyboard.press(key)
    assert page.locator("#mlm-sidebar tr.mlm-run.mlm-selected").count() == 2
    assert page.locator("#mlm-sidebar tr.mlm-run:focus").evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    compare = page.locator("#mlm-sidebar button.mlm-compare")
    assert compare.is_enabled()
    page.keyboard.press("Enter")  # opens the run: its details, and the jump to its cell (none here: a message)
    page.locator("#mlm-sidebar .mlm-run-detail").wait_for()
    page.locator(".jp-Notification-Toast, .Toastify__toast", has_text="not made by a recorded notebook cell").first.wait_for()
    compare.click()
    differs = page.locator(".mlm-ComparisonView:not(.lm-mod-hidden) .mlm-params-diff tr.mlm-differs td")
    differs.first.wait_for()
    page.locator("#mlm-sidebar .lm-TabBar-tab", has_text="Registry").click()
    page.locator(f"#mlm-sidebar .mlm-model[data-model='{seeded.model}'] a.mlm-model-name").click()
    detail = page.locator(f"#mlm-sidebar .mlm-model-detail[data-model='{seeded.model}']")
    detail.locator("input.mlm-promote-reason").fill("for the theme check")
    detail.locator("button.mlm-promote").click()
    ok = page.locator("#mlm-sidebar .mlm-promote-ok")
    ok.wait_for()
    parts = {"success banner": ok, "differing param": differs, "audit trail": page.locator("#mlm-sidebar table.mlm-audit td")}
    try:
        for dark in (False, True):
            if dark:
                set_theme(page, dark=True)
            page.locator("#mlm-sidebar .lm-TabBar-tab", has_text="Registry").click()
            assert_readable(page, parts, dark)
            page.locator("#mlm-sidebar .lm-TabBar-tab", has_text="Runs").click()
            assert_readable(page, {"selected run": page.locator("#mlm-sidebar tr.mlm-run.mlm-selected td[data-column='name']")},
                            dark)
            search = page.locator("#mlm-sidebar input.mlm-search")
            search.fill("params.lr <")
            search.press("Enter")
            error = page.locator("#mlm-sidebar .mlm-filter-error .mlm-error-message")
            error.wait_for()
            assert_readable(page, {"filter error": error}, dark)
            page.screenshot(path=str(artifact_path(f"sidebar-{'dark' if dark else 'light'}.png")))
            search.fill("")
            search.press("Enter")
            page.locator("#mlm-sidebar tr.mlm-run.mlm-selected").first.wait_for()
    finally:
        set_theme(page, dark=False)

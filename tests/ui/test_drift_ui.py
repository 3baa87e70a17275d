"""The drift view in both hosts (notebook widget, sidebar health badge -> main-area report), in Chromium."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ui.conftest import assert_no_cell_errors
from tests.ui.sidebar_fixtures import open_sidebar
from tests.ui.theme import assert_readable, set_theme

pytestmark = pytest.mark.ui

HOSTILE = "<img src=x onerror=\"window.__xss=1\">"  # a feature name that must stay text
MODEL = "drift-ui"


@pytest.fixture(scope="module")
def monitored(lab_server):
    """Model drift-ui: v1 @production with 3,000 logged rows whose ``income`` shifted (labels joined),
    v2 @staging with no logs; the features include a hostile name and a unicode one."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from mlm_jupyter.tracking.monitor import Monitor

    rng = np.random.default_rng(3)
    train = pd.DataFrame({"income": rng.normal(50, 10, 3000), "tenure_€": rng.random(3000),
                          HOSTILE: rng.random(3000)})
    model = LogisticRegression().fit(train, (train["income"] > 50).astype(int))
    client = lab_server.client()
    try:
        for version in (1, 2):
            run = client.create_run("drift-ui", f"train-{version}")
            client.log_input(run.id, train, name="train", role="train")
            client.log_model(run.id, model, MODEL, input_example=train[:3])
            client.end_run(run.id)
        client.set_alias(MODEL, "production", 1, reason="first")
        client.set_alias(MODEL, "staging", 2, reason="next")
        served = pd.DataFrame({"income": rng.normal(80, 10, 3000), "tenure_€": rng.random(3000),
                               HOSTILE: rng.random(3000)})
        mon = Monitor(f"models:/{MODEL}@production", client=client)
        ids = [str(i) for i in range(3000)]
        mon.log(served, model.predict(served), ids=ids)
        mon.log_labels(ids, np.ones(3000, dtype=int))
        mon.close()
    finally:
        client.close()
    return MODEL


def _check_drift_view(page, root: str) -> None:
    view = page.locator(f"{root} .mlm-drift-report")
    rows = view.locator("tr.mlm-drift-row")
    rows.first.wait_for()
    drifted = view.locator("tr.mlm-drift-row[data-drifted='true'] td[data-column='feature']").all_inner_texts()
    assert drifted == ["income"]
    verdict = view.locator(".mlm-drift-verdict")
    assert "drift" in verdict.get_attribute("data-verdict") and "mlm-tone-bad" in verdict.get_attribute("class")
    assert "1 of 3 features drifted" in view.locator(".mlm-drift-share").inner_text()
    names = rows.locator("td[data-column='feature']").all_inner_texts()
    assert HOSTILE in names and "tenure_€" in names  # shown as text
    assert page.evaluate("() => window.__xss") is None and view.locator("img").count() == 0
    # click the drifted row: its histogram, reference vs current
    rows.filter(has_text="income").first.click()
    chart = view.locator(".mlm-drift-distribution[data-feature='income']")
    chart.locator("svg.mlm-svg-chart").wait_for()
    assert int(chart.get_attribute("data-bins")) > 5 and chart.get_attribute("data-kind") == "numeric"
    assert chart.locator("rect.mlm-bar-0[data-label]").count() == chart.locator("rect.mlm-bar-1[data-label]").count()
    # the reference sits lower than the serving data: the current shares peak in a higher bin
    peaks = chart.evaluate("""c => [0, 1].map(s => { const bars = [...c.querySelectorAll(`rect.mlm-bar-${s}[data-label]`)];
        const h = bars.map(b => Number(b.getAttribute('height'))); return h.indexOf(Math.max(...h)); })""")
    assert peaks[1] > peaks[0]
    # the hostile name's distribution: its name in the title as text
    rows.filter(has_text="onerror").first.click()
    view.locator(".mlm-drift-distribution h4", has_text="onerror").wait_for()
    assert page.evaluate("() => window.__xss") is None
    # over time: drift per window and live performance against training
    assert view.locator("svg.mlm-drift-history circle.mlm-dot-bad").count() >= 1
    assert view.locator("svg.mlm-drift-performance").get_attribute("data-metric") == "accuracy"


def test_drift_widget_feature_table_histogram_and_over_time(page, notebook, monitored):
    notebook([f"import mlm_jupyter as mlm\npanel = mlm.drift({monitored + '@production'!r}, window='1d')\npanel",
              f"quiet = mlm.drift({monitored + '@staging'!r})\nquiet"], "drift.ipynb")
    assert_no_cell_errors(page)
    _check_drift_view(page, ".jp-Cell:nth-child(1) .mlm-widget")
    quiet = page.locator(".jp-Cell:nth-child(2) .mlm-widget .mlm-drift-report")
    quiet.locator(".mlm-drift-verdict[data-verdict='no data']").wait_for()
    assert quiet.locator(".mlm-drift-history-empty").count() == 1
    # another window goes through the kernel and redraws
    page.locator(".jp-Cell:nth-child(1) .mlm-widget select.mlm-drift-window").select_option("1h")
    page.wait_for_function("() => !document.querySelector('.jp-Cell:nth-child(1) .mlm-drift-report').dataset.loading"
                           " && document.querySelector('.jp-Cell:nth-child(1) .mlm-drift-history')?.dataset.windows === '1'")


def test_sidebar_health_badges_open_the_drift_report(page, lab_server, monitored):
    open_sidebar(page, lab_server)
    page.locator("#mlm-sidebar .lm-TabBar-tab", has_text="Registry").click()
    page.locator(f"#mlm-sidebar .mlm-model[data-model='{monitored}'] a.mlm-model-name").click()
    detail = page.locator("#mlm-sidebar .mlm-model-detail")
    production = detail.locator("tr.mlm-version-row[data-version='1'] .mlm-health")
    production.wait_for()
    assert "drift" in production.get_attribute("data-verdict")
    assert "·" in production.inner_text()  # with the last window's time
    staging = detail.locator("tr.mlm-version-row[data-version='2'] .mlm-health")
    assert staging.get_attribute("data-verdict") == "no data"
    production.click()
    _check_drift_view(page, ".mlm-DriftReport")
    view = page.locator(".mlm-DriftReport .mlm-drift-report")
    parts = {"drifted row": view.locator("tr.mlm-drift-row[data-drifted='true'] td").first,
             "verdict badge": view.locator(".mlm-drift-verdict"), "skew finding": view.locator(".mlm-drift-skew td").first,
             "health badge": production}
    try:
        for dark in (False, True):
            if dark:
                set_theme(page, dark=True)
            assert_readable(page, parts, dark)
    finally:
        set_theme(page, dark=False)

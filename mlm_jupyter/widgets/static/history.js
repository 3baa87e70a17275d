// mlm-jupyter cell history: one row per cell execution with a duration bar, status, the run it made,
// and stale / superseded marks.

function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 1) return `${(seconds * 1000).toFixed(0)} ms`;
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  return `${Math.floor(seconds / 60)}m ${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
}

function formatTime(seconds) {
  if (seconds === null || seconds === undefined) return "";
  return new Date(seconds * 1000).toISOString().slice(11, 19);
}

function render({ model, el }) {
  el.classList.add("mlm-widget", "mlm-panel", "mlm-history");
  el.innerHTML = `
    <div class="mlm-summary"><span class="mlm-summary-text"></span>
      <button class="mlm-button mlm-refresh" title="Read the history again">&#x21bb;</button></div>
    <div class="mlm-timeline"><table class="mlm-table">
      <thead><tr><th>#</th><th>exec</th><th>start (UTC)</th><th>duration</th><th></th><th>status</th><th>run</th><th>source</th></tr></thead>
      <tbody></tbody></table></div>`;
  const summary = el.querySelector(".mlm-summary-text");
  const tbody = el.querySelector("tbody");

  function draw() {
    const cells = model.get("cells") || [];
    const longest = Math.max(0.001, ...cells.map((c) => c.duration || 0));
    const stale = cells.filter((c) => c.stale).length;
    const failed = cells.filter((c) => !c.success).length;
    summary.textContent = `${cells.length} executions in ${model.get("scope")}` +
      (failed ? ` \u00b7 ${failed} failed` : "") + (stale ? ` \u00b7 ${stale} stale` : "");
    tbody.innerHTML = cells.map((c) => {
      const classes = ["mlm-cell-row", c.success ? "" : "mlm-failed", c.stale ? "mlm-stale" : "",
        c.superseded ? "mlm-superseded" : ""].filter(Boolean).join(" ");
      const width = Math.max(1, Math.round(((c.duration || 0) / longest) * 100));
      const note = c.stale ? `<div class="mlm-stale-note">stale: ${escapeHtml(c.stale_reason)}</div>` :
        c.superseded ? `<div class="mlm-stale-note">re-run later</div>` : "";
      return `<tr class="${classes}" data-order="${c.order}">
        <td>${c.order}</td><td>${c.execution_count === null ? "" : `[${c.execution_count}]`}</td>
        <td>${formatTime(c.start)}</td><td>${formatDuration(c.duration)}</td>
        <td class="mlm-bar-track"><div class="mlm-bar" style="width:${width}%"></div></td>
        <td class="mlm-status-cell">${c.success ? "ok" : `error ${escapeHtml(c.error)}`}</td>
        <td>${c.run_id ? `<span title="${escapeHtml(c.run_id)}">${escapeHtml(c.run_name || c.run_id.slice(0, 8))}</span>` : ""}</td>
        <td class="mlm-source" title="${escapeHtml(c.source)}">${escapeHtml(c.first_line)}${note}</td></tr>`;
    }).join("");
  }

  const refresh = () => model.send({ action: "refresh" });
  el.querySelector(".mlm-refresh").addEventListener("click", refresh);
  model.on("change:cells", draw);
  model.on("change:scope", draw);
  draw();
  return () => {
    el.querySelector(".mlm-refresh").removeEventListener("click", refresh);
    model.off("change:cells", draw);
    model.off("change:scope", draw);
  };
}

export default { render };

// mlm-jupyter runs table: virtualised rows, local sorting, filter box with inline errors,
// column chooser and row selection. Data arrives as columnar JSON in the "data" trait.

const ROW_HEIGHT = 26;
const OVERSCAN = 10;
const LABELS = {
  name: "Name", status: "Status", start_time: "Start (UTC)", duration: "Duration", end_time: "End (UTC)",
  experiment: "Experiment", user: "User", run_id: "Run id",
};
const WIDTHS = { name: 190, status: 92, start_time: 168, duration: 92, end_time: 168, run_id: 260 };

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function kindOf(column) {
  const dot = column.indexOf(".");
  return dot > 0 ? column.slice(0, dot) : "attribute";
}

function labelOf(column) {
  if (LABELS[column]) return LABELS[column];
  const dot = column.indexOf(".");
  return dot > 0 ? column.slice(dot + 1) : column;
}

function widthOf(column) {
  return WIDTHS[column] || 118;
}

function numeric(value) {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return value;
  const number = Number(value);
  return Number.isNaN(number) ? null : number;
}

function formatTime(seconds) {
  if (seconds === null || seconds === undefined) return "";
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace("T", " ");
}

function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(Math.floor(seconds % 60)).padStart(2, "0")}s`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h ${String(minutes % 60).padStart(2, "0")}m`;
}

function formatNumber(value) {
  const number = numeric(value);
  if (number === null) return value === null || value === undefined ? "" : String(value);
  if (!Number.isFinite(number)) return String(number);
  if (Number.isInteger(number) && Math.abs(number) < 1e12) return String(number);
  return String(Number(number.toPrecision(6)));
}

function render({ model, el }) {
  el.classList.add("mlm-widget", "mlm-runs-table");
  el.innerHTML = `
    <div class="mlm-toolbar">
      <input class="mlm-filter" type="text" spellcheck="false"
             placeholder="filter, e.g. metrics.val_auc > 0.9 and params.max_depth = 8  (Enter)"/>
      <button class="mlm-button mlm-clear" title="Clear the filter">&times;</button>
      <button class="mlm-button mlm-columns-button" title="Choose columns">Columns</button>
      <button class="mlm-button mlm-refresh" title="Search again">&#x21bb;</button>
      <span class="mlm-live" title="Running runs refresh automatically"></span>
    </div>
    <div class="mlm-error" hidden></div>
    <div class="mlm-chooser" hidden>
      <input class="mlm-chooser-search" type="text" placeholder="find a column"/>
      <div class="mlm-chooser-list"></div>
    </div>
    <div class="mlm-viewport" tabindex="0">
      <div class="mlm-header"></div>
      <div class="mlm-body"><div class="mlm-rows"></div></div>
    </div>
    <div class="mlm-footer"></div>`;
  const filterInput = el.querySelector(".mlm-filter");
  const errorBox = el.querySelector(".mlm-error");
  const chooser = el.querySelector(".mlm-chooser");
  const chooserList = el.querySelector(".mlm-chooser-list");
  const chooserSearch = el.querySelector(".mlm-chooser-search");
  const viewport = el.querySelector(".mlm-viewport");
  const header = el.querySelector(".mlm-header");
  const body = el.querySelector(".mlm-body");
  const rowsBox = el.querySelector(".mlm-rows");
  const footer = el.querySelector(".mlm-footer");
  const live = el.querySelector(".mlm-live");

  let data = {};
  let columns = [];
  let order = [];
  let count = 0;
  let selected = new Set(model.get("selected"));
  let lastClicked = null;
  let searching = false;
  let painted = { start: -1, end: -1 };

  function valueAt(column, row) {
    if (column === "duration") {
      const stored = data.duration ? data.duration[row] : null;
      if (stored !== null && stored !== undefined) return stored;
      if (data.status && data.status[row] === "running" && data.start_time) {
        return Date.now() / 1000 - data.start_time[row];
      }
      return null;
    }
    const values = data[column];
    return values ? values[row] : null;
  }

  function computeOrder() {
    order = Array.from({ length: count }, (_, i) => i);
    const sort = model.get("sort") || [];
    const column = sort[0];
    if (!column) return;
    const sign = sort[1] === "desc" ? -1 : 1;
    const values = order.map((row) => valueAt(column, row));
    const present = values.filter((v) => v !== null && v !== undefined && v !== "");
    const allNumbers = present.every((v) => numeric(v) !== null);
    const keys = allNumbers ? values.map((v) => numeric(v)) : values.map((v) => (v === null || v === undefined ? null : String(v)));
    order.sort((a, b) => {
      const x = keys[a];
      const y = keys[b];
      if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
      if (y === null || y === undefined) return -1;
      return x < y ? -sign : x > y ? sign : 0;
    });
  }

  function cellHtml(column, row) {
    const value = valueAt(column, row);
    if (column === "status") return `<span class="mlm-status mlm-status-${escapeHtml(value || "")}">${escapeHtml(value || "")}</span>`;
    if (column === "start_time" || column === "end_time") return escapeHtml(formatTime(value));
    if (column === "duration") return escapeHtml(formatDuration(value));
    if (column.startsWith("metrics.")) return escapeHtml(formatNumber(value));
    return value === null || value === undefined ? "" : escapeHtml(value);
  }

  function layout() {
    const template = ["30px", ...columns.map((c) => `${widthOf(c)}px`)].join(" ");
    el.style.setProperty("--mlm-columns", template);
    const width = 30 + columns.reduce((sum, c) => sum + widthOf(c), 0);
    el.style.setProperty("--mlm-table-width", `${width}px`);
    const sort = model.get("sort") || [];
    const allSelected = count > 0 && order.every((row) => selected.has(data.run_id[row]));
    header.innerHTML = `<div class="mlm-cell mlm-check"><input type="checkbox" class="mlm-select-all" ${allSelected ? "checked" : ""}
        title="Select all shown runs"/></div>` + columns.map((column) => {
      const arrow = sort[0] === column ? (sort[1] === "desc" ? " \u25BC" : " \u25B2") : "";
      return `<div class="mlm-cell mlm-head mlm-kind-${kindOf(column)}" data-column="${escapeHtml(column)}"
          title="${escapeHtml(column)} (click to sort)">${escapeHtml(labelOf(column))}${arrow}</div>`;
    }).join("");
    body.style.height = `${count * ROW_HEIGHT}px`;
    viewport.style.height = `${Math.min(420, 30 + Math.max(count, 3) * ROW_HEIGHT + 16)}px`;
  }

  function paint(force) {
    const top = viewport.scrollTop;
    const visible = Math.ceil(viewport.clientHeight / ROW_HEIGHT) + 1;
    const start = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const end = Math.min(count, start + visible + 2 * OVERSCAN);
    if (!force && start === painted.start && end === painted.end) return;
    painted = { start, end };
    const parts = [];
    for (let position = start; position < end; position++) {
      const row = order[position];
      const runId = data.run_id[row];
      const isSelected = selected.has(runId);
      parts.push(`<div class="mlm-row${isSelected ? " mlm-selected" : ""}${position % 2 ? " mlm-odd" : ""}"
          data-position="${position}" data-run-id="${escapeHtml(runId)}">` +
        `<div class="mlm-cell mlm-check"><input type="checkbox" ${isSelected ? "checked" : ""} tabindex="-1"/></div>` +
        columns.map((column) => `<div class="mlm-cell" data-column="${escapeHtml(column)}">${cellHtml(column, row)}</div>`).join("") +
        "</div>");
    }
    rowsBox.style.transform = `translateY(${start * ROW_HEIGHT}px)`;
    rowsBox.innerHTML = parts.join("");
    if (count > 0) el.dataset.painted = "1";
  }

  function updateFooter() {
    const total = model.get("total");
    const running = data.status ? data.status.filter((s) => s === "running").length : 0;
    const filterText = model.get("filter");
    let text = `${count} run${count === 1 ? "" : "s"}`;
    if (total > count) text += ` of ${total} (newest first; narrow the filter to see the rest)`;
    if (filterText) text += ` matching the filter`;
    text += ` \u00b7 ${selected.size} selected`;
    if (searching) text += " \u00b7 searching\u2026";
    footer.textContent = text;
    live.textContent = running && model.get("live") ? `\u25CF ${running} running` : "";
  }

  function rebuild() {
    data = model.get("data") || {};
    columns = model.get("columns") || [];
    count = data.run_id ? data.run_id.length : 0;
    searching = false;
    computeOrder();
    layout();
    paint(true);
    updateFooter();
  }

  function showError() {
    const error = model.get("error") || {};
    searching = false;
    if (!error.message) {
      errorBox.hidden = true;
      filterInput.classList.remove("mlm-invalid");
      updateFooter();
      return;
    }
    const text = error.text || filterInput.value;
    const column = Math.max(1, error.column || 1);
    errorBox.innerHTML = `<pre class="mlm-error-text">${escapeHtml(text)}\n${" ".repeat(column - 1)}^</pre>` +
      `<div class="mlm-error-message">${escapeHtml(error.message)}${error.column ? ` (column ${error.column})` : ""}</div>`;
    errorBox.hidden = false;
    filterInput.classList.add("mlm-invalid");
    updateFooter();
  }

  function setSelected(next) {
    selected = new Set(next);
    model.set("selected", [...selected]);
    model.save_changes();
    layout();
    paint(true);
    updateFooter();
  }

  function applyFilter() {
    const text = filterInput.value.trim();
    if (text === model.get("filter")) {
      model.send({ action: "refresh" });
    } else {
      model.set("filter", text);
      model.save_changes();
    }
    searching = true;
    updateFooter();
  }

  function renderChooser() {
    const chosen = new Set(model.get("columns"));
    const needle = chooserSearch.value.trim().toLowerCase();
    chooserList.innerHTML = (model.get("available_columns") || [])
      .filter((c) => !needle || c.toLowerCase().includes(needle))
      .map((c) => `<label class="mlm-chooser-item"><input type="checkbox" data-column="${escapeHtml(c)}"
          ${chosen.has(c) ? "checked" : ""}/> ${escapeHtml(c)}</label>`).join("");
    el.querySelector(".mlm-columns-button").textContent = `Columns (${chosen.size}/${(model.get("available_columns") || []).length})`;
  }

  // ---------------------------------------------------------------- events
  const listeners = [];
  function on(target, event, handler) {
    target.addEventListener(event, handler);
    listeners.push(() => target.removeEventListener(event, handler));
  }
  on(filterInput, "keydown", (event) => {
    if (event.key === "Enter") applyFilter();
    event.stopPropagation(); // keep JupyterLab's notebook shortcuts out of the text box
  });
  on(el.querySelector(".mlm-clear"), "click", () => { filterInput.value = ""; applyFilter(); });
  on(el.querySelector(".mlm-refresh"), "click", () => { model.send({ action: "refresh" }); searching = true; updateFooter(); });
  on(el.querySelector(".mlm-columns-button"), "click", () => { chooser.hidden = !chooser.hidden; renderChooser(); });
  on(chooserSearch, "input", renderChooser);
  on(chooserSearch, "keydown", (event) => event.stopPropagation());
  on(chooserList, "change", (event) => {
    const column = event.target.dataset.column;
    if (!column) return;
    const current = model.get("columns").slice();
    const next = event.target.checked ? [...current, column] : current.filter((c) => c !== column);
    const available = model.get("available_columns");
    next.sort((a, b) => available.indexOf(a) - available.indexOf(b));
    model.set("columns", next);
    model.save_changes();
  });
  on(header, "click", (event) => {
    if (event.target.classList.contains("mlm-select-all")) {
      setSelected(event.target.checked ? order.map((row) => data.run_id[row]) : []);
      return;
    }
    const cell = event.target.closest(".mlm-head");
    if (!cell) return;
    const column = cell.dataset.column;
    const sort = model.get("sort") || [];
    const next = sort[0] === column ? [column, sort[1] === "asc" ? "desc" : "asc"] : [column, "asc"];
    model.set("sort", next);
    model.save_changes();
  });
  on(rowsBox, "click", (event) => {
    const rowEl = event.target.closest(".mlm-row");
    if (!rowEl) return;
    const position = Number(rowEl.dataset.position);
    const runId = rowEl.dataset.runId;
    const next = new Set(selected);
    if (event.shiftKey && lastClicked !== null) {
      const [from, to] = lastClicked < position ? [lastClicked, position] : [position, lastClicked];
      for (let p = from; p <= to; p++) next.add(data.run_id[order[p]]);
    } else if (next.has(runId)) {
      next.delete(runId);
    } else {
      next.add(runId);
    }
    lastClicked = position;
    setSelected(next);
  });
  on(viewport, "scroll", () => requestAnimationFrame(() => paint(false)));

  const modelEvents = [
    ["change:data", rebuild],
    ["change:columns", () => { rebuild(); if (!chooser.hidden) renderChooser(); }],
    ["change:available_columns", () => { if (!chooser.hidden) renderChooser(); }],
    ["change:sort", () => { computeOrder(); layout(); paint(true); }],
    ["change:selected", () => { selected = new Set(model.get("selected")); layout(); paint(true); updateFooter(); }],
    ["change:error", showError],
    ["change:total", updateFooter],
    ["change:filter", () => { if (document.activeElement !== filterInput) filterInput.value = model.get("filter"); }],
  ];
  for (const [event, handler] of modelEvents) model.on(event, handler);

  // running runs' durations tick in the browser between refreshes
  const ticker = setInterval(() => {
    if (data.status && data.status.includes("running")) paint(true);
  }, 1000);

  filterInput.value = model.get("filter") || "";
  rebuild();
  showError();
  renderChooser();
  // paint again once the output area has its size
  requestAnimationFrame(() => paint(true));

  return () => {
    clearInterval(ticker);
    for (const off of listeners) off();
    for (const [event, handler] of modelEvents) model.off(event, handler);
  };
}

export default { render };

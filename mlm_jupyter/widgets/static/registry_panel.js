// mlm-jupyter registry panel: models, versions with alias badges, promote/archive with a required
// reason (sent to Python, which calls the registry), and the audit trail.

function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function formatTime(seconds) {
  if (seconds === null || seconds === undefined) return "";
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
}

function formatNumber(value) {
  if (typeof value !== "number") return escapeHtml(value);
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(5)));
}

function badges(aliases) {
  return (aliases || []).map((a) => `<span class="mlm-badge mlm-alias-${escapeHtml(a)}">@${escapeHtml(a)}</span>`).join(" ");
}

function render({ model, el }) {
  el.classList.add("mlm-widget", "mlm-panel", "mlm-registry");
  el.innerHTML = `
    <div class="mlm-message" hidden></div>
    <div class="mlm-registry-layout">
      <div class="mlm-models"></div>
      <div class="mlm-model-detail">
        <div class="mlm-model-title"></div>
        <div class="mlm-rules"></div>
        <table class="mlm-table mlm-versions"></table>
        <h4>Audit trail</h4>
        <table class="mlm-table mlm-history"></table>
      </div>
    </div>`;
  const messageBox = el.querySelector(".mlm-message");
  const modelsBox = el.querySelector(".mlm-models");
  const title = el.querySelector(".mlm-model-title");
  const rulesBox = el.querySelector(".mlm-rules");
  const versionsTable = el.querySelector(".mlm-versions");
  const historyTable = el.querySelector(".mlm-history");
  let openForm = null; // {version, kind: "promote"|"archive"}

  function showMessage() {
    const message = model.get("message") || {};
    if (!message.text) { messageBox.hidden = true; return; }
    messageBox.hidden = false;
    messageBox.className = `mlm-message mlm-message-${message.kind === "error" ? "error" : "ok"}`;
    messageBox.textContent = message.text;
  }

  function renderModels() {
    const current = model.get("model_name");
    const models = model.get("models") || [];
    modelsBox.innerHTML = models.length ? models.map((m) => `
      <button class="mlm-model-item${m.name === current ? " mlm-current" : ""}" data-name="${escapeHtml(m.name)}">
        <span class="mlm-model-name">${escapeHtml(m.name)}</span>
        <span class="mlm-model-meta">${m.versions} version${m.versions === 1 ? "" : "s"}</span>
        <span>${Object.entries(m.aliases || {}).map(([a, v]) => `<span class="mlm-badge mlm-alias-${escapeHtml(a)}">@${escapeHtml(a)}=v${v}</span>`).join(" ")}</span>
      </button>`).join("") : `<div class="mlm-empty">No registered models yet: mlm.log_model(model, name=...)</div>`;
  }

  function aliasOptions() {
    const known = new Set(["production", "staging", "champion", "challenger"]);
    for (const m of model.get("models") || []) for (const a of Object.keys(m.aliases || {})) known.add(a);
    return [...known].map((a) => `<option value="${escapeHtml(a)}"></option>`).join("");
  }

  function formRow(version, columns) {
    const promote = openForm.kind === "promote";
    return `<tr class="mlm-form-row"><td colspan="${columns}">
      <form class="mlm-action-form ${promote ? "mlm-promote-form" : "mlm-archive-form"}" data-version="${version}">
        ${promote ? `<label>alias <input class="mlm-alias" list="mlm-alias-options-${model.cid}" value="production" size="14"/></label>
          <datalist id="mlm-alias-options-${model.cid}">${aliasOptions()}</datalist>` : ""}
        <label class="mlm-reason-label">reason <input class="mlm-reason" required placeholder="required: why?" size="40"/></label>
        <button type="submit" class="mlm-button mlm-primary mlm-submit" disabled>${promote ? `Promote v${version}` : `Archive v${version}`}</button>
        <button type="button" class="mlm-button mlm-cancel">Cancel</button>
      </form></td></tr>`;
  }

  function renderVersions() {
    const name = model.get("model_name");
    const versions = model.get("versions") || [];
    title.innerHTML = name ? `<b>${escapeHtml(name)}</b>` : "";
    const rules = model.get("rules") || [];
    rulesBox.textContent = rules.length ? `Promotion rules: ${rules.join("; ")}` : "";
    if (!name) { versionsTable.innerHTML = ""; return; }
    const metricKeys = [...new Set(versions.flatMap((v) => Object.keys(v.metrics || {})))].slice(0, 6);
    const columns = 6 + metricKeys.length;
    const head = `<thead><tr><th>version</th><th>status</th><th>aliases</th>${metricKeys.map((k) => `<th>${escapeHtml(k)}</th>`).join("")}
      <th>lineage</th><th>created</th><th></th></tr></thead>`;
    const rows = versions.map((v) => {
      const lineage = v.lineage || {};
      const parts = [lineage.experiment, lineage.run].filter(Boolean).map(escapeHtml).join(" / ");
      const data = (lineage.data || []).length ? `<div class="mlm-lineage-data">data: ${lineage.data.map(escapeHtml).join(", ")}</div>` : "";
      const archived = v.status === "archived";
      let row = `<tr class="mlm-version-row${archived ? " mlm-archived" : ""}" data-version="${v.version}">
        <td>v${v.version}</td><td>${escapeHtml(v.status)}</td><td>${badges(v.aliases)}</td>
        ${metricKeys.map((k) => `<td>${k in (v.metrics || {}) ? formatNumber(v.metrics[k]) : ""}</td>`).join("")}
        <td>${parts}${data}</td><td>${formatTime(v.created_at)}${v.created_by ? ` by ${escapeHtml(v.created_by)}` : ""}</td>
        <td class="mlm-actions">
          ${archived ? `<button class="mlm-button mlm-restore-button" data-version="${v.version}">Restore</button>`
            : `<button class="mlm-button mlm-promote-button" data-version="${v.version}">Promote\u2026</button>
               <button class="mlm-button mlm-archive-button" data-version="${v.version}">Archive\u2026</button>`}
        </td></tr>`;
      if (openForm && openForm.version === v.version) row += formRow(v.version, columns);
      return row;
    }).join("");
    versionsTable.innerHTML = head + `<tbody>${rows}</tbody>`;
    const reason = versionsTable.querySelector(".mlm-reason");
    if (reason) reason.focus();
  }

  function renderHistory() {
    const history = model.get("history") || [];
    historyTable.innerHTML = `<thead><tr><th>time</th><th>user</th><th>action</th><th>version</th><th>alias</th>
      <th>change</th><th>reason</th></tr></thead><tbody>` + history.map((h) => `
      <tr class="mlm-history-row mlm-action-${escapeHtml(h.action)}"><td>${formatTime(h.time)}</td><td>${escapeHtml(h.user)}</td>
      <td>${escapeHtml(h.action)}${h.forced ? " (forced)" : ""}</td><td>${h.version ?? ""}</td><td>${h.alias ? "@" + escapeHtml(h.alias) : ""}</td>
      <td>${h.from || h.to ? `${escapeHtml(h.from ?? "")} \u2192 ${escapeHtml(h.to ?? "")}` : ""}</td><td>${escapeHtml(h.reason ?? "")}</td></tr>`).join("") +
      "</tbody>";
  }

  const listeners = [];
  function on(target, event, handler) {
    target.addEventListener(event, handler);
    listeners.push(() => target.removeEventListener(event, handler));
  }
  on(modelsBox, "click", (event) => {
    const item = event.target.closest(".mlm-model-item");
    if (!item) return;
    openForm = null;
    model.send({ action: "select", name: item.dataset.name });
  });
  on(versionsTable, "click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const version = Number(button.dataset.version || (button.closest("form") || {}).dataset?.version);
    if (button.classList.contains("mlm-promote-button")) { openForm = { version, kind: "promote" }; renderVersions(); }
    else if (button.classList.contains("mlm-archive-button")) { openForm = { version, kind: "archive" }; renderVersions(); }
    else if (button.classList.contains("mlm-restore-button")) model.send({ action: "restore", version, reason: "" });
    else if (button.classList.contains("mlm-cancel")) { openForm = null; renderVersions(); }
  });
  on(versionsTable, "input", (event) => {
    const form = event.target.closest("form");
    if (form) form.querySelector(".mlm-submit").disabled = !form.querySelector(".mlm-reason").value.trim();
  });
  on(versionsTable, "keydown", (event) => event.stopPropagation()); // typing must not trigger notebook shortcuts
  on(versionsTable, "submit", (event) => {
    event.preventDefault();
    const form = event.target;
    const reason = form.querySelector(".mlm-reason").value.trim();
    if (!reason) return;
    const version = Number(form.dataset.version);
    if (form.classList.contains("mlm-promote-form")) {
      model.send({ action: "promote", version, alias: form.querySelector(".mlm-alias").value.trim(), reason });
    } else {
      model.send({ action: "archive", version, reason });
    }
    openForm = null;
    form.querySelector(".mlm-submit").disabled = true;
  });

  const modelEvents = [
    ["change:message", showMessage],
    ["change:models", renderModels],
    ["change:model_name", () => { renderModels(); renderVersions(); }],
    ["change:versions", renderVersions],
    ["change:rules", renderVersions],
    ["change:history", renderHistory],
  ];
  for (const [event, handler] of modelEvents) model.on(event, handler);
  showMessage();
  renderModels();
  renderVersions();
  renderHistory();
  return () => {
    for (const off of listeners) off();
    for (const [event, handler] of modelEvents) model.off(event, handler);
  };
}

export default { render };

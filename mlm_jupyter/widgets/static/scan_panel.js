// mlm-jupyter scan report: the report's HTML (rendered and escaped in Python), a message line, and a
// promote form that asks the kernel to move an alias through the registry's promotion gates.

function render({ model, el }) {
  el.classList.add("mlm-widget", "mlm-panel", "mlm-scan-panel");
  el.innerHTML = `
    <div class="mlm-message" role="status"></div>
    <div class="mlm-promote" hidden>
      <label>alias <input class="mlm-alias" value="production" size="12"></label>
      <label>reason <input class="mlm-reason" placeholder="why this version should serve" size="36"></label>
      <button class="mlm-button mlm-promote-button">Promote</button>
    </div>
    <div class="mlm-scan-body"></div>`;
  const message = el.querySelector(".mlm-message");
  const body = el.querySelector(".mlm-scan-body");
  const promote = el.querySelector(".mlm-promote");
  const draw = () => {
    body.innerHTML = model.get("html") || "";
    const target = model.get("target") || {};
    promote.hidden = !target.name;
    const m = model.get("message") || {};
    message.textContent = m.text || "";
    message.className = `mlm-message ${m.kind === "error" ? "mlm-error" : m.kind === "ok" ? "mlm-ok" : ""}`;
  };
  el.querySelector(".mlm-promote-button").addEventListener("click", () => {
    model.send({
      action: "promote",
      alias: el.querySelector(".mlm-alias").value,
      reason: el.querySelector(".mlm-reason").value,
    });
  });
  model.on("change:html", draw);
  model.on("change:target", draw);
  model.on("change:message", draw);
  draw();
}

export default { render };

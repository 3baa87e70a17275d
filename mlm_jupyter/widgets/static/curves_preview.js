// mlm-jupyter comparison preview: overlaid curves on a 2-D canvas, painted at once; hides itself when
// the plotly FigureWidget of the same comparison has drawn.

function niceTicks(low, high, count) {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push(t);
  return ticks;
}

function label(value) {
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e5 || abs < 1e-3)) return value.toExponential(1);
  return String(Number(value.toPrecision(4)));
}

function render({ model, el }) {
  el.classList.add("mlm-curves-preview");
  el.innerHTML = `<canvas></canvas><div class="mlm-preview-note">quick view, interactive plot loading\u2026</div>`;
  const canvas = el.querySelector("canvas");

  function draw() {
    const series = model.get("series") || [];
    const ratio = window.devicePixelRatio || 1;
    const width = el.clientWidth || 800;
    const height = el.clientHeight || 320;
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    const ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    const style = getComputedStyle(el);
    const ink = style.getPropertyValue("--jp-ui-font-color2").trim() || "#888";
    const grid = style.getPropertyValue("--jp-border-color2").trim() || "rgba(128,128,128,0.3)";
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const s of series) {
      for (let i = 0; i < s.x.length; i++) {
        const y = s.y[i];
        if (y === null) continue;
        if (s.x[i] < x0) x0 = s.x[i];
        if (s.x[i] > x1) x1 = s.x[i];
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
    if (!Number.isFinite(x0)) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
    if (x1 === x0) { x0 -= 1; x1 += 1; }
    if (y1 === y0) { y0 -= 1; y1 += 1; }
    const left = 60, right = 16, top = 28, bottom = 34;
    const sx = (x) => left + ((x - x0) / (x1 - x0)) * (width - left - right);
    const sy = (y) => top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom);
    ctx.font = "11px sans-serif";
    ctx.fillStyle = ink;
    ctx.strokeStyle = grid;
    ctx.lineWidth = 1;
    for (const t of niceTicks(y0, y1, 5)) {
      ctx.beginPath(); ctx.moveTo(left, sy(t)); ctx.lineTo(width - right, sy(t)); ctx.stroke();
      ctx.textAlign = "right"; ctx.fillText(label(t), left - 6, sy(t) + 4);
    }
    for (const t of niceTicks(x0, x1, 6)) {
      ctx.textAlign = "center"; ctx.fillText(label(t), sx(t), height - bottom + 14);
    }
    ctx.fillText("step", (left + width - right) / 2, height - 4);
    ctx.save(); ctx.translate(12, (top + height - bottom) / 2); ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center"; ctx.fillText(model.get("y_label") || "", 0, 0); ctx.restore();
    let legendX = left;
    for (const s of series) {
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < s.x.length; i++) {
        const y = s.y[i];
        if (y === null) { pen = false; continue; }
        if (pen) ctx.lineTo(sx(s.x[i]), sy(y)); else { ctx.moveTo(sx(s.x[i]), sy(y)); pen = true; }
      }
      ctx.stroke();
      ctx.fillStyle = s.color; ctx.fillRect(legendX, 10, 14, 3);
      ctx.fillStyle = ink; ctx.textAlign = "left"; ctx.fillText(s.name, legendX + 18, 15);
      legendX += 28 + ctx.measureText(s.name).width;
    }
    canvas.dataset.painted = String(series.length);
  }

  // hide once the plotly figure of the same comparison has drawn its traces
  const watcher = setInterval(() => {
    const box = el.closest(".mlm-comparison");
    if (box && box.querySelector(".js-plotly-plot .legend, .js-plotly-plot .cartesianlayer .plot")) {
      el.style.display = "none";
      clearInterval(watcher);
    }
  }, 200);
  model.on("change:series", draw);
  model.on("change:y_label", draw);
  requestAnimationFrame(draw);
  draw();
  return () => {
    clearInterval(watcher);
    model.off("change:series", draw);
    model.off("change:y_label", draw);
  };
}

export default { render };

/**
 * Small SVG charts for the reports (distribution bars, a few points over time):
 * built with createElementNS and textContent only, coloured by theme classes.
 */

const NS = 'http://www.w3.org/2000/svg';

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    node.setAttribute(k, String(v));
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** A hover text (an SVG <title>) on `node`. */
function titled(node: SVGElement, text: string): SVGElement {
  node.append(el('title', {}, text));
  return node;
}

export interface BarGroup {
  label: string;
  values: number[];
}

const short = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(3))));

/**
 * Grouped bars: one group per bin/category, one bar per series (reference, current), shares in [0, 1].
 * `series` names the bars (class `mlm-bar-<i>`).
 */
export function groupedBars(groups: BarGroup[], series: string[], title: string): SVGSVGElement {
  const width = Math.max(320, Math.min(900, groups.length * series.length * 10 + 80));
  const height = 200;
  const left = 40;
  const bottom = 36;
  const top = 18;
  const max = Math.max(1e-9, ...groups.flatMap(g => g.values));
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'mlm-svg-chart', role: 'img' }) as SVGSVGElement;
  svg.append(el('text', { x: left, y: 12, class: 'mlm-svg-title' }, title));
  const plotW = width - left - 8;
  const plotH = height - top - bottom;
  svg.append(el('line', { x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, class: 'mlm-svg-axis' }));
  svg.append(el('text', { x: 2, y: top + 8, class: 'mlm-svg-tick' }, short(max)));
  svg.append(el('text', { x: 2, y: top + plotH, class: 'mlm-svg-tick' }, '0'));
  const slot = plotW / Math.max(1, groups.length);
  const bar = Math.max(1, (slot - 2) / series.length);
  const every = Math.ceil(groups.length / 12); // at most ~12 x labels
  groups.forEach((g, i) => {
    g.values.forEach((v, s) => {
      const h = (Math.max(0, v) / max) * plotH;
      const rect = el('rect', {
        x: left + i * slot + 1 + s * bar,
        y: top + plotH - h,
        width: bar,
        height: Math.max(h, 0),
        class: `mlm-bar mlm-bar-${s}`,
        'data-series': series[s],
        'data-label': g.label
      });
      svg.append(titled(rect, `${g.label} · ${series[s]}: ${(v * 100).toFixed(1)}%`));
    });
    if (i % every === 0) {
      const label = g.label.length > 10 ? `${g.label.slice(0, 9)}…` : g.label;
      svg.append(el('text', { x: left + i * slot + 1, y: height - bottom + 14, class: 'mlm-svg-tick' }, label));
    }
  });
  series.forEach((name, s) => {
    const x = left + 8 + s * 110;
    svg.append(el('rect', { x, y: height - 14, width: 10, height: 10, class: `mlm-bar mlm-bar-${s}` }));
    svg.append(el('text', { x: x + 14, y: height - 5, class: 'mlm-svg-tick' }, name));
  });
  return svg;
}

export interface LineSeries {
  label: string;
  /** [x, y] with x in epoch seconds; y null for a gap. */
  points: [number, number | null][];
  /** Marked points (drawn as bad dots), by index. */
  marks?: boolean[];
}

/** Lines over time, with dashed horizontal references (a threshold, a training metric). */
export function timeLines(series: LineSeries[], references: { label: string; y: number }[], title: string): SVGSVGElement {
  const width = 640;
  const height = 200;
  const left = 44;
  const bottom = 34;
  const top = 18;
  const xs = series.flatMap(s => s.points.map(p => p[0]));
  const ys = [...series.flatMap(s => s.points.map(p => p[1]).filter((y): y is number => y !== null)), ...references.map(r => r.y)];
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'mlm-svg-chart', role: 'img' }) as SVGSVGElement;
  svg.append(el('text', { x: left, y: 12, class: 'mlm-svg-title' }, title));
  if (!xs.length || !ys.length) {
    return svg;
  }
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(0, ...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-9) {
    y1 = y0 + 1;
  }
  y1 += (y1 - y0) * 0.05;
  const plotW = width - left - 8;
  const plotH = height - top - bottom;
  const X = (x: number) => left + (x1 === x0 ? plotW / 2 : ((x - x0) / (x1 - x0)) * plotW);
  const Y = (y: number) => top + plotH - ((y - y0) / (y1 - y0)) * plotH;
  svg.append(el('line', { x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, class: 'mlm-svg-axis' }));
  svg.append(el('text', { x: 2, y: top + 8, class: 'mlm-svg-tick' }, short(y1)));
  svg.append(el('text', { x: 2, y: top + plotH, class: 'mlm-svg-tick' }, short(y0)));
  const time = (t: number) => new Date(t * 1000).toISOString().slice(5, 16).replace('T', ' ');
  svg.append(el('text', { x: left, y: height - bottom + 14, class: 'mlm-svg-tick' }, time(x0)));
  if (x1 !== x0) {
    svg.append(el('text', { x: left + plotW - 70, y: height - bottom + 14, class: 'mlm-svg-tick' }, time(x1)));
  }
  references.forEach(r => {
    const line = el('line', { x1: left, x2: left + plotW, y1: Y(r.y), y2: Y(r.y), class: 'mlm-svg-reference' });
    svg.append(titled(line, `${r.label}: ${short(r.y)}`));
  });
  series.forEach((s, i) => {
    const pts = s.points.filter((p): p is [number, number] => p[1] !== null);
    if (pts.length > 1) {
      svg.append(el('polyline', { points: pts.map(([x, y]) => `${X(x)},${Y(y)}`).join(' '), class: `mlm-line mlm-line-${i}`, fill: 'none' }));
    }
    s.points.forEach(([x, y], k) => {
      if (y === null) {
        return;
      }
      const dot = el('circle', { cx: X(x), cy: Y(y), r: 3, class: `mlm-dot mlm-line-${i}${s.marks?.[k] ? ' mlm-dot-bad' : ''}` });
      svg.append(titled(dot, `${time(x)} · ${s.label}: ${short(y)}`));
    });
    svg.append(el('text', { x: left + 8 + i * 140, y: height - 4, class: `mlm-svg-tick mlm-legend-${i}` }, `— ${s.label}`));
  });
  return svg;
}

/**
 * The comparison of 2+ runs: metric chart (zoom, hover, log scale, smoothing,
 * step/time axis), params/tags/metrics diff (only-differences toggle), data
 * fingerprint diff and the cells' code diff.
 */
import type uPlot from 'uplot';

import { fingerprintDiff, lineDiff, mapDiff } from './diff';
import type { DiffRow } from './diff';
import type { ComparisonModel } from './models';
import { badge, h, mount } from './dom';
import { drawChart } from './chart';
import { reproBadge, sessionDiffView } from './reproViews';

export class ComparisonView {
  readonly node: HTMLElement;
  private readonly controls: HTMLElement;
  private readonly chartHost: HTMLElement;
  private readonly body: HTMLElement;
  private plot: uPlot | null = null;
  private readonly resize: ResizeObserver | null;
  /** Milliseconds from `start()` to the first drawn chart (read by tests and benchmarks). */
  firstChartMs: number | null = null;
  private started = performance.now();
  private readonly render = () => this.draw();
  /** The session diff (kept across redraws; loaded once the chart's data is in). */
  private readonly session: HTMLElement = h('section', { class: 'mlm-session-diff' });
  private sessionScope = 'dependencies';
  private sessionOther = 1;
  private sessionSeq = 0;

  constructor(readonly model: ComparisonModel) {
    this.controls = h('div', { class: 'mlm-compare-controls' });
    this.chartHost = h('div', { class: 'mlm-chart' });
    this.body = h('div', { class: 'mlm-compare-body' });
    this.node = h('div', { class: 'mlm-view mlm-compare', 'data-created-at': String(Date.now()) }, this.controls, this.chartHost, this.body);
    model.changed.connect(this.render);
    this.resize =
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver(() => {
            const width = this.chartHost.clientWidth;
            if (this.plot && width && Math.abs(width - this.plot.width) > 4) {
              this.plot.setSize({ width, height: 320 });
            }
          });
    this.resize?.observe(this.chartHost);
  }

  /** Load the runs and render; the chart appears as soon as the first history arrives. */
  start(): Promise<void> {
    this.started = performance.now();
    return this.model.load().then(() => this.loadSession());
  }

  /** Diff the sessions of the first run and the chosen other one (cells in execution order). */
  async loadSession(): Promise<void> {
    const m = this.model;
    const seq = ++this.sessionSeq;
    if (!m.source.sessionDiff || m.runs.length < 2) {
      mount(this.session);
      return;
    }
    const other = Math.min(this.sessionOther, m.runs.length - 1);
    const [a, b] = [m.runs[0], m.runs[other]];
    const label = (r: { name?: string; id: string }) => r.name || r.id;
    const scope: HTMLSelectElement = h(
      'select',
      {
        class: 'jp-mod-styled mlm-session-scope',
        'aria-label': 'Session diff scope',
        onchange: () => {
          this.sessionScope = scope.value;
          void this.loadSession();
        }
      },
      ...['dependencies', 'session'].map(v => h('option', { value: v, selected: v === this.sessionScope }, v))
    );
    const pick: HTMLSelectElement = h(
      'select',
      {
        class: 'jp-mod-styled mlm-session-other',
        'aria-label': 'Compare the first run with',
        onchange: () => {
          this.sessionOther = Number(pick.value);
          void this.loadSession();
        }
      },
      ...m.runs.slice(1).map((r, i) => h('option', { value: String(i + 1), selected: i + 1 === other }, label(r)))
    );
    const head = [
      h('h3', {}, 'Session diff (the cells behind each run)'),
      h('div', { class: 'mlm-compare-controls' }, h('label', {}, 'cells ', scope), m.runs.length > 2 ? h('label', {}, `${label(a)} vs `, pick) : null)
    ];
    if (!m.sources[0] || !m.sources[other]) {
      mount(this.session, ...head, h('div', { class: 'mlm-empty' }, 'Only runs made by a %%track cell have a session to diff.'));
      return;
    }
    mount(this.session, ...head, h('div', { class: 'mlm-empty' }, 'Loading the session diff...'));
    let body: HTMLElement;
    try {
      body = sessionDiffView(await m.source.sessionDiff(a.id, b.id, this.sessionScope), [label(a), label(b)]);
    } catch (error) {
      body = h('div', { class: 'mlm-error', role: 'alert' }, error instanceof Error ? error.message : String(error));
    }
    if (seq === this.sessionSeq) {
      mount(this.session, ...head, body);
    }
  }

  dispose(): void {
    this.model.changed.disconnect(this.render);
    this.resize?.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  private draw(): void {
    const m = this.model;
    if (m.loading && !m.runs.length) {
      mount(this.body, h('div', { class: 'mlm-empty' }, 'Loading runs...'));
      return;
    }
    this.drawControls();
    this.drawChart();
    const runs = m.runs;
    const header = (title: string) =>
      h('tr', {}, h('th', {}, title), ...runs.map(r => h('th', { title: r.id }, r.name || r.id)));
    mount(
      this.body,
      m.error ? h('div', { class: 'mlm-error', role: 'alert' }, m.error) : null,
      h(
        'label',
        { class: 'mlm-only-diff' },
        h('input', {
          type: 'checkbox',
          class: 'mlm-only-diff-toggle',
          checked: m.onlyDifferences,
          onchange: (e: Event) => m.set({ onlyDifferences: (e.target as HTMLInputElement).checked })
        }),
        ' Only differences'
      ),
      h(
        'table',
        { class: 'mlm-table mlm-status-table' },
        header('run'),
        h('tr', {}, h('td', {}, 'status'), ...runs.map(r => h('td', {}, badge(r.status)))),
        runs.some(r => reproBadge(r.tags as Record<string, unknown> | undefined))
          ? h('tr', { class: 'mlm-repro-row' }, h('td', {}, 'reproduction'), ...runs.map(r => h('td', {}, reproBadge(r.tags as Record<string, unknown> | undefined))))
          : null
      ),
      this.diffTable('Parameters', 'mlm-params-diff', header, mapDiff(runs, 'params', m.onlyDifferences)),
      this.diffTable('Tags', 'mlm-tags-diff', header, mapDiff(runs, 'tags', m.onlyDifferences)),
      this.diffTable('Latest metrics', 'mlm-metrics-diff', header, mapDiff(runs, 'metrics', false)),
      this.diffTable('Data (fingerprints)', 'mlm-data-diff', header, fingerprintDiff(runs, m.onlyDifferences)),
      this.codeDiff(),
      this.session
    );
  }

  private drawControls(): void {
    const m = this.model;
    if (this.controls.contains(document.activeElement) && this.controls.childElementCount) {
      const count = this.controls.querySelector('.mlm-point-count');
      if (count) {
        count.textContent = `stored points: ${m.counts.join(' / ')}`;
      }
      return; // the user is operating a control: do not rebuild it under the pointer
    }
    const select = (cls: string, label: string, options: string[], value: string, onchange: (v: string) => void) => {
      const node: HTMLSelectElement = h(
        'select',
        { class: `jp-mod-styled ${cls}`, 'aria-label': label, onchange: () => onchange(node.value) },
        ...options.map(k => h('option', { value: k, selected: k === value }, k))
      );
      return h('label', {}, `${label} `, node);
    };
    const check = (cls: string, label: string, checked: boolean, onchange: (on: boolean) => void) =>
      h(
        'label',
        {},
        h('input', { type: 'checkbox', class: cls, checked, onchange: (e: Event) => onchange((e.target as HTMLInputElement).checked) }),
        ` ${label}`
      );
    const smoothing: HTMLInputElement = h('input', {
      type: 'range',
      class: 'mlm-smoothing',
      min: '0',
      max: '0.99',
      step: '0.01',
      value: String(m.smoothing),
      'aria-label': 'Smoothing',
      oninput: () => m.set({ smoothing: Number(smoothing.value) })
    });
    mount(
      this.controls,
      select('mlm-metric-select', 'Metric', m.keys, m.metric, v => void m.selectMetric(v)),
      select('mlm-axis-select', 'X axis', ['step', 'time'], m.axis, v => m.set({ axis: v === 'time' ? 'time' : 'step' })),
      check('mlm-log-toggle', 'Log scale', m.log, on => m.set({ log: on })),
      h('label', {}, 'Smoothing ', smoothing),
      m.counts.length ? h('span', { class: 'mlm-point-count' }, `stored points: ${m.counts.join(' / ')}`) : null,
      h('span', { class: 'mlm-hint' }, 'drag to zoom, double-click to reset')
    );
  }

  private drawChart(): void {
    const m = this.model;
    if (!m.metric || !m.drawn.length) {
      this.plot?.destroy();
      this.plot = null;
      mount(
        this.chartHost,
        m.loading || m.keys.length ? null : h('div', { class: 'mlm-empty' }, 'These runs logged no metrics.')
      );
      return;
    }
    this.chartHost.replaceChildren();
    this.plot = drawChart(
      this.chartHost,
      {
        labels: m.drawn.map(s => s.label),
        data: m.aligned,
        axis: m.axis,
        log: m.log,
        title: m.smoothing ? `${m.metric} (smoothed ${m.smoothing.toFixed(2)})` : m.metric
      },
      this.plot
    );
    const elapsed = (performance.now() - this.started).toFixed(1);
    if (this.firstChartMs === null) {
      this.firstChartMs = Number(elapsed);
      this.node.dataset.firstChartMs = elapsed;
      this.node.dataset.firstChartAt = String(Date.now());
    }
    this.chartHost.dataset.complete = String(m.complete);
    this.chartHost.dataset.smoothing = String(m.smoothing);
    if (m.complete && !this.node.dataset.allChartMs) {
      this.node.dataset.allChartMs = elapsed;
      this.node.dataset.allChartAt = String(Date.now());
    }
  }

  private diffTable(title: string, cls: string, header: (title: string) => HTMLElement, rows: DiffRow[]): HTMLElement {
    const body = rows.length
      ? rows.map(row =>
          h(
            'tr',
            { class: row.differs ? 'mlm-differs' : '' },
            h('td', { class: 'mlm-key' }, row.key),
            ...row.values.map(v => h('td', {}, v))
          )
        )
      : [h('tr', {}, h('td', { colspan: String(this.model.runs.length + 1), class: 'mlm-empty' }, 'No differences.'))];
    return h('section', { class: cls }, h('h3', {}, title), h('table', { class: 'mlm-table' }, header('key'), ...body));
  }

  private codeDiff(): HTMLElement {
    const runs = this.model.runs;
    const sources = this.model.sources;
    const section = h('section', { class: 'mlm-code-diff' }, h('h3', {}, 'Code (cell that made each run)'));
    if (!sources.some(Boolean)) {
      section.append(h('div', { class: 'mlm-empty' }, 'No recorded cell for these runs.'));
      return section;
    }
    // Each run against the first one: the usual "baseline vs candidates" reading.
    for (let i = 1; i < runs.length; i++) {
      const lines = lineDiff(sources[0], sources[i]);
      const changed = lines.some(l => l.op !== ' ');
      section.append(
        h('h4', {}, `${runs[0].name} → ${runs[i].name}${changed ? '' : ' (same code)'}`),
        h(
          'pre',
          { class: 'mlm-diff' },
          ...lines.map(l =>
            h('div', { class: l.op === '+' ? 'mlm-add' : l.op === '-' ? 'mlm-del' : 'mlm-same' }, `${l.op} ${l.text}`)
          )
        )
      );
    }
    return section;
  }
}

/**
 * The comparison of 2+ runs in the main area: metric chart, params/tags diff
 * (only-differences toggle), data fingerprint diff and cell code diff.
 */
import { Widget } from '@lumino/widgets';
import type uPlot from 'uplot';

import { fingerprintDiff, lineDiff, mapDiff } from '../diff';
import type { DiffRow } from '../diff';
import type { ComparisonModel } from '../model';
import { badge, h, mount } from './dom';
import { drawChart } from './chart';

export class ComparisonView extends Widget {
  private readonly controls: HTMLElement;
  private readonly chartHost: HTMLElement;
  private readonly body: HTMLElement;
  private plot: uPlot | null = null;
  /** Milliseconds from `load()` to the first drawn chart (read by benchmarks). */
  firstChartMs: number | null = null;
  private started = performance.now();

  constructor(readonly model: ComparisonModel) {
    super();
    this.addClass('mlm-ComparisonView');
    this.controls = h('div', { class: 'mlm-compare-controls' });
    this.chartHost = h('div', { class: 'mlm-chart' });
    this.body = h('div', { class: 'mlm-compare-body' });
    mount(this.node, this.controls, this.chartHost, this.body);
    model.changed.connect(this.render, this);
  }

  /** Load the runs and render; the chart appears as soon as the first metric arrives. */
  start(): Promise<void> {
    this.started = performance.now();
    return this.model.load();
  }

  dispose(): void {
    this.model.changed.disconnect(this.render, this);
    this.plot?.destroy();
    this.plot = null;
    super.dispose();
  }

  protected onResize(): void {
    if (this.plot && this.chartHost.clientWidth) {
      this.plot.setSize({ width: this.chartHost.clientWidth, height: 320 });
    }
  }

  private render(): void {
    const m = this.model;
    if (m.loading && !m.runs.length) {
      mount(this.body, h('div', { class: 'mlm-loading' }, 'Loading runs...'));
      return;
    }
    this.renderControls();
    this.renderChart();
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
          onchange: (e: Event) => m.setOnlyDifferences((e.target as HTMLInputElement).checked)
        }),
        ' Only differences'
      ),
      h('h3', {}, 'Runs'),
      h(
        'table',
        { class: 'mlm-table mlm-status-table' },
        header('run'),
        h('tr', {}, h('td', {}, 'status'), ...runs.map(r => h('td', {}, badge(r.status))))
      ),
      this.diffTable('Parameters', 'mlm-params-diff', header, mapDiff(runs, 'params', m.onlyDifferences)),
      this.diffTable('Tags', 'mlm-tags-diff', header, mapDiff(runs, 'tags', m.onlyDifferences)),
      this.diffTable('Latest metrics', 'mlm-metrics-diff', header, mapDiff(runs, 'metrics', false)),
      this.diffTable('Data (fingerprints)', 'mlm-data-diff', header, fingerprintDiff(runs, m.onlyDifferences)),
      this.codeDiff()
    );
  }

  private renderControls(): void {
    const m = this.model;
    const metricSelect = h(
      'select',
      {
        class: 'jp-mod-styled mlm-metric-select',
        'aria-label': 'Metric',
        onchange: () => void m.selectMetric(metricSelect.value)
      },
      ...m.keys.map(k => h('option', { value: k, selected: k === m.metric }, k))
    );
    const axisSelect = h(
      'select',
      {
        class: 'jp-mod-styled mlm-axis-select',
        'aria-label': 'X axis',
        onchange: () => m.setAxis(axisSelect.value === 'time' ? 'time' : 'step')
      },
      h('option', { value: 'step', selected: m.axis === 'step' }, 'step'),
      h('option', { value: 'time', selected: m.axis === 'time' }, 'time')
    );
    mount(
      this.controls,
      h('label', {}, 'Metric ', metricSelect),
      h('label', {}, 'X axis ', axisSelect),
      h(
        'label',
        {},
        h('input', {
          type: 'checkbox',
          class: 'mlm-log-toggle',
          checked: m.log,
          onchange: (e: Event) => m.setLog((e.target as HTMLInputElement).checked)
        }),
        ' Log scale'
      ),
      m.counts.length
        ? h('span', { class: 'mlm-point-count' }, `stored points: ${m.counts.join(' / ')}`)
        : null
    );
  }

  private renderChart(): void {
    const m = this.model;
    if (!m.metric || !m.drawn.length) {
      this.plot?.destroy();
      this.plot = null;
      mount(this.chartHost, m.keys.length ? null : h('div', { class: 'mlm-empty' }, 'These runs logged no metrics.'));
      return;
    }
    this.chartHost.replaceChildren();
    this.plot = drawChart(
      this.chartHost,
      { labels: m.drawn.map(s => s.label), data: m.aligned, axis: m.axis, log: m.log, title: m.metric },
      this.plot
    );
    const elapsed = (performance.now() - this.started).toFixed(1);
    if (this.firstChartMs === null) {
      this.firstChartMs = Number(elapsed);
      this.node.dataset.firstChartMs = elapsed;
      this.node.dataset.firstChartAt = String(Date.now());
    }
    this.chartHost.dataset.complete = String(m.complete);
    if (m.complete && !this.node.dataset.allChartMs) {
      this.node.dataset.allChartMs = elapsed;
      this.node.dataset.allChartAt = String(Date.now());
    }
  }

  private diffTable(
    title: string,
    cls: string,
    header: (title: string) => HTMLElement,
    rows: DiffRow[]
  ): HTMLElement {
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

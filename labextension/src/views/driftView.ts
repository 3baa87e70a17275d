/**
 * The drift report of a model version (`DriftReport.to_dict()`): the dataset
 * verdict and share of drifted features, schema-skew findings, prediction
 * drift, a feature table with a verdict per row (click a row: its reference vs
 * current distribution), and drift and live performance over time. Both hosts
 * feed it through a `DriftSource`; every data string goes in as text.
 */
import { epochOf, formatNumber, h, mount } from './dom';
import { groupedBars, timeLines } from './svgChart';
import { messageOf } from './models';

type Json = any;

/** One window of drift over time (tolerant: `start` epoch seconds or ISO). */
export interface DriftWindow {
  start: number | string;
  end?: number | string;
  rows?: number;
  verdict?: string;
  drift_share?: number | null;
  dataset_drift?: boolean;
  prediction_drift?: boolean;
  skew_detected?: boolean;
  drifted_features?: string[];
  [extra: string]: unknown;
}

export interface DriftData {
  report: Json | null;
  /** Why there is no report (no monitoring data, an unknown reference, ...). */
  error?: string;
  history?: DriftWindow[];
  performance?: Record<string, Json>[];
  window?: string;
}

export interface DriftSource {
  load(window: string): Promise<DriftData>;
}

export const WINDOWS = ['1h', '6h', '1d', '7d', '30d'];
/** Feature rows drawn at once; the filter box finds the others. */
export const MAX_ROWS = 200;
const METRICS = ['accuracy', 'f1', 'precision', 'recall', 'mae', 'rmse'];

function pct(share: number | null | undefined): string {
  return typeof share === 'number' ? `${(share * 100).toFixed(0)}%` : '';
}

/** 'good' | 'bad' | 'warn' | 'none' for a report verdict ("ok", "drift + skew", "no data"). */
export function verdictTone(verdict: string | null | undefined): string {
  const v = String(verdict ?? '').toLowerCase();
  if (v === 'ok') {
    return 'good';
  }
  if (!v || v === 'no data') {
    return 'none';
  }
  return /drift|skew/.test(v) ? 'bad' : 'warn';
}

export function verdictBadgeOf(verdict: string, extra = ''): HTMLElement {
  return h(
    'span',
    { class: `mlm-badge mlm-verdict mlm-drift-verdict mlm-tone-${verdictTone(verdict)}`, 'data-verdict': verdict, title: `drift verdict: ${verdict}${extra}` },
    verdict
  );
}

export class DriftView {
  readonly node: HTMLElement;
  data: DriftData | null;
  window: string;
  /** The feature whose distribution is drawn. */
  selected = '';
  filter = '';
  loading = false;
  private readonly body: HTMLElement;
  private readonly windowSelect: HTMLSelectElement;
  private seq = 0;

  constructor(
    readonly source: DriftSource,
    initial: DriftData | null,
    options: { window?: string; windows?: string[] } = {}
  ) {
    this.data = initial;
    this.window = options.window ?? initial?.window ?? '1d';
    const windows = [...new Set([...(options.windows ?? WINDOWS), this.window])];
    this.windowSelect = h(
      'select',
      { class: 'jp-mod-styled mlm-drift-window', 'aria-label': 'Window', onchange: () => void this.load(this.windowSelect.value) },
      ...windows.map(w => h('option', { value: w, selected: w === this.window }, w))
    );
    this.body = h('div', { class: 'mlm-drift-body' });
    this.node = h(
      'div',
      { class: 'mlm-view mlm-report mlm-drift-report', 'data-kind': 'drift' },
      h(
        'div',
        { class: 'mlm-toolbar' },
        h('strong', {}, 'Drift report'),
        h('label', {}, 'window ', this.windowSelect),
        h('button', { class: 'jp-Button jp-mod-styled mlm-button mlm-drift-refresh', onclick: () => void this.load(this.window) }, 'Refresh')
      ),
      this.body
    );
    this.draw();
  }

  /** Ask the source for the report of `window` and redraw (the last answer wins). */
  async load(window: string): Promise<void> {
    this.window = window;
    this.windowSelect.value = window;
    const seq = ++this.seq;
    this.loading = true;
    this.node.dataset.loading = 'true';
    try {
      const data = await this.source.load(window);
      if (seq === this.seq) {
        this.data = data;
      }
    } catch (error) {
      if (seq === this.seq) {
        this.data = { report: null, error: messageOf(error) };
      }
    }
    if (seq === this.seq) {
      this.loading = false;
      delete this.node.dataset.loading;
      this.draw();
    }
  }

  /** Show another answer (the widget's traits changed). */
  show(data: DriftData | null): void {
    this.data = data;
    this.draw();
  }

  dispose(): void {
    this.seq++;
  }

  private draw(): void {
    const data = this.data;
    const report = data?.report;
    if (!report) {
      mount(
        this.body,
        data?.error ? h('div', { class: 'mlm-error mlm-drift-error', role: 'alert' }, data.error) : h('div', { class: 'mlm-empty' }, 'No report yet.'),
        this.overTime()
      );
      return;
    }
    const version = `${report.model} v${report.version}${report.alias ? ` (@${report.alias})` : ''}`;
    const features: Json[] = Array.isArray(report.features) ? report.features : [];
    const drifted = features.filter(f => f.drifted).length;
    const share = report.thresholds?.drift_share;
    mount(
      this.body,
      h(
        'div',
        { class: 'mlm-report-head mlm-drift-head' },
        h('span', { class: 'mlm-drift-model' }, version),
        verdictBadgeOf(String(report.verdict ?? '')),
        h(
          'span',
          { class: 'mlm-drift-share', 'data-share': String(report.drift_share ?? 0) },
          `${drifted} of ${features.length} features drifted (${pct(report.drift_share)}; dataset drift at ≥ ${pct(share)}): ` +
            (report.dataset_drift ? 'dataset drifted' : 'dataset not drifted')
        )
      ),
      h(
        'div',
        { class: 'mlm-caption' },
        `${report.rows ?? 0} serving rows, ${report.window?.start ?? ''} .. ${report.window?.end ?? ''}; reference: ` +
          Object.entries(report.reference ?? {})
            .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
            .join(', ')
      ),
      ...(Array.isArray(report.notes) ? report.notes : []).map((n: Json) => h('div', { class: 'mlm-hint mlm-drift-note' }, String(n))),
      this.skew(report),
      this.prediction(report),
      this.featureTable(report, features),
      this.distribution(report),
      this.overTime()
    );
  }

  private skew(report: Json): HTMLElement | null {
    const findings: Json[] = Array.isArray(report.skew) ? report.skew : [];
    return h(
      'section',
      { class: 'mlm-report-section mlm-drift-skew', 'data-section': 'skew' },
      h('h4', {}, `Schema skew (${findings.length ? `${findings.length} finding${findings.length > 1 ? 's' : ''}` : 'none'})`),
      findings.length
        ? h(
            'table',
            { class: 'mlm-table' },
            h('tr', {}, ...['severity', 'check', 'column', 'message'].map(t => h('th', {}, t))),
            ...findings.map(s =>
              h(
                'tr',
                { class: s.severity === 'error' ? 'mlm-bad' : 'mlm-warn', 'data-check': String(s.check ?? '') },
                h('td', {}, String(s.severity ?? '')),
                h('td', {}, String(s.check ?? '')),
                h('td', {}, String(s.column ?? '')),
                h('td', { class: 'mlm-wrap' }, String(s.message ?? ''))
              )
            )
          )
        : null
    );
  }

  private prediction(report: Json): HTMLElement {
    const p = report.prediction;
    return h(
      'div',
      { class: 'mlm-drift-prediction', 'data-drifted': String(!!p?.drifted) },
      'Prediction drift: ',
      p
        ? h('span', { class: `mlm-badge mlm-tone-${p.drifted ? 'bad' : 'good'}` }, p.drifted ? 'drifted' : 'no drift')
        : h('span', { class: 'mlm-hint' }, 'not known (no predictions logged, or none on the reference)'),
      p ? ` ${p.method ?? ''} ${this.value(p)}` : ''
    );
  }

  private value(f: Json): string {
    return f.p_value !== null && f.p_value !== undefined
      ? `p=${formatNumber(f.p_value)} (< ${formatNumber(f.threshold)} drifts)`
      : `${formatNumber(f.statistic)} (≥ ${formatNumber(f.threshold)} drifts)`;
  }

  private featureTable(report: Json, features: Json[]): HTMLElement {
    const skewBy = new Map<string, string[]>();
    for (const s of Array.isArray(report.skew) ? report.skew : []) {
      skewBy.set(String(s.column), [...(skewBy.get(String(s.column)) ?? []), String(s.check)]);
    }
    const needle = this.filter.toLowerCase();
    const matching = features
      .map((f, i) => ({ f, i }))
      .filter(({ f }) => !needle || String(f.feature).toLowerCase().includes(needle))
      .sort((a, b) => Number(!!b.f.drifted) - Number(!!a.f.drifted) || a.i - b.i)
      .map(({ f }) => f);
    const shown = matching.slice(0, MAX_ROWS);
    const search: HTMLInputElement = h('input', {
      type: 'search',
      class: 'jp-mod-styled mlm-drift-filter',
      placeholder: 'find a feature',
      'aria-label': 'Find a feature',
      value: this.filter,
      onkeydown: (e: KeyboardEvent) => e.stopPropagation(),
      oninput: () => {
        this.filter = search.value;
        const at = search.selectionStart;
        this.draw();
        const again = this.body.querySelector<HTMLInputElement>('.mlm-drift-filter');
        again?.focus();
        again?.setSelectionRange(at, at);
      }
    });
    const rows = shown.map(f => {
      const name = String(f.feature);
      const pick = () => {
        this.selected = this.selected === name ? '' : name;
        this.draw();
        this.body.querySelector<HTMLElement>(`tr.mlm-drift-row[data-index='${shown.indexOf(f)}']`)?.focus();
      };
      return h(
        'tr',
        {
          class: `mlm-drift-row${f.drifted ? ' mlm-bad' : ''}${this.selected === name ? ' mlm-selected' : ''}`,
          tabindex: '0',
          role: 'button',
          'aria-pressed': String(this.selected === name),
          'data-index': String(shown.indexOf(f)),
          'data-drifted': String(!!f.drifted),
          title: f.note ? String(f.note) : 'show its distribution',
          onclick: pick,
          onkeydown: (e: KeyboardEvent) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              e.stopPropagation();
              pick();
            }
          }
        },
        h('td', { 'data-column': 'feature' }, name),
        h('td', { 'data-column': 'kind' }, String(f.kind ?? '')),
        h('td', { 'data-column': 'test' }, String(f.method ?? '')),
        h('td', { 'data-column': 'statistic' }, formatNumber(f.statistic)),
        h('td', { 'data-column': 'p_value' }, f.p_value === null || f.p_value === undefined ? '' : formatNumber(f.p_value)),
        h('td', { 'data-column': 'threshold' }, formatNumber(f.threshold)),
        h('td', { 'data-column': 'drifted' }, h('span', { class: `mlm-badge mlm-tone-${f.drifted ? 'bad' : 'good'}` }, f.drifted ? 'drifted' : 'ok')),
        h('td', { 'data-column': 'skew' }, (skewBy.get(name) ?? []).join(', '))
      );
    });
    return h(
      'section',
      { class: 'mlm-report-section mlm-drift-features', 'data-section': 'features' },
      h('h4', {}, 'Features'),
      h(
        'div',
        { class: 'mlm-toolbar' },
        features.length > 12 ? search : null,
        h(
          'span',
          { class: 'mlm-count mlm-drift-count' },
          matching.length > shown.length
            ? `showing ${shown.length} of ${matching.length} features (drifted first; find one by name)`
            : `${matching.length} feature${matching.length === 1 ? '' : 's'}`
        )
      ),
      h(
        'div',
        { class: 'mlm-scroll' },
        h(
          'table',
          { class: 'mlm-table mlm-drift-table', 'data-lm-suppress-shortcuts': 'true' },
          h('tr', {}, ...['feature', 'kind', 'test', 'statistic', 'p-value', 'threshold', 'drifted', 'skew'].map(t => h('th', {}, t))),
          ...rows
        )
      )
    );
  }

  private distribution(report: Json): HTMLElement {
    const section = h('section', { class: 'mlm-report-section mlm-drift-distribution', 'data-feature': this.selected });
    if (!this.selected) {
      section.append(h('div', { class: 'mlm-hint' }, 'Click a feature to compare its reference and current distributions.'));
      return section;
    }
    const d = report.distributions?.[this.selected];
    section.append(h('h4', {}, `Distribution of ${this.selected}: reference vs current`));
    if (!d || !Array.isArray(d.reference) || !Array.isArray(d.current)) {
      section.append(h('div', { class: 'mlm-empty' }, 'No distribution was kept for this feature.'));
      return section;
    }
    const labels: string[] = Array.isArray(d.categories)
      ? d.categories.map((c: Json) => String(c))
      : Array.isArray(d.edges)
        ? d.reference.map((_: Json, i: number) => `${formatNumber(d.edges[i])}–${formatNumber(d.edges[i + 1])}`)
        : d.reference.map((_: Json, i: number) => String(i));
    const groups = labels.map((label, i) => ({ label, values: [Number(d.reference[i]) || 0, Number(d.current[i]) || 0] }));
    const chart = groupedBars(groups, ['reference', 'current'], `${this.selected} (${d.kind ?? ''}, share of rows)`);
    section.dataset.kind = String(d.kind ?? '');
    section.dataset.bins = String(groups.length);
    section.append(chart);
    return section;
  }

  private overTime(): HTMLElement {
    const history = (this.data?.history ?? []).filter(w => epochOf(w.start) !== null);
    const periods = (this.data?.performance ?? []).filter(p => epochOf(p.start) !== null);
    const section = h('section', { class: 'mlm-report-section mlm-drift-over-time', 'data-section': 'over-time' }, h('h4', {}, 'Over time'));
    const withData = history.filter(w => Number(w.rows ?? 1) > 0).length;
    if (withData) {
      const threshold = this.data?.report?.thresholds?.drift_share;
      const chart = timeLines(
        [
          {
            label: 'share of drifted features',
            points: history.map(w => [epochOf(w.start)!, typeof w.drift_share === 'number' ? w.drift_share : null]),
            marks: history.map(w => verdictTone(w.verdict) === 'bad')
          }
        ],
        typeof threshold === 'number' ? [{ label: 'dataset drift threshold', y: threshold }] : [],
        `drift per period (${withData} of ${history.length} with logs; red: alarm)`
      );
      chart.classList.add('mlm-drift-history');
      chart.dataset.windows = String(withData);
      section.append(chart);
    } else {
      section.append(h('div', { class: 'mlm-empty mlm-drift-history-empty' }, 'No windows with data yet.'));
    }
    const metric = METRICS.find(m => periods.some(p => typeof p[m] === 'number'));
    if (metric) {
      const trained = periods.map(p => p[`training_${metric}`]).find(v => typeof v === 'number');
      const labelled = periods.reduce((n, p) => n + (Number(p.labelled) || 0), 0);
      const chart = timeLines(
        [{ label: `live ${metric}`, points: periods.map(p => [epochOf(p.start)!, typeof p[metric] === 'number' ? p[metric] : null]) }],
        typeof trained === 'number' ? [{ label: `training ${metric}`, y: trained }] : [],
        `live ${metric} (${labelled} labelled rows)${typeof trained === 'number' ? `; dashed: training ${formatNumber(trained)}` : ''}`
      );
      chart.classList.add('mlm-drift-performance');
      chart.dataset.metric = metric;
      section.append(chart);
    } else {
      section.append(h('div', { class: 'mlm-empty mlm-drift-performance-empty' }, 'No labels joined yet: live performance appears once labels arrive (mon.log_labels).'));
    }
    return section;
  }
}

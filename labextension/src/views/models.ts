/**
 * The views' state, shared by both hosts: the runs list (server-side pages),
 * the comparison of runs, the model registry with its promotion form. No DOM
 * here; each model talks to a small data-access interface (types.ts).
 */
import { cellSource } from './diff';
import { alignSeries, downsampleMinMax, metricKeys, smooth } from './series';
import type { Aligned, Axis, Series } from './series';
import { ApiError } from '../types';
import type {
  CompareSource,
  Experiment,
  ModelDetail,
  ModelHistoryEntry,
  ModelSummary,
  RegistrySource,
  RunDetail,
  RunsSource,
  RunSummary
} from '../types';

/** A change signal without Lumino (the notebook widgets bundle no Lumino). */
export class Emitter {
  private readonly listeners = new Set<() => void>();
  connect(fn: () => void): void {
    this.listeners.add(fn);
  }
  disconnect(fn: () => void): void {
    this.listeners.delete(fn);
  }
  emit(): void {
    this.listeners.forEach(fn => fn());
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Run `fn` over `items`, at most `limit` at a time. */
export async function inBatches<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      await fn(items[next++]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** `order` as the store reads it: `metrics.acc desc`; '' is the store's default (newest first). */
export function nextOrder(order: string, column: string): string {
  const [current, direction] = order.split(' ');
  if (current !== column) {
    return `${column} ${column.startsWith('metrics.') ? 'desc' : 'asc'}`;
  }
  return `${column} ${direction === 'asc' ? 'desc' : 'asc'}`;
}

/** One page of runs at a time (offset/limit/order/filter -> rows + total) and the selection. */
export class RunsModel {
  readonly changed = new Emitter();
  experiments: Experiment[] = [];
  experiment = '';
  filter = '';
  filterError = '';
  /** 1-based column of a filter syntax error (0: none known). */
  filterColumn = 0;
  order = '';
  offset = 0;
  runs: RunSummary[] = [];
  total = 0;
  readonly selected = new Set<string>();
  private seq = 0;

  constructor(
    readonly source: RunsSource,
    readonly limit = 50
  ) {}

  get ready(): boolean {
    return true;
  }

  async loadExperiments(): Promise<void> {
    if (!this.source.experiments) {
      return;
    }
    try {
      this.experiments = await this.source.experiments();
    } catch {
      return; // keep the last list: the runs request reports the failure
    }
    this.changed.emit();
  }

  setFilter(filter: string): Promise<boolean> {
    this.filter = filter.trim();
    this.offset = 0;
    return this.refresh();
  }

  setExperiment(experiment: string): Promise<boolean> {
    this.experiment = experiment;
    this.offset = 0;
    return this.refresh();
  }

  sortBy(column: string): Promise<boolean> {
    this.order = nextOrder(this.order, column);
    this.offset = 0;
    return this.refresh();
  }

  /** Move by `pages` (e.g. -1, +1); stays within the result. */
  turn(pages: number): Promise<boolean> {
    const last = Math.max(0, Math.floor((this.total - 1) / this.limit) * this.limit);
    this.offset = Math.min(last, Math.max(0, this.offset + pages * this.limit));
    return this.refresh();
  }

  /**
   * Reload the current page. Resolves to true while a shown run is running (poll fast).
   * A bad filter is kept as `filterError` (with its column), not thrown.
   */
  refresh(): Promise<boolean> {
    if (!this.ready) {
      return Promise.resolve(false);
    }
    const seq = ++this.seq;
    this.latest = this.load(seq);
    return this.latest;
  }

  /** A refresh overtaken by a newer one answers with the newer one's outcome (a poll must not read the
   * old page's "nothing running" while the new page has a running run). */
  private latest: Promise<boolean> | null = null;

  private async load(seq: number): Promise<boolean> {
    try {
      const page = await this.source.runs({
        experiment: this.experiment || undefined,
        filter: this.filter || undefined,
        orderBy: this.order || undefined,
        offset: this.offset,
        limit: this.limit
      });
      if (seq !== this.seq) {
        return this.latest ?? this.anyRunning;
      }
      this.runs = page.runs;
      this.total = page.total;
      this.filterError = '';
      this.filterColumn = 0;
    } catch (error) {
      if (seq !== this.seq) {
        return this.latest ?? this.anyRunning;
      }
      if (error instanceof ApiError && error.status === 400) {
        this.filterError = error.message;
        this.filterColumn = error.column ?? 0;
        this.runs = [];
        this.total = 0;
        this.changed.emit();
        return false;
      }
      throw error;
    }
    this.changed.emit();
    return this.anyRunning;
  }

  get anyRunning(): boolean {
    return this.runs.some(run => run.status === 'running');
  }

  toggle(id: string, on?: boolean): void {
    const select = on ?? !this.selected.has(id);
    if (select) {
      this.selected.add(id);
    } else {
      this.selected.delete(id);
    }
    this.changed.emit();
  }

  setSelection(ids: string[]): void {
    this.selected.clear();
    ids.forEach(id => this.selected.add(id));
    this.changed.emit();
  }

  /** Comparison needs two runs or more. */
  get canCompare(): boolean {
    return this.selected.size >= 2;
  }
}

/** The runs being compared, the chosen metric and how to draw it. */
export class ComparisonModel {
  readonly changed = new Emitter();
  runs: RunDetail[] = [];
  keys: string[] = [];
  metric = '';
  axis: Axis = 'step';
  log = false;
  /** Exponential moving average weight in [0, 1) applied to the drawn points. */
  smoothing = 0;
  onlyDifferences = true;
  series: Series[] = [];
  /** True once every run's history for `metric` has arrived (or failed). */
  complete = false;
  error = '';
  loading = false;
  /** Stored points per run for the current metric (before downsampling). */
  counts: number[] = [];
  /** Metric histories fetched at once after the first one. */
  concurrency = 2;
  private readonly hints = new Map<string, RunSummary>();

  /**
   * `hints` are the runs as the list already shows them (with latest metrics):
   * with them the chart's histories are fetched first and the run details after them.
   */
  constructor(
    readonly source: CompareSource,
    readonly runIds: string[],
    readonly maxPoints = 2000,
    hints: RunSummary[] = [],
    preferred = ''
  ) {
    hints.forEach(run => this.hints.set(run.id, run));
    this.metric = preferred;
  }

  /** Fetch every run and the first common metric's history (histories first when hinted). */
  async load(): Promise<void> {
    this.loading = true;
    this.changed.emit();
    try {
      let first: Promise<void> | null = null;
      if (this.runIds.every(id => this.hints.has(id))) {
        this.runs = this.runIds.map(id => ({ ...this.hints.get(id)! }));
        this.keys = metricKeys(this.runs.map(r => r.metrics));
        if (this.keys.length) {
          // Details (params, code, data) wait for every trace: requested alongside the
          // histories they compete with them on the server and hold up the chart.
          first = this.selectMetric(this.pick());
          await first;
        }
      }
      this.runs = await Promise.all(this.runIds.map(id => this.source.run(id)));
      this.keys = metricKeys(this.runs.map(r => r.metrics));
      if (!first && this.keys.length) {
        await this.selectMetric(this.pick());
      }
    } catch (error) {
      this.error = messageOf(error);
    } finally {
      this.loading = false;
      this.changed.emit();
    }
  }

  private pick(): string {
    return this.keys.includes(this.metric) ? this.metric : this.keys[0];
  }

  /** Fetch `key` for every run and draw each series as it arrives; `complete` when all are in. */
  async selectMetric(key: string): Promise<void> {
    this.metric = key;
    this.complete = false;
    const runs = this.runs;
    this.series = runs.map(run => ({ label: run.name || run.id, points: [] }));
    this.counts = runs.map(() => 0);
    let failed = '';
    const fetchOne = async (i: number) => {
      try {
        const history = await this.source.metric(runs[i].id, key, this.maxPoints);
        if (this.metric !== key) {
          return;
        }
        this.counts[i] = history.count;
        this.series[i] = {
          label: this.series[i].label,
          points: downsampleMinMax(history.points, this.maxPoints, this.axis)
        };
        this.changed.emit();
      } catch (error) {
        failed = messageOf(error);
      }
    };
    const wanted = runs.map((_, i) => i).filter(i => runs[i].metrics && key in runs[i].metrics!);
    // The first history alone, so the first trace is not slowed by the others; then a few at a time.
    if (wanted.length) {
      await fetchOne(wanted[0]);
    }
    await inBatches(wanted.slice(1), this.concurrency, fetchOne);
    if (this.metric !== key) {
      return;
    }
    this.error = failed;
    this.complete = true;
    this.changed.emit();
  }

  /** Series that have points (what the chart draws). */
  get drawn(): Series[] {
    return this.series.filter(s => s.points.length > 0);
  }

  set(change: Partial<Pick<ComparisonModel, 'axis' | 'log' | 'smoothing' | 'onlyDifferences'>>): void {
    Object.assign(this, change);
    this.changed.emit();
  }

  get aligned(): Aligned {
    const drawn = this.drawn.map(s => ({ label: s.label, points: smooth(s.points, this.smoothing) }));
    return alignSeries(drawn, this.axis, this.log);
  }

  get sources(): string[] {
    return this.runs.map(cellSource);
  }
}

export interface PromotionForm {
  alias: string;
  version: number | null;
  reason: string;
}

/** Models, the chosen model's versions and aliases, its audit trail, and the promotion form. */
export class RegistryModel {
  readonly changed = new Emitter();
  models: ModelSummary[] = [];
  current: ModelDetail | null = null;
  history: ModelHistoryEntry[] = [];
  error = '';
  promoteError = '';
  promoteMessage = '';
  busy = false;
  /** What the user typed and picked; only the user (or opening another model) changes it. */
  form: PromotionForm = { alias: 'production', version: null, reason: '' };

  constructor(readonly source: RegistrySource) {}

  async loadModels(): Promise<void> {
    try {
      this.models = await this.source.models();
      this.error = '';
    } catch (error) {
      this.error = messageOf(error);
    }
    this.changed.emit();
  }

  /** Show model `name`; the form starts over only when the model is a different one. */
  async open(name: string): Promise<void> {
    try {
      const [detail, history] = await Promise.all([this.source.model(name), this.source.modelHistory(name)]);
      if (!this.current || this.current.name !== name) {
        const latest = Math.max(...detail.versions.map(v => v.version));
        this.form = { alias: Object.keys(detail.aliases ?? {})[0] ?? 'production', version: latest, reason: '' };
        this.promoteError = '';
        this.promoteMessage = '';
      }
      this.current = detail;
      this.history = history;
      this.error = '';
    } catch (error) {
      this.error = messageOf(error);
    }
    this.changed.emit();
  }

  /** The user edited the form (no re-render: the inputs already show it). */
  edit(change: Partial<PromotionForm>): void {
    Object.assign(this.form, change);
  }

  /**
   * Point the form's alias at the form's version with its reason. A refusal (no reason,
   * a gate, a missing version) is shown in `promoteError` and the form stays as it was.
   */
  async promote(): Promise<boolean> {
    const model = this.current;
    const { alias, version, reason } = this.form;
    this.promoteError = '';
    this.promoteMessage = '';
    if (!model || version === null) {
      return false;
    }
    if (!alias.trim()) {
      this.promoteError = 'Choose an alias (for example production).';
    } else if (!reason.trim()) {
      this.promoteError = 'Say why: a promotion needs a reason for the audit trail.';
    }
    if (this.promoteError) {
      this.changed.emit();
      return false;
    }
    this.busy = true;
    this.changed.emit();
    let refusal = '';
    try {
      await this.source.setAlias(model.name, alias.trim(), version, reason.trim());
    } catch (error) {
      refusal = messageOf(error);
    }
    this.busy = false;
    // A refused promotion is in the audit trail too: re-read it either way.
    await Promise.all([this.open(model.name), this.loadModels()]);
    if (refusal) {
      this.promoteError = refusal;
    } else {
      this.promoteMessage = `${model.name}@${alias.trim()} -> version ${version}`;
      this.form.reason = '';
    }
    this.changed.emit();
    return !refusal;
  }
}

/**
 * The sidebar's state: server compatibility, the runs list and selection,
 * the comparison of selected runs, and the model registry. No DOM here.
 */
import { Signal } from '@lumino/signaling';

import { cellSource, versionsCompatible } from './diff';
import { alignSeries, downsampleMinMax, metricKeys } from './series';
import type { Aligned, Axis, Series } from './series';
import { ApiError } from './types';
import type {
  Experiment,
  MlmApi,
  ModelDetail,
  ModelHistoryEntry,
  ModelSummary,
  RunDetail,
  RunSummary
} from './types';

export type ServerState = 'checking' | 'ok' | 'missing' | 'mismatch' | 'error';

function messageOf(error: unknown): string {
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

/** Server compatibility, experiments, the runs page and the selection. */
export class SidebarModel {
  readonly changed = new Signal<this, void>(this);
  serverState: ServerState = 'checking';
  serverMessage = '';
  serverVersion = '';
  experiments: Experiment[] = [];
  experiment = '';
  filter = '';
  filterError = '';
  runs: RunSummary[] = [];
  total = 0;
  limit: number;
  readonly selected = new Set<string>();
  private seq = 0;

  constructor(
    readonly api: MlmApi,
    readonly clientVersion: string,
    options: { pageSize?: number } = {}
  ) {
    this.limit = options.pageSize ?? 200;
  }

  get ready(): boolean {
    return this.serverState === 'ok';
  }

  /** Ask `/mlm/api/version`; a 404 or a different release leaves a message for the panel. */
  async checkServer(): Promise<ServerState> {
    try {
      const { version } = await this.api.version();
      this.serverVersion = version;
      if (versionsCompatible(version, this.clientVersion)) {
        this.serverState = 'ok';
        this.serverMessage = '';
      } else {
        this.serverState = 'mismatch';
        this.serverMessage =
          `The mlm-jupyter server extension is version ${version} but this sidebar is ${this.clientVersion}: ` +
          'reinstall one package (pip install -U mlm-jupyter) and restart JupyterLab.';
      }
    } catch (error) {
      const missing = error instanceof ApiError && error.status === 404;
      this.serverState = missing ? 'missing' : 'error';
      this.serverMessage = missing
        ? `The mlm-jupyter sidebar cannot reach its server part: ${messageOf(error)}`
        : `The mlm-jupyter server extension did not answer: ${messageOf(error)}`;
    }
    this.changed.emit();
    return this.serverState;
  }

  async loadExperiments(): Promise<void> {
    try {
      this.experiments = await this.api.experiments();
    } catch {
      return; // keep the last list: the runs request reports the failure
    }
    this.changed.emit();
  }

  setFilter(filter: string): Promise<boolean> {
    this.filter = filter.trim();
    this.runs = [];
    return this.refresh();
  }

  setExperiment(experiment: string): Promise<boolean> {
    this.experiment = experiment;
    this.runs = [];
    return this.refresh();
  }

  /**
   * Reload the visible runs (the first `limit`, or as many as already shown).
   * Resolves to true while some shown run is still running, so polling stays fast.
   * A bad filter is kept as `filterError` and is not a polling failure.
   */
  async refresh(): Promise<boolean> {
    if (!this.ready) {
      return false;
    }
    const seq = ++this.seq;
    const limit = Math.max(this.limit, this.runs.length);
    try {
      const page = await this.api.runs({
        experiment: this.experiment || undefined,
        filter: this.filter || undefined,
        offset: 0,
        limit
      });
      if (seq !== this.seq) {
        return this.anyRunning;
      }
      this.runs = page.runs;
      this.total = page.total;
      this.filterError = '';
    } catch (error) {
      if (seq !== this.seq) {
        return this.anyRunning;
      }
      if (error instanceof ApiError && error.status === 400) {
        this.filterError = error.message;
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

  /** Append the next page of runs. */
  async loadMore(): Promise<void> {
    if (!this.ready || this.runs.length >= this.total) {
      return;
    }
    const seq = ++this.seq;
    const page = await this.api.runs({
      experiment: this.experiment || undefined,
      filter: this.filter || undefined,
      offset: this.runs.length,
      limit: this.limit
    });
    if (seq === this.seq) {
      this.runs = this.runs.concat(page.runs);
      this.total = page.total;
      this.changed.emit();
    }
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

  clearSelection(): void {
    this.selected.clear();
    this.changed.emit();
  }

  /** Comparison needs two runs or more. */
  get canCompare(): boolean {
    return this.selected.size >= 2;
  }
}

/** The runs being compared, the chosen metric and how to draw it. */
export class ComparisonModel {
  readonly changed = new Signal<this, void>(this);
  runs: RunDetail[] = [];
  keys: string[] = [];
  metric = '';
  axis: Axis = 'step';
  log = false;
  onlyDifferences = true;
  series: Series[] = [];
  /** True once every run's history for `metric` has arrived (or failed). */
  complete = false;
  error = '';
  loading = false;
  /** Stored points per run for the current metric (before downsampling). */
  counts: number[] = [];

  private readonly hints = new Map<string, RunSummary>();
  /** Metric histories fetched at once after the first one. */
  concurrency = 2;

  /**
   * `hints` are the runs as the list already shows them (with latest metrics):
   * with them the chart's histories are fetched first and the run details after them.
   */
  constructor(
    readonly api: MlmApi,
    readonly runIds: string[],
    readonly maxPoints = 2000,
    hints: RunSummary[] = []
  ) {
    hints.forEach(run => this.hints.set(run.id, run));
  }

  /** Fetch every run and the first common metric's history (concurrently when hinted). */
  async load(): Promise<void> {
    this.loading = true;
    this.changed.emit();
    try {
      let first: Promise<void> | null = null;
      if (this.runIds.every(id => this.hints.has(id))) {
        this.runs = this.runIds.map(id => ({ ...this.hints.get(id)! }));
        this.keys = metricKeys(this.runs.map(r => r.metrics));
        if (this.keys.length) {
          first = this.selectMetric(this.keys[0]);
          // Details (params, code, data) wait for every trace: requested alongside the
          // histories they compete with them on the server and hold up the chart.
          await first;
        }
      }
      const details = await Promise.all(this.runIds.map(id => this.api.run(id)));
      this.runs = details;
      this.keys = metricKeys(details.map(r => r.metrics));
      if (first) {
        await first;
      } else if (this.keys.length) {
        await this.selectMetric(this.keys[0]);
      }
    } catch (error) {
      this.error = messageOf(error);
    } finally {
      this.loading = false;
      this.changed.emit();
    }
  }

  /**
   * Fetch `key` for every run and draw each series as it arrives (the first
   * trace shows before the slowest run's history is in); `complete` when all are.
   */
  async selectMetric(key: string): Promise<void> {
    this.metric = key;
    this.complete = false;
    const runs = this.runs;
    this.series = runs.map(run => ({ label: run.name || run.id, points: [] }));
    this.counts = runs.map(() => 0);
    let failed = '';
    const fetchOne = async (i: number) => {
      try {
        const history = await this.api.metric(runs[i].id, key, this.maxPoints);
        if (this.metric !== key) {
          return;
        }
        this.counts[i] = history.count;
        // The server downsamples; if it sent everything, do it here so drawing stays cheap.
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
    // The first history alone, so the first trace is not slowed by the others
    // competing for the server; then the rest, a few at a time.
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


  setAxis(axis: Axis): void {
    this.axis = axis;
    this.changed.emit();
  }

  setLog(log: boolean): void {
    this.log = log;
    this.changed.emit();
  }

  setOnlyDifferences(only: boolean): void {
    this.onlyDifferences = only;
    this.changed.emit();
  }

  get aligned(): Aligned {
    return alignSeries(this.drawn, this.axis, this.log);
  }

  get sources(): string[] {
    return this.runs.map(cellSource);
  }
}

/** Models, the chosen model's versions and aliases, its audit trail, and promotion. */
export class RegistryModel {
  readonly changed = new Signal<this, void>(this);
  models: ModelSummary[] = [];
  current: ModelDetail | null = null;
  history: ModelHistoryEntry[] = [];
  error = '';
  promoteError = '';
  promoteMessage = '';

  constructor(readonly api: MlmApi) {}

  async loadModels(): Promise<void> {
    try {
      this.models = await this.api.models();
      this.error = '';
    } catch (error) {
      this.error = messageOf(error);
    }
    this.changed.emit();
  }

  async open(name: string): Promise<void> {
    try {
      const [detail, history] = await Promise.all([this.api.model(name), this.api.modelHistory(name)]);
      this.current = detail;
      this.history = history;
      this.error = '';
    } catch (error) {
      this.error = messageOf(error);
    }
    this.promoteError = '';
    this.promoteMessage = '';
    this.changed.emit();
  }

  /**
   * Point `alias` at `version` with a reason. A refused promotion (a gate, a
   * missing version) keeps the server's message in `promoteError`.
   */
  async promote(alias: string, version: number, reason: string): Promise<boolean> {
    const model = this.current;
    this.promoteError = '';
    this.promoteMessage = '';
    if (!model) {
      return false;
    }
    if (!alias.trim()) {
      this.promoteError = 'Choose an alias (for example production).';
      this.changed.emit();
      return false;
    }
    if (!reason.trim()) {
      this.promoteError = 'Say why: a promotion needs a reason for the audit trail.';
      this.changed.emit();
      return false;
    }
    try {
      await this.api.setAlias(model.name, alias.trim(), version, reason.trim());
    } catch (error) {
      const refusal = messageOf(error);
      // The registry records a refused promotion in the audit trail: re-read it (open() clears the messages).
      await this.open(model.name);
      this.promoteError = refusal;
      this.changed.emit();
      return false;
    }
    await Promise.all([this.open(model.name), this.loadModels()]);
    this.promoteMessage = `${model.name}@${alias.trim()} -> version ${version}`;
    this.changed.emit();
    return true;
  }
}

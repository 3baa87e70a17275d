/**
 * Wire shapes of the mlm REST API and the `MlmApi` seam the model talks to
 * (the live one is `RestApi` in api.ts; unit tests pass an in-memory fake).
 */

/** Times arrive as epoch seconds (store) or ISO strings (entities). */
export type WireTime = number | string | null | undefined;

export type RunStatus = 'running' | 'finished' | 'failed' | 'killed' | string;

export interface ServerVersion {
  version: string;
  api?: number;
}

export interface Experiment {
  id?: string;
  name: string;
  runs?: number;
  last_run?: WireTime;
}

export interface RunSummary {
  id: string;
  name: string;
  status: RunStatus;
  experiment?: string;
  start_time?: WireTime;
  end_time?: WireTime;
  metrics?: Record<string, number>;
  [extra: string]: unknown;
}

export interface RunsPage {
  runs: RunSummary[];
  total: number;
  /** The order the page was read in (the widget's first page says so). */
  order?: string;
}

export interface RunQuery {
  experiment?: string;
  filter?: string;
  orderBy?: string;
  offset?: number;
  limit?: number;
}

export interface Fingerprint {
  digest?: string;
  kind?: string;
  shape?: unknown;
  [extra: string]: unknown;
}

export interface RunInputWire {
  name: string;
  role?: string;
  fingerprint?: Fingerprint | string | null;
}

export interface CellRecord {
  /** The notebook's path as the kernel reported it (relative to the server root). */
  notebook?: string | null;
  notebook_path?: string | null;
  notebook_index?: number | null;
  cell_id?: string | null;
  execution_count?: number | null;
  source?: string | null;
  [extra: string]: unknown;
}

export interface RunDetail extends RunSummary {
  params?: Record<string, unknown>;
  tags?: Record<string, unknown>;
  inputs?: RunInputWire[];
  cell?: CellRecord | null;
  staleness?: string[];
}

/** `[step, value, time]` triples. */
export interface MetricHistory {
  points: [number, number, number][];
  count: number;
}

export interface ModelSummary {
  name: string;
  latest_version?: number;
  aliases?: Record<string, number>;
  [extra: string]: unknown;
}

export interface ModelVersion {
  version: number;
  run_id?: string | null;
  sha256?: string;
  flavor?: string;
  aliases?: string[];
  created_at?: WireTime;
  status?: string;
  metrics?: Record<string, number>;
  [extra: string]: unknown;
}

export interface ModelDetail {
  name: string;
  aliases?: Record<string, number>;
  versions: ModelVersion[];
  [extra: string]: unknown;
}

export interface ModelHistoryEntry {
  time?: WireTime;
  action?: string;
  alias?: string | null;
  version?: number | null;
  previous_version?: number | null;
  /** What the alias pointed to before and after (registry audit rows). */
  from?: string | number | null;
  to?: string | number | null;
  reason?: string | null;
  forced?: boolean | null;
  user?: string | null;
  [extra: string]: unknown;
}

/** One cell execution (the history view); `stale`/`superseded` are marked by the server or kernel. */
export interface CellRow {
  order?: number;
  execution_count?: number | null;
  cell_id?: string | null;
  start?: WireTime;
  start_time?: WireTime;
  duration?: number | null;
  success?: boolean;
  error?: string;
  run_id?: string | null;
  run_name?: string;
  source?: string;
  stale?: boolean;
  stale_reason?: string;
  superseded?: boolean;
  [extra: string]: unknown;
}

/* The data-access interfaces of the views: REST (api.ts) and the kernel (widget/kernelSource.ts). */

export interface RunsSource {
  runs(q: RunQuery): Promise<RunsPage>;
  experiments?(): Promise<Experiment[]>;
}

export interface CompareSource {
  run(id: string): Promise<RunDetail>;
  metric(id: string, key: string, maxPoints?: number): Promise<MetricHistory>;
  /** The cells added, removed and changed between two runs' sessions (`scope`: dependencies | session). */
  sessionDiff?(a: string, b: string, scope: string): Promise<unknown>;
}

export interface RegistrySource {
  models(): Promise<ModelSummary[]>;
  model(name: string): Promise<ModelDetail>;
  modelHistory(name: string): Promise<ModelHistoryEntry[]>;
  setAlias(name: string, alias: string, version: number, reason: string): Promise<unknown>;
}

export interface CellsSource {
  cells(): Promise<CellRow[]>;
}

/** Everything the sidebar asks of the server. */
export interface MlmApi extends RunsSource, CompareSource, RegistrySource {
  version(): Promise<ServerVersion>;
  experiments(): Promise<Experiment[]>;
}

/** A failed call: HTTP status (0 when the server was unreachable), MlmError code, message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** 1-based column of a filter syntax error, when the server said. */
    readonly column?: number
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Epoch seconds (or null) from whatever time shape the server sent. */
export function toEpoch(value: WireTime): number | null {
  if (value === null || value === undefined || value === '') {
    return null;
  }
  if (typeof value === 'number') {
    return value;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms / 1000;
}

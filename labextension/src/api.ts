/**
 * The REST client of the sidebar: `requestAPI` and one typed function per
 * route of the mlm server extension (`/mlm/api/...`).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type {
  CellRow,
  Experiment,
  MetricHistory,
  MlmApi,
  ModelDetail,
  ModelHistoryEntry,
  ModelSummary,
  RunDetail,
  RunQuery,
  RunsPage,
  ServerVersion
} from './types';
import { ApiError } from './types';

/** What a user runs when the server half of mlm-jupyter is missing. */
export const INSTALL_HINT =
  'the server extension is not installed: pip install mlm-jupyter ' +
  '(then restart JupyterLab; `jupyter server extension list` must show mlm_jupyter enabled)';

/**
 * How long a read (GET) may take before it fails with `TIMEOUT`. A request the server never answers would
 * otherwise hold the view's poller forever (it skips its ticks while one is in flight): the list would stay
 * frozen on the previous answer until a reload. The slowest reads take a few seconds at a million runs.
 */
export const READ_TIMEOUT_MS = 60_000;

/**
 * Call `/mlm/api/<endPoint>` on the Jupyter server.
 *
 * `ServerConnection.makeRequest` adds the token and the XSRF header. A non-2xx
 * answer becomes an `ApiError` carrying the server's MlmError code and message;
 * a 404 from a server that has no mlm routes at all says how to install them.
 * A read gives up after `timeoutMs` (default `READ_TIMEOUT_MS`; writes wait: 0).
 */
export async function requestAPI<T>(
  endPoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings(),
  timeoutMs: number = (init.method ?? 'GET').toUpperCase() === 'GET' ? READ_TIMEOUT_MS : 0
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'mlm', 'api', endPoint);
  let controller: AbortController | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  if (timeoutMs > 0 && !init.signal) {
    const aborter = new AbortController();
    controller = aborter;
    init = { ...init, signal: aborter.signal };
    timer = setTimeout(() => aborter.abort(), timeoutMs);
  }
  const timedOut = () =>
    new ApiError(0, 'TIMEOUT', `the Jupyter server did not answer ${endPoint} within ${timeoutMs / 1000} s`);
  let response: Response;
  let text: string;
  try {
    try {
      response = await ServerConnection.makeRequest(url, init, settings);
    } catch (error) {
      if (controller?.signal.aborted) {
        throw timedOut();
      }
      throw new ApiError(0, 'NETWORK', `cannot reach the Jupyter server: ${String(error)}`);
    }
    try {
      text = await response.text();
    } catch (error) {
      if (controller?.signal.aborted) {
        throw timedOut();
      }
      throw new ApiError(0, 'NETWORK', `the Jupyter server's answer broke off: ${String(error)}`);
    }
  } finally {
    if (timer !== null) {
      clearTimeout(timer);
    }
  }
  let body: any = null;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const mlmAnswered = body !== null && typeof body === 'object' && 'code' in body;
    if (response.status === 404 && !mlmAnswered) {
      throw new ApiError(404, 'SERVER_EXTENSION_MISSING', INSTALL_HINT);
    }
    const message: string =
      (body && (body.message || body.reason)) || response.statusText || `HTTP ${response.status}`;
    const column = body?.details?.column;
    throw new ApiError(
      response.status,
      (body && body.code) || `HTTP_${response.status}`,
      // A filter error's own caret drawing is dropped: the view draws it in a fixed-width font.
      typeof column === 'number' ? message.split(' (column')[0] : message,
      typeof column === 'number' ? column : undefined
    );
  }
  return body as T;
}

function query(params: Record<string, string | number | undefined>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
    }
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

const seg = encodeURIComponent;

/** The live implementation of `MlmApi` over the server's REST routes. */
export class RestApi implements MlmApi {
  constructor(private readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()) {}

  version(): Promise<ServerVersion> {
    return requestAPI<ServerVersion>('version', {}, this.settings);
  }

  async experiments(): Promise<Experiment[]> {
    const body = await requestAPI<{ experiments: Experiment[] }>('experiments', {}, this.settings);
    return body.experiments ?? [];
  }

  runs(q: RunQuery): Promise<RunsPage> {
    const path =
      'runs' +
      query({
        experiment: q.experiment,
        filter: q.filter,
        order_by: q.orderBy,
        offset: q.offset,
        limit: q.limit
      });
    return requestAPI<RunsPage>(path, {}, this.settings);
  }

  run(id: string): Promise<RunDetail> {
    return requestAPI<RunDetail>(`runs/${seg(id)}`, {}, this.settings);
  }

  metric(id: string, key: string, maxPoints?: number): Promise<MetricHistory> {
    const path = `runs/${seg(id)}/metrics/${seg(key)}` + query({ max_points: maxPoints });
    return requestAPI<MetricHistory>(path, {}, this.settings);
  }

  sessionDiff(a: string, b: string, scope: string): Promise<unknown> {
    return requestAPI<unknown>(`runs/${seg(a)}/session-diff/${seg(b)}` + query({ scope }), {}, this.settings);
  }

  async models(): Promise<ModelSummary[]> {
    const body = await requestAPI<{ models: ModelSummary[] }>('models', {}, this.settings);
    return body.models ?? [];
  }

  model(name: string): Promise<ModelDetail> {
    return requestAPI<ModelDetail>(`models/${seg(name)}`, {}, this.settings);
  }

  async modelHistory(name: string): Promise<ModelHistoryEntry[]> {
    const body = await requestAPI<{ history: ModelHistoryEntry[] }>(
      `models/${seg(name)}/history`,
      {},
      this.settings
    );
    return body.history ?? [];
  }

  /** The cell history of one notebook (paths relative to the server root). */
  async cells(notebook: string): Promise<CellRow[]> {
    const body = await requestAPI<{ cells: CellRow[] }>('cells' + query({ notebook }), {}, this.settings);
    return body.cells ?? [];
  }

  setAlias(name: string, alias: string, version: number, reason: string): Promise<unknown> {
    return requestAPI<unknown>(
      `models/${seg(name)}/aliases`,
      { method: 'POST', body: JSON.stringify({ alias, version, reason }) },
      this.settings
    );
  }
}

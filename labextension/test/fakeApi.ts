/** An in-memory MlmApi for unit tests: records calls, serves canned data, fails on demand. */
import type { MlmApi, ModelDetail, RunDetail, RunQuery, RunsPage } from '../src/types';
import { ApiError } from '../src/types';

export class FakeApi implements MlmApi {
  calls: string[] = [];
  serverVersion: string | ApiError = '0.1.0';
  runsData: RunDetail[] = [];
  metrics: Record<string, [number, number, number][]> = {};
  modelsData: Record<string, ModelDetail> = {};
  history: Record<string, any[]> = {};
  failRuns: ApiError | null = null;
  gate: ((alias: string, version: number) => string | null) | null = null;

  async version() {
    this.calls.push('version');
    if (this.serverVersion instanceof ApiError) {
      throw this.serverVersion;
    }
    return { version: this.serverVersion };
  }

  async experiments() {
    this.calls.push('experiments');
    const names = [...new Set(this.runsData.map(r => r.experiment ?? 'Default'))];
    return names.map(name => ({ name, runs: this.runsData.filter(r => r.experiment === name).length }));
  }

  async runs(q: RunQuery): Promise<RunsPage> {
    this.calls.push(`runs:${q.filter ?? ''}:${q.offset ?? 0}:${q.limit ?? ''}:${q.orderBy ?? ''}`);
    if (this.failRuns) {
      throw this.failRuns;
    }
    let rows = this.runsData.filter(r => !q.experiment || r.experiment === q.experiment);
    if (q.filter) {
      const m = /^attributes\.status = '(\w+)'$/.exec(q.filter);
      if (!m) {
        throw new ApiError(400, 'INVALID_QUERY', `cannot parse filter: ${q.filter}`, q.filter.indexOf('>') + 1);
      }
      rows = rows.filter(r => r.status === m[1]);
    }
    if (q.orderBy) {
      const [column, direction] = q.orderBy.split(' ');
      const key = column.replace('metrics.', '');
      const sign = direction === 'desc' ? -1 : 1;
      rows = [...rows].sort((a, b) => sign * ((a.metrics?.[key] ?? 0) - (b.metrics?.[key] ?? 0)));
    }
    const offset = q.offset ?? 0;
    return { runs: rows.slice(offset, offset + (q.limit ?? rows.length)), total: rows.length };
  }

  async run(id: string) {
    this.calls.push(`run:${id}`);
    const run = this.runsData.find(r => r.id === id);
    if (!run) {
      throw new ApiError(404, 'RUN_NOT_FOUND', `no run ${id}`);
    }
    return run;
  }

  async metric(id: string, key: string, maxPoints?: number) {
    this.calls.push(`metric:${id}:${key}:${maxPoints}`);
    const points = this.metrics[`${id}/${key}`] ?? [];
    return { points, count: points.length };
  }

  async models() {
    return Object.values(this.modelsData).map(m => ({ name: m.name, aliases: { ...m.aliases } }));
  }

  async model(name: string) {
    return JSON.parse(JSON.stringify(this.modelsData[name]));
  }

  async modelHistory(name: string) {
    return this.history[name] ?? [];
  }

  async setAlias(name: string, alias: string, version: number, reason: string) {
    this.calls.push(`setAlias:${name}:${alias}:${version}:${reason}`);
    const refusal = this.gate?.(alias, version);
    if (refusal) {
      // like the registry: a refused promotion is recorded in the audit trail too
      (this.history[name] ??= []).push({ action: 'promotion_blocked', alias, version, reason });
      throw new ApiError(409, 'PROMOTION_BLOCKED', refusal);
    }
    const model = this.modelsData[name];
    const previous = model.aliases?.[alias] ?? null;
    model.aliases = { ...model.aliases, [alias]: version };
    (this.history[name] ??= []).push({ action: 'set_alias', alias, version, previous_version: previous, reason });
    return model;
  }
}

export function makeRun(id: string, extra: Partial<RunDetail> = {}): RunDetail {
  return { id, name: `run-${id}`, status: 'finished', experiment: 'exp', metrics: {}, params: {}, tags: {}, ...extra };
}

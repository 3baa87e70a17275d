/**
 * Run comparison as pure functions: params/tags diff, data fingerprint diff
 * and a line diff of the cells' code.
 */
import type { Fingerprint, RunDetail } from '../types';

export interface DiffRow {
  key: string;
  /** One display value per run, in the runs' order ('' when the run lacks the key). */
  values: string[];
  differs: boolean;
}

function show(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    // Six significant digits: float noise (0.7799999999) would read as a difference.
    return Number.isFinite(value) ? String(Number(value.toPrecision(6))) : String(value);
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function rows(perRun: Record<string, string>[], onlyDifferences: boolean): DiffRow[] {
  const keys = new Set<string>();
  perRun.forEach(map => Object.keys(map).forEach(k => keys.add(k)));
  const out: DiffRow[] = [];
  for (const key of [...keys].sort()) {
    const values = perRun.map(map => (key in map ? map[key] : ''));
    const differs = new Set(values).size > 1;
    if (differs || !onlyDifferences) {
      out.push({ key, values, differs });
    }
  }
  return out;
}

/** Params or tags side by side; `onlyDifferences` keeps the keys whose values disagree. */
export function mapDiff(
  runs: RunDetail[],
  field: 'params' | 'tags' | 'metrics',
  onlyDifferences: boolean
): DiffRow[] {
  const perRun = runs.map(run => {
    const map: Record<string, string> = {};
    for (const [k, v] of Object.entries((run[field] as Record<string, unknown>) ?? {})) {
      map[k] = show(v);
    }
    return map;
  });
  return rows(perRun, onlyDifferences);
}

function digestOf(fp: Fingerprint | string | null | undefined): string {
  if (!fp) {
    return '';
  }
  if (typeof fp === 'string') {
    return fp;
  }
  const shape = fp.shape !== undefined ? ` ${show(fp.shape)}` : '';
  return `${fp.digest ?? ''}${shape}`;
}

/** Datasets by `name (role)`: equal digests mean the runs saw the same data. */
export function fingerprintDiff(runs: RunDetail[], onlyDifferences = false): DiffRow[] {
  const perRun = runs.map(run => {
    const map: Record<string, string> = {};
    for (const input of run.inputs ?? []) {
      const key = input.role ? `${input.name} (${input.role})` : input.name;
      map[key] = digestOf(input.fingerprint);
    }
    return map;
  });
  return rows(perRun, onlyDifferences);
}

export interface DiffLine {
  op: ' ' | '+' | '-';
  text: string;
}

/** Line diff of `before` -> `after` by longest common subsequence. */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.length ? before.split('\n') : [];
  const b = after.length ? after.split('\n') : [];
  // Trim the common head and tail so the quadratic table only covers what changed.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) {
    head++;
  }
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail++;
  }
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const n = midA.length;
  const m = midB.length;
  const lcs: Uint32Array[] = [];
  for (let i = 0; i <= n; i++) {
    lcs.push(new Uint32Array(m + 1));
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] =
        midA[i] === midB[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: DiffLine[] = a.slice(0, head).map(text => ({ op: ' ', text }));
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (midA[i] === midB[j]) {
      out.push({ op: ' ', text: midA[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      out.push({ op: '-', text: midA[i++] });
    } else {
      out.push({ op: '+', text: midB[j++] });
    }
  }
  while (i < n) {
    out.push({ op: '-', text: midA[i++] });
  }
  while (j < m) {
    out.push({ op: '+', text: midB[j++] });
  }
  return out.concat(a.slice(a.length - tail).map(text => ({ op: ' ' as const, text })));
}

/** The code of a run's cell, or '' when the run was not made by a recorded cell. */
export function cellSource(run: RunDetail): string {
  return (run.cell && typeof run.cell.source === 'string' && run.cell.source) || '';
}

/**
 * The server speaks mlm_jupyter's version; the frontend was built from the same
 * release. Same major.minor is compatible (patch releases keep the wire format).
 */
export function versionsCompatible(server: string, client: string): boolean {
  const mm = (v: string) => v.split(/[.+-]/).slice(0, 2).join('.');
  return mm(server) === mm(client);
}

/**
 * Reports as the Python side builds them (`DriftReport.to_dict()`,
 * `ScanReport.to_dict()`, a reproduction verdict): a verdict badge, the
 * scalar fields, and one table per list of records, problem rows marked.
 */
import { formatNumber, h } from './dom';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Record_ = { [key: string]: Json };

const TITLES: Record<string, string> = { drift: 'Drift report', scan: 'Model scan', repro: 'Reproduction' };
/** Fields whose value says how things went, in the order they are looked for. */
const VERDICT_KEYS = ['verdict', 'health', 'status', 'drifted', 'passed', 'reproduced', 'ok'];

function isRecord(value: Json | undefined): value is Record_ {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: Json | undefined): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** 'bad' | 'good' | 'warn' | '' for a verdict-like value under `key`. */
export function tone(key: string, value: Json | undefined): string {
  if (typeof value === 'boolean') {
    const goodWhenTrue = !['drifted', 'failed', 'stale', 'alert'].includes(key);
    return value === goodWhenTrue ? 'good' : 'bad';
  }
  const v = String(value ?? '').toLowerCase();
  if (/^(ok|pass|passed|healthy|green|same|reproduced|identical|clean|none|low|info)$/.test(v)) {
    return 'good';
  }
  if (/^(fail|failed|drift|drifted|unhealthy|red|different|not reproduced|error|critical|high|major)$/.test(v)) {
    return 'bad';
  }
  return v ? 'warn' : '';
}

/** The record's problem marker: any verdict-like field that reads bad. */
function rowTone(row: Record_): string {
  const keys = [...VERDICT_KEYS, 'severity', 'level', 'failed', 'alert'];
  const tones = keys.filter(k => k in row).map(k => tone(k, row[k]));
  return tones.includes('bad') ? 'bad' : tones.includes('warn') && keys.some(k => k === 'severity' && k in row) ? 'warn' : '';
}

function recordsTable(key: string, rows: Record_[]): HTMLElement {
  const columns = [...new Set(rows.flatMap(r => Object.keys(r)))].filter(c => !isRecord(rows[0][c]) || c === 'details');
  return h(
    'section',
    { class: 'mlm-report-section', 'data-section': key },
    h('h4', {}, key.replace(/_/g, ' ')),
    h(
      'table',
      { class: 'mlm-table' },
      h('tr', {}, ...columns.map(c => h('th', {}, c))),
      ...rows.map(r => {
        const mark = rowTone(r);
        return h(
          'tr',
          { class: mark === 'bad' ? 'mlm-differs mlm-bad' : mark === 'warn' ? 'mlm-warn' : '' },
          ...columns.map(c => h('td', { 'data-column': c }, text(r[c])))
        );
      })
    )
  );
}

function verdictOf(report: Record_): [string, Json] | null {
  const key = VERDICT_KEYS.find(k => k in report && !isRecord(report[k]) && !Array.isArray(report[k]));
  return key ? [key, report[key]] : null;
}

/** A badge for a verdict (the sidebar puts these next to model versions too). */
export function verdictBadge(label: string, key: string, value: Json | undefined): HTMLElement {
  const t = tone(key, value);
  return h('span', { class: `mlm-badge mlm-verdict mlm-tone-${t || 'none'}`, title: `${key}: ${text(value)}` }, label || text(value));
}

export function reportView(kind: string, data: Json): { node: HTMLElement; dispose(): void } {
  const report: Record_ = isRecord(data) ? data : { value: data };
  const verdict = verdictOf(report);
  const scalars = Object.entries(report).filter(([k, v]) => !Array.isArray(v) && !isRecord(v) && k !== verdict?.[0]);
  const parts: HTMLElement[] = [];
  for (const [key, value] of Object.entries(report)) {
    if (Array.isArray(value) && value.length && value.every(isRecord)) {
      const rows = value as Record_[];
      parts.push(recordsTable(key, rows.map(r => Object.fromEntries(Object.entries(r).filter(([, v]) => !Array.isArray(v))))));
      // records nested in these (a scan's findings under its checks): one more table, with their parent
      for (const inner of new Set(rows.flatMap(r => Object.keys(r).filter(k => Array.isArray(r[k]) && (r[k] as Json[]).some(isRecord))))) {
        const nested = rows.flatMap(r => ((r[inner] as Json[]) ?? []).filter(isRecord).map(x => ({ [key]: text(Object.values(r)[0]), ...x })));
        if (nested.length) {
          parts.push(recordsTable(inner, nested.map(x => Object.fromEntries(Object.entries(x).filter(([, v]) => !Array.isArray(v))))));
        }
      }
    } else if (Array.isArray(value) && value.length) {
      parts.push(h('div', { class: 'mlm-report-list', 'data-section': key }, `${key}: ${value.map(text).join(', ')}`));
    } else if (isRecord(value)) {
      const entries = Object.entries(value);
      const rows = entries.every(([, v]) => isRecord(v))
        ? entries.map(([name, v]) => ({ name, ...(v as Record_) }))
        : [Object.fromEntries(entries) as Record_];
      if (entries.length) {
        parts.push(recordsTable(key, rows));
      }
    }
  }
  const node = h(
    'div',
    { class: `mlm-view mlm-report mlm-${kind}-report`, 'data-kind': kind },
    h(
      'div',
      { class: 'mlm-report-head' },
      h('strong', {}, TITLES[kind] ?? kind),
      verdict ? verdictBadge(`${verdict[0]}: ${text(verdict[1])}`, verdict[0], verdict[1]) : null
    ),
    scalars.length
      ? h('table', { class: 'mlm-table mlm-report-fields' }, ...scalars.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, text(v)))))
      : null,
    ...parts
  );
  return { node, dispose: () => undefined };
}

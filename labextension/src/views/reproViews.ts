/**
 * Reproduction, drawn: a run's reproduction badge (from its `mlm.reproduc*` tags), the verdict of a
 * `Reproduction` (`to_dict()`), and the session diff of two runs (cells added, removed and changed in
 * execution order, a code diff for a changed cell). Data strings always go in as text.
 */
import { lineDiff } from './diff';
import { h } from './dom';

type Json = any;

export const REPRO_TAGS = [
  'mlm.reproduced',
  'mlm.reproduced_by',
  'mlm.reproduction_of',
  'mlm.reproduction.verdict',
  'mlm.reproduction.difference',
  'mlm.reproduction.reason'
];

export interface ReproStatus {
  verdict: string;
  /** This run is a reproduction (of `of`), or an original (reproduced by `by`). */
  role: 'reproduction' | 'original';
  of?: string;
  by?: string;
  difference?: string;
  reason?: string;
}

const str = (v: unknown) => (v === null || v === undefined || v === '' ? undefined : String(v));

/** A run's reproduction status from its tags, or null when it was never reproduced. */
export function reproStatus(tags: Record<string, unknown> | undefined | null): ReproStatus | null {
  if (!tags) {
    return null;
  }
  const own = str(tags['mlm.reproduction.verdict']);
  if (own) {
    return {
      verdict: own,
      role: 'reproduction',
      of: str(tags['mlm.reproduction_of']),
      difference: str(tags['mlm.reproduction.difference']),
      reason: str(tags['mlm.reproduction.reason'])
    };
  }
  const verdict = str(tags['mlm.reproduced']);
  return verdict ? { verdict, role: 'original', by: str(tags['mlm.reproduced_by']) } : null;
}

export function reproTone(verdict: string): string {
  return verdict === 'reproduced' ? 'good' : verdict === 'differs' ? 'warn' : verdict === 'failed' ? 'bad' : 'none';
}

/** The hover text of a status: verdict, the first difference and the reason where known. */
export function reproText(s: ReproStatus): string {
  return [
    s.role === 'reproduction' ? `reproduction of run ${s.of ?? '?'}: ${s.verdict}` : `reproduction: ${s.verdict}`,
    s.difference ? `first difference: ${s.difference}` : '',
    s.reason ? `why: ${s.reason}` : '',
    s.by ? `latest reproduction: run ${s.by}` : ''
  ]
    .filter(Boolean)
    .join('\n');
}

/** A small badge for a runs table or a comparison; null when the run was never reproduced. */
export function reproBadge(tags: Record<string, unknown> | undefined | null): HTMLElement | null {
  const s = reproStatus(tags);
  if (!s) {
    return null;
  }
  const text = reproText(s);
  return h(
    'span',
    {
      class: `mlm-badge mlm-repro mlm-tone-${reproTone(s.verdict)}`,
      'data-verdict': s.verdict,
      'data-role': s.role,
      title: text,
      'aria-label': text.replace(/\n/g, '; '),
      tabindex: '0'
    },
    s.role === 'reproduction' ? `re-run: ${s.verdict}` : s.verdict
  );
}

/** The full status under a run (the runs list's expanded row, a comparison cell). */
export function reproDetail(tags: Record<string, unknown> | undefined | null): HTMLElement | null {
  const s = reproStatus(tags);
  return s
    ? h('div', { class: 'mlm-repro-detail', 'data-verdict': s.verdict }, ...reproText(s).split('\n').map(line => h('div', {}, line)))
    : null;
}

/** The verdict of one reproduction (`Reproduction.to_dict()`). */
export function reproductionView(data: Json): { node: HTMLElement; dispose(): void } {
  const r = data && typeof data === 'object' ? data : {};
  const verdict = String(r.verdict ?? '');
  const differences: Json[] = Array.isArray(r.differences) ? r.differences : [];
  const list = (cls: string, title: string, items: Json) =>
    Array.isArray(items) && items.length
      ? h('section', { class: `mlm-report-section ${cls}` }, h('h4', {}, title), h('ul', {}, ...items.map((x: Json) => h('li', {}, String(x)))))
      : null;
  const node = h(
    'div',
    { class: 'mlm-view mlm-report mlm-repro-report', 'data-kind': 'repro', 'data-verdict': verdict },
    h(
      'div',
      { class: 'mlm-report-head' },
      h('strong', {}, 'Reproduction'),
      h('span', { class: `mlm-badge mlm-verdict mlm-tone-${reproTone(verdict)}`, 'data-verdict': verdict }, verdict),
      h('span', {}, `run ${r.run_id ?? ''}`),
      typeof r.duration === 'number' ? h('span', { class: 'mlm-hint' }, `${r.duration.toFixed(1)} s`) : null
    ),
    r.error ? h('div', { class: 'mlm-error mlm-repro-error', role: 'alert' }, String(r.error)) : null,
    r.first_difference ? h('div', { class: 'mlm-repro-first' }, `First difference: ${r.first_difference}`) : null,
    differences.length
      ? h(
          'section',
          { class: 'mlm-report-section mlm-repro-differences' },
          h('h4', {}, `Differences (${differences.length})`),
          h(
            'table',
            { class: 'mlm-table' },
            h('tr', {}, ...['kind', 'name', 'original', 're-run'].map(t => h('th', {}, t))),
            ...differences.map(d =>
              h(
                'tr',
                { class: 'mlm-differs', title: String(d.description ?? '') },
                h('td', {}, String(d.kind ?? '')),
                h('td', {}, String(d.name ?? '')),
                h('td', {}, JSON.stringify(d.original ?? null)),
                h('td', {}, JSON.stringify(d.reproduced ?? null))
              )
            )
          )
        )
      : null,
    list('mlm-repro-reasons', 'Why', r.reasons),
    list('mlm-repro-environment', 'Environment', r.environment),
    list('mlm-repro-cannot', 'Cannot be reproduced', r.cannot_reproduce),
    r.reproduction_run_id ? h('div', { class: 'mlm-hint' }, `recorded as run ${r.reproduction_run_id}`) : null
  );
  return { node, dispose: () => undefined };
}

/** `GET runs/{a}/session-diff/{b}`: cells added, removed and changed, in execution order. */
export function sessionDiffView(diff: Json, labels: [string, string]): HTMLElement {
  const cells: Json[] = Array.isArray(diff?.cells) ? diff.cells : [];
  const counts = diff?.counts ?? {};
  const section = h(
    'div',
    { class: 'mlm-session-diff-body', 'data-cells': String(cells.length) },
    h(
      'div',
      { class: 'mlm-caption mlm-session-counts' },
      `${labels[0]} → ${labels[1]} (${diff?.scope ?? ''}): ${counts.added ?? 0} added, ${counts.removed ?? 0} removed, ${counts.changed ?? 0} changed`
    )
  );
  if (!cells.length) {
    section.append(h('div', { class: 'mlm-empty' }, 'The same cells ran before both runs.'));
  }
  cells.forEach((cell, i) => {
    const change = String(cell.change ?? '');
    const side = cell.b ?? cell.a ?? {};
    const count = (c: Json) => (c && c.execution_count !== null && c.execution_count !== undefined ? `[${c.execution_count}]` : '');
    const head = `${i + 1}. ${change} cell${cell.cell_id ? ` ${cell.cell_id}` : ''} ${count(cell.a)}${cell.a && cell.b ? ' → ' : ''}${count(cell.b)}`;
    let body: HTMLElement;
    if (change === 'changed' && cell.a && cell.b) {
      const lines = lineDiff(String(cell.a.source ?? ''), String(cell.b.source ?? ''));
      body = h(
        'pre',
        { class: 'mlm-diff' },
        ...lines.map(l => h('div', { class: l.op === '+' ? 'mlm-add' : l.op === '-' ? 'mlm-del' : 'mlm-same' }, `${l.op} ${l.text}`))
      );
    } else {
      body = h(
        'pre',
        { class: 'mlm-diff' },
        ...String(side.source ?? '')
          .split('\n')
          .map(line => h('div', { class: change === 'added' ? 'mlm-add' : change === 'removed' ? 'mlm-del' : 'mlm-same' }, `${change === 'added' ? '+' : change === 'removed' ? '-' : ' '} ${line}`))
      );
    }
    section.append(h('div', { class: 'mlm-session-cell', 'data-change': change }, h('div', { class: 'mlm-session-head' }, head), body));
  });
  return section;
}

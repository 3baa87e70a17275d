// @vitest-environment happy-dom
/** The drift view and the reproduction views: verdicts, caps, clicks, and data kept as text. */
import { describe, expect, it } from 'vitest';

import { DriftView, MAX_ROWS, verdictTone } from '../src/views/driftView';
import type { DriftData } from '../src/views/driftView';
import { reproBadge, reproStatus, reproductionView, sessionDiffView } from '../src/views/reproViews';

const HOSTILE = '<img src=x onerror="window.__xss=1">';

function report(features: number, drifted: number[]): DriftData {
  const names = Array.from({ length: features }, (_, i) => (i === 1 ? HOSTILE : `f${i}`));
  return {
    report: {
      model: 'm', version: 1, alias: 'production', verdict: drifted.length ? 'drift' : 'ok', rows: 10,
      drift_share: drifted.length / features, dataset_drift: drifted.length > features / 2,
      thresholds: { drift_share: 0.5 }, window: { start: 'a', end: 'b' }, reference: { source: 'run' },
      features: names.map((feature, i) => ({ feature, kind: 'numeric', method: 'ks', statistic: 0.2, p_value: drifted.includes(i) ? 0.001 : 0.5, threshold: 0.05, drifted: drifted.includes(i) })),
      distributions: { [names[drifted[0] ?? 0]]: { kind: 'numeric', edges: [0, 1, 2, 3], reference: [0.5, 0.5, 0], current: [0, 0.5, 0.5] } },
      skew: [{ check: 'new_column', column: HOSTILE, severity: 'error', message: HOSTILE }],
      prediction: null, notes: []
    },
    history: [{ start: 100, drift_share: 0.1, verdict: 'ok' }, { start: 3700, drift_share: 0.9, verdict: 'drift' }],
    performance: []
  };
}

describe('drift view', () => {
  it('marks the drifted rows first and draws a clicked feature reference vs current', () => {
    const view = new DriftView({ load: async () => report(3, [2]) }, report(3, [2]));
    document.body.append(view.node);
    const rows = [...view.node.querySelectorAll<HTMLElement>('tr.mlm-drift-row')];
    expect(rows.map(r => r.dataset.drifted)).toEqual(['true', 'false', 'false']);
    expect(rows[0].querySelector("td[data-column='feature']")!.textContent).toBe('f2');
    rows[0].click();
    const chart = view.node.querySelector<HTMLElement>(".mlm-drift-distribution[data-feature='f2']")!;
    expect(chart.dataset.bins).toBe('3');
    expect(chart.querySelectorAll('rect.mlm-bar-0[data-label]')).toHaveLength(3);
    expect(chart.querySelectorAll('rect.mlm-bar-1[data-label]')).toHaveLength(3);
    expect(view.node.querySelector('svg.mlm-drift-history')!.querySelectorAll('circle.mlm-dot-bad')).toHaveLength(1);
    // hostile names are text everywhere: the table, the skew findings
    expect(view.node.querySelector('img')).toBeNull();
    expect(view.node.querySelector('.mlm-drift-skew')!.textContent).toContain(HOSTILE);
  });

  it('caps a huge feature table and finds the others by name', () => {
    const view = new DriftView({ load: async () => report(5000, [4999]) }, report(5000, [4999]));
    expect(view.node.querySelectorAll('tr.mlm-drift-row')).toHaveLength(MAX_ROWS);
    expect(view.node.querySelector('.mlm-drift-count')!.textContent).toContain(`showing ${MAX_ROWS} of 5000`);
    expect(view.node.querySelector("tr.mlm-drift-row td[data-column='feature']")!.textContent).toBe('f4999');
    const search = view.node.querySelector<HTMLInputElement>('.mlm-drift-filter')!;
    search.value = 'f123';
    search.dispatchEvent(new Event('input'));
    const names = [...view.node.querySelectorAll("tr.mlm-drift-row td[data-column='feature']")].map(n => n.textContent);
    expect(names).toEqual(['f123', 'f1230', 'f1231', 'f1232', 'f1233', 'f1234', 'f1235', 'f1236', 'f1237', 'f1238', 'f1239']);
  });

  it('says why there is no report, and loads another window', async () => {
    const asked: string[] = [];
    const view = new DriftView({ load: async w => (asked.push(w), report(2, [])) }, { report: null, error: 'no logs for m v1' });
    expect(view.node.querySelector('.mlm-drift-error')!.textContent).toBe('no logs for m v1');
    const select = view.node.querySelector<HTMLSelectElement>('select.mlm-drift-window')!;
    select.value = '7d';
    select.dispatchEvent(new Event('change'));
    await new Promise(r => setTimeout(r, 0));
    expect(asked).toEqual(['7d']);
    expect(view.node.querySelector('.mlm-drift-verdict')!.getAttribute('data-verdict')).toBe('ok');
    expect([verdictTone('ok'), verdictTone('no data'), verdictTone('drift + skew')]).toEqual(['good', 'none', 'bad']);
  });
});

describe('reproduction views', () => {
  it('reads the status from tags: a reproduction run, an original, neither', () => {
    expect(reproStatus({ 'mlm.reproduction.verdict': 'differs', 'mlm.reproduction_of': 'r1', 'mlm.reproduction.difference': 'metric b', 'mlm.reproduction.reason': 'seed' })).toEqual({
      verdict: 'differs', role: 'reproduction', of: 'r1', difference: 'metric b', reason: 'seed'
    });
    expect(reproStatus({ 'mlm.reproduced': 'reproduced', 'mlm.reproduced_by': 'r2' })).toEqual({ verdict: 'reproduced', role: 'original', by: 'r2' });
    expect(reproStatus({ stage: 'x' })).toBeNull();
    const badge = reproBadge({ 'mlm.reproduction.verdict': 'failed', 'mlm.reproduction.difference': HOSTILE })!;
    expect(badge.className).toContain('mlm-tone-bad');
    expect(badge.title).toContain(HOSTILE);
    expect(badge.querySelector('img')).toBeNull();
  });

  it('draws the session diff in order with a line diff for changed cells', () => {
    const node = sessionDiffView(
      {
        scope: 'dependencies', counts: { added: 1, removed: 1, changed: 1 },
        cells: [
          { change: 'removed', a: { source: 'x = 1', execution_count: 1 }, b: null },
          { change: 'changed', a: { source: 'y = 2\nz = 3' }, b: { source: 'y = 4\nz = 3' } },
          { change: 'added', a: null, b: { source: HOSTILE } }
        ]
      },
      ['a', 'b']
    );
    expect([...node.querySelectorAll<HTMLElement>('.mlm-session-cell')].map(c => c.dataset.change)).toEqual(['removed', 'changed', 'added']);
    const changed = node.querySelectorAll('.mlm-session-cell')[1];
    expect([...changed.querySelectorAll('.mlm-del, .mlm-add, .mlm-same')].map(l => l.textContent)).toEqual(['- y = 2', '+ y = 4', '  z = 3']);
    expect(node.querySelector('img')).toBeNull();
    expect(node.querySelector('.mlm-session-counts')!.textContent).toContain('1 added, 1 removed, 1 changed');
  });

  it('shows a Reproduction verdict with its differences', () => {
    const { node } = reproductionView({ run_id: 'r', verdict: 'differs', differences: [{ kind: 'metric', name: 'b', original: 6, reproduced: 16 }], reasons: ['seed'], first_difference: 'metric b' });
    expect(node.dataset.verdict).toBe('differs');
    expect([...node.querySelectorAll('.mlm-repro-differences td')].map(t => t.textContent)).toEqual(['metric', 'b', '6', '16']);
  });
});

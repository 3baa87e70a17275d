import { describe, expect, it } from 'vitest';

import { fingerprintDiff, lineDiff, mapDiff, versionsCompatible } from '../src/views/diff';
import { alignSeries, downsampleMinMax, metricKeys } from '../src/views/series';
import type { Point } from '../src/views/series';
import { makeRun } from './fakeApi';

describe('params and tags diff', () => {
  const runs = [
    makeRun('a', { params: { depth: 8, lr: 0.1, opt: 'adam' }, tags: { stage: 'baseline' } }),
    makeRun('b', { params: { depth: 8, lr: 0.01 }, tags: { stage: 'baseline' } })
  ];

  it('shows every key side by side, marking differences', () => {
    const rows = mapDiff(runs, 'params', false);
    expect(rows.map(r => [r.key, r.values, r.differs])).toEqual([
      ['depth', ['8', '8'], false],
      ['lr', ['0.1', '0.01'], true],
      ['opt', ['adam', ''], true]
    ]);
  });

  it('rounds float noise so equal metrics do not read as different', () => {
    const a = makeRun('a', { metrics: { auc: 0.78 } });
    const b = makeRun('b', { metrics: { auc: 0.7799999999999999 } });
    expect(mapDiff([a, b], 'metrics', true)).toEqual([]);
  });

  it('keeps only differing keys with the toggle on', () => {
    expect(mapDiff(runs, 'params', true).map(r => r.key)).toEqual(['lr', 'opt']);
    expect(mapDiff(runs, 'tags', true)).toEqual([]);
  });
});

describe('data fingerprint diff', () => {
  it('compares digests per dataset and role', () => {
    const runs = [
      makeRun('a', { inputs: [{ name: 'train', role: 'training', fingerprint: { digest: 'x1', shape: [10, 3] } }] }),
      makeRun('b', { inputs: [{ name: 'train', role: 'training', fingerprint: { digest: 'x2', shape: [10, 3] } }, { name: 'val', fingerprint: 'v1' }] })
    ];
    const rows = fingerprintDiff(runs);
    expect(rows[0].key).toBe('train (training)');
    expect(rows[0].values).toEqual(['x1 [10,3]', 'x2 [10,3]']);
    expect(rows[0].differs).toBe(true);
    expect(rows[1]).toEqual({ key: 'val', values: ['', 'v1'], differs: true });
  });
});

describe('code diff', () => {
  it('marks added and removed lines and keeps common ones', () => {
    const before = 'import x\nmodel = RF(depth=4)\nfit(model)';
    const after = 'import x\nmodel = RF(depth=8)\nmodel.seed = 1\nfit(model)';
    expect(lineDiff(before, after)).toEqual([
      { op: ' ', text: 'import x' },
      { op: '-', text: 'model = RF(depth=4)' },
      { op: '+', text: 'model = RF(depth=8)' },
      { op: '+', text: 'model.seed = 1' },
      { op: ' ', text: 'fit(model)' }
    ]);
  });

  it('handles empty sides and identical code', () => {
    expect(lineDiff('', 'a')).toEqual([{ op: '+', text: 'a' }]);
    expect(lineDiff('a\nb', 'a\nb').every(l => l.op === ' ')).toBe(true);
  });
});

describe('series', () => {
  it('aligns runs on the union of steps with gaps as null', () => {
    const a: Point[] = [[0, 1, 100], [2, 3, 102]];
    const b: Point[] = [[1, 5, 200], [2, 6, 201]];
    expect(alignSeries([{ label: 'a', points: a }, { label: 'b', points: b }], 'step')).toEqual([
      [0, 1, 2], [1, null, 3], [null, 5, 6]
    ]);
    expect(alignSeries([{ label: 'a', points: a }], 'time')[0]).toEqual([100, 102]);
  });

  it('drops non-positive values on a log scale', () => {
    const pts: Point[] = [[0, 0, 0], [1, -1, 1], [2, 10, 2]];
    expect(alignSeries([{ label: 'a', points: pts }], 'step', true)[1]).toEqual([null, null, 10]);
  });

  it('downsamples 1M points to the budget and keeps the extremes', () => {
    const n = 1_000_000;
    const pts: Point[] = new Array(n);
    for (let i = 0; i < n; i++) {
      pts[i] = [i, Math.sin(i / 1000), i];
    }
    pts[777_777] = [777_777, 50, 777_777];
    const out = downsampleMinMax(pts, 2000);
    expect(out.length).toBeLessThanOrEqual(2000);
    expect(out[0]).toBe(pts[0]);
    expect(out[out.length - 1]).toBe(pts[n - 1]);
    expect(out.some(p => p[1] === 50)).toBe(true);
    for (let i = 1; i < out.length; i++) {
      expect(out[i][0]).toBeGreaterThan(out[i - 1][0]);
    }
  });

  it('orders metric keys common to more runs first', () => {
    expect(metricKeys([{ b: 1, a: 1 }, { b: 2 }, undefined])).toEqual(['b', 'a']);
  });
});

describe('version check', () => {
  it('accepts patch differences and rejects minor ones', () => {
    expect(versionsCompatible('0.1.3', '0.1.0')).toBe(true);
    expect(versionsCompatible('0.2.0', '0.1.0')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';

import { auditChange } from '../src/views/audit';
import { ComparisonModel, nextOrder, RegistryModel } from '../src/views/models';
import { SidebarModel } from '../src/sidebar/sidebarModel';
import { ApiError } from '../src/types';
import { FakeApi, makeRun } from './fakeApi';

async function readyModel(api: FakeApi, pageSize = 50) {
  const model = new SidebarModel(api, '0.1.0', { pageSize });
  await model.checkServer();
  return model;
}

describe('server check', () => {
  it('is ok when the server speaks the same release', async () => {
    const model = await readyModel(new FakeApi());
    expect(model.serverState).toBe('ok');
    expect(model.serverMessage).toBe('');
  });

  it('says how to install the server extension on a 404', async () => {
    const api = new FakeApi();
    api.serverVersion = new ApiError(404, 'SERVER_EXTENSION_MISSING', 'the server extension is not installed: pip install mlm-jupyter');
    const model = await readyModel(api);
    expect(model.serverState).toBe('missing');
    expect(model.serverMessage).toContain('pip install mlm-jupyter');
    // No runs request goes to a server that has no mlm routes.
    await model.refresh();
    expect(api.calls.filter(c => c.startsWith('runs'))).toEqual([]);
  });

  it('reports a version mismatch with both versions', async () => {
    const api = new FakeApi();
    api.serverVersion = '0.3.1';
    const model = await readyModel(api);
    expect(model.serverState).toBe('mismatch');
    expect(model.serverMessage).toContain('0.3.1');
    expect(model.serverMessage).toContain('0.1.0');
  });
});

describe('runs list', () => {
  it('reads one page at a time from the server, with the total', async () => {
    const api = new FakeApi();
    api.runsData = Array.from({ length: 25 }, (_, i) => makeRun(`r${i}`, { status: i % 5 === 0 ? 'failed' : 'finished' }));
    const model = await readyModel(api, 10);
    await model.refresh();
    expect(model.runs.map(r => r.id)).toEqual(api.runsData.slice(0, 10).map(r => r.id));
    expect(model.total).toBe(25);
    await model.turn(1);
    expect(model.runs.map(r => r.id)).toEqual(api.runsData.slice(10, 20).map(r => r.id));
    await model.turn(5); // past the end: the last page
    expect(model.offset).toBe(20);
    expect(model.runs).toHaveLength(5);
    await model.turn(-9);
    expect(model.offset).toBe(0);
    await model.setFilter("attributes.status = 'failed'");
    expect(model.runs.map(r => r.id)).toEqual(['r0', 'r5', 'r10', 'r15', 'r20']);
    expect(model.total).toBe(5);
    expect(api.calls.at(-1)).toBe("runs:attributes.status = 'failed':0:10:");
  });

  it('sorts on the server and starts again from the first page', async () => {
    const api = new FakeApi();
    api.runsData = Array.from({ length: 30 }, (_, i) => makeRun(`r${i}`, { metrics: { acc: (i * 7) % 30 } }));
    const model = await readyModel(api, 10);
    await model.refresh();
    await model.turn(1);
    await model.sortBy('metrics.acc');
    expect(model.order).toBe('metrics.acc desc');
    expect(model.offset).toBe(0);
    expect(model.runs[0].metrics!.acc).toBe(29);
    await model.sortBy('metrics.acc');
    expect(model.order).toBe('metrics.acc asc');
    expect(model.runs[0].metrics!.acc).toBe(0);
    expect(nextOrder('metrics.acc asc', 'attributes.name')).toBe('attributes.name asc');
  });

  it('keeps a bad filter and its column as a message, not a failure', async () => {
    const api = new FakeApi();
    api.runsData = [makeRun('a')];
    const model = await readyModel(api);
    const running = await model.setFilter('metrics.auc >>> 3');
    expect(running).toBe(false);
    expect(model.filterError).toContain('cannot parse filter');
    expect(model.filterColumn).toBe(13);
    expect(model.runs).toEqual([]);
    await model.setFilter('');
    expect(model.filterError).toBe('');
    expect(model.runs).toHaveLength(1);
  });

  it('tells the poller to stay fast while a run is running', async () => {
    const api = new FakeApi();
    api.runsData = [makeRun('a', { status: 'running' }), makeRun('b')];
    const model = await readyModel(api);
    expect(await model.refresh()).toBe(true);
    api.runsData[0].status = 'finished';
    expect(await model.refresh()).toBe(false);
  });

  it('selects two runs or more before it can compare', async () => {
    const model = await readyModel(new FakeApi());
    model.toggle('a');
    expect(model.canCompare).toBe(false);
    model.toggle('b', true);
    expect(model.canCompare).toBe(true);
    model.toggle('a');
    expect([...model.selected]).toEqual(['b']);
  });
});

describe('comparison', () => {
  it('loads runs and the first common metric, downsampled for drawing', async () => {
    const api = new FakeApi();
    api.runsData = [
      makeRun('a', { metrics: { loss: 0.1, acc: 0.9 } }),
      makeRun('b', { metrics: { loss: 0.2 } })
    ];
    api.metrics['a/loss'] = Array.from({ length: 10_000 }, (_, i) => [i, 1 / (i + 1), i] as [number, number, number]);
    api.metrics['b/loss'] = [[0, 1, 0], [5, 0.5, 5]];
    const cmp = new ComparisonModel(api, ['a', 'b'], 400);
    await cmp.load();
    expect(cmp.metric).toBe('loss');
    expect(cmp.keys).toEqual(['loss', 'acc']);
    expect(cmp.counts).toEqual([10_000, 2]);
    expect(cmp.series[0].points.length).toBeLessThanOrEqual(400);
    expect(api.calls).toContain('metric:a:loss:400');
    const [xs, ya, yb] = cmp.aligned;
    expect(xs[0]).toBe(0);
    expect(ya[0]).toBe(1);
    expect(yb[xs.indexOf(5)]).toBe(0.5);
  });

  it('fetches the first chart while run details are still loading when the list gave hints', async () => {
    const api = new FakeApi();
    api.runsData = [makeRun('a', { metrics: { loss: 1 } }), makeRun('b', { metrics: { loss: 2 } })];
    api.metrics['a/loss'] = [[0, 1, 0]];
    let release: () => void = () => undefined;
    const gate = new Promise<void>(r => (release = r));
    const slowRun = api.run.bind(api);
    api.run = async (id: string) => {
      await gate;
      return slowRun(id);
    };
    const cmp = new ComparisonModel(api, ['a', 'b'], 2000, api.runsData.map(r => ({ ...r })));
    const done = cmp.load();
    await new Promise(r => setTimeout(r, 0));
    expect(api.calls.filter(c => c.startsWith('metric:'))).toEqual(['metric:a:loss:2000', 'metric:b:loss:2000']);
    expect(cmp.series[0].points).toEqual([[0, 1, 0]]);
    release();
    await done;
    expect(cmp.runs.map(r => r.id)).toEqual(['a', 'b']);
    expect(api.calls.filter(c => c.startsWith('metric:'))).toHaveLength(2);
  });

  it('asks for run details only once every history is in (they would compete with the chart)', async () => {
    const api = new FakeApi();
    api.runsData = ['a', 'b', 'c'].map(id => makeRun(id, { metrics: { loss: 1 } }));
    ['a', 'b', 'c'].forEach(id => (api.metrics[`${id}/loss`] = [[0, 1, 0]]));
    let release: () => void = () => undefined;
    const gate = new Promise<void>(r => (release = r));
    const metric = api.metric.bind(api);
    api.metric = async (id: string, key: string, n?: number) => {
      if (id === 'c') {
        await gate;
      }
      return metric(id, key, n);
    };
    const cmp = new ComparisonModel(api, ['a', 'b', 'c'], 2000, api.runsData.map(r => ({ ...r })));
    const done = cmp.load();
    await new Promise(r => setTimeout(r, 0));
    expect(cmp.drawn.map(s => s.label)).toEqual(['run-a', 'run-b']);
    expect(api.calls.filter(c => c.startsWith('run:'))).toEqual([]);
    release();
    await done;
    expect(cmp.complete).toBe(true);
    const calls = api.calls.filter(c => c.startsWith('run:') || c.startsWith('metric:'));
    expect(calls).toEqual(['metric:a:loss:2000', 'metric:b:loss:2000', 'metric:c:loss:2000', 'run:a', 'run:b', 'run:c']);
  });

  it('draws each series as it arrives and says when all are in', async () => {
    const api = new FakeApi();
    api.runsData = [makeRun('a', { metrics: { loss: 1 } }), makeRun('b', { metrics: { loss: 2 } })];
    api.metrics['a/loss'] = [[0, 1, 0]];
    api.metrics['b/loss'] = [[0, 2, 0]];
    let release: () => void = () => undefined;
    const gate = new Promise<void>(r => (release = r));
    const metric = api.metric.bind(api);
    api.metric = async (id: string, key: string, n?: number) => {
      if (id === 'b') {
        await gate;
      }
      return metric(id, key, n);
    };
    const cmp = new ComparisonModel(api, ['a', 'b']);
    const done = cmp.load();
    await new Promise(r => setTimeout(r, 0));
    expect(cmp.drawn.map(s => s.label)).toEqual(['run-a']);
    expect(cmp.complete).toBe(false);
    release();
    await done;
    expect(cmp.drawn.map(s => s.label)).toEqual(['run-a', 'run-b']);
    expect(cmp.complete).toBe(true);
  });

  it('does not ask for a metric a run never logged', async () => {
    const api = new FakeApi();
    api.runsData = [makeRun('a', { metrics: { acc: 1 } }), makeRun('b', { metrics: { loss: 1 } })];
    const cmp = new ComparisonModel(api, ['a', 'b']);
    await cmp.load();
    expect(api.calls.filter(c => c.startsWith('metric:')).length).toBe(1);
  });

  it('shows an unknown run as an error, not a blank view', async () => {
    const cmp = new ComparisonModel(new FakeApi(), ['nope', 'nada']);
    await cmp.load();
    expect(cmp.error).toContain('no run nope');
    expect(cmp.loading).toBe(false);
  });

  it('smooths the drawn series with an exponential moving average', async () => {
    const api = new FakeApi();
    api.runsData = [makeRun('a', { metrics: { loss: 0 } })];
    api.metrics['a/loss'] = [[0, 1, 0], [1, 0, 1], [2, 0, 2]];
    const cmp = new ComparisonModel(api, ['a']);
    await cmp.load();
    expect(cmp.aligned[1]).toEqual([1, 0, 0]);
    cmp.set({ smoothing: 0.5 });
    expect(cmp.aligned[1]).toEqual([1, 0.5, 0.25]);
    cmp.set({ log: true }); // a log axis cannot draw zero: gaps
    cmp.set({ smoothing: 0 });
    expect(cmp.aligned[1]).toEqual([1, null, null]);
  });
});

describe('registry', () => {
  function registryApi() {
    const api = new FakeApi();
    api.modelsData['churn'] = {
      name: 'churn',
      aliases: { production: 1 },
      versions: [{ version: 1 }, { version: 2 }, { version: 3 }]
    };
    return api;
  }

  it('promotes the version the user picked (not the latest) with a reason', async () => {
    const api = registryApi();
    const reg = new RegistryModel(api);
    await reg.loadModels();
    await reg.open('churn');
    expect(reg.form).toEqual({ alias: 'production', version: 3, reason: '' });
    reg.edit({ alias: 'champion', version: 2, reason: 'beats v1' });
    expect(await reg.promote()).toBe(true);
    expect(api.calls).toContain('setAlias:churn:champion:2:beats v1');
    expect(reg.current!.aliases).toEqual({ production: 1, champion: 2 });
    expect(reg.history.at(-1)).toMatchObject({ alias: 'champion', version: 2, reason: 'beats v1' });
    expect(reg.form).toEqual({ alias: 'champion', version: 2, reason: '' });
    expect(auditChange({ from: '1', to: '2', version: 2 })).toBe('1 → 2');
    expect(auditChange({ action: 'register', version: 3 })).toBe('3');
    expect(reg.promoteMessage).toContain('churn@champion');
  });

  it('refuses a promotion without a reason before calling the server, keeping the form', async () => {
    const api = registryApi();
    const reg = new RegistryModel(api);
    await reg.open('churn');
    reg.edit({ alias: 'champion', version: 2, reason: '  ' });
    expect(await reg.promote()).toBe(false);
    expect(reg.promoteError).toContain('reason');
    expect(api.calls.some(c => c.startsWith('setAlias'))).toBe(false);
    expect(reg.form).toEqual({ alias: 'champion', version: 2, reason: '  ' });
  });

  it('shows the gate error, leaves the alias and keeps every field as the user left it', async () => {
    const api = registryApi();
    api.gate = () => 'gate min_accuracy failed: 0.71 < 0.8';
    const reg = new RegistryModel(api);
    await reg.open('churn');
    reg.edit({ alias: 'champion', version: 2, reason: 'try' });
    expect(await reg.promote()).toBe(false);
    expect(reg.promoteError).toBe('gate min_accuracy failed: 0.71 < 0.8');
    expect(reg.current!.aliases).toEqual({ production: 1 });
    expect(reg.form).toEqual({ alias: 'champion', version: 2, reason: 'try' });
    // the refusal is in the audit trail the panel lists, without a manual refresh
    expect(reg.history.at(-1)).toMatchObject({ action: 'promotion_blocked', alias: 'champion', reason: 'try' });
    await reg.open('churn'); // a reload of the same model keeps the form too
    expect(reg.form.version).toBe(2);
  });
});

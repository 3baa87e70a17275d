// @vitest-environment happy-dom
/** The views' DOM, driven as a user would: keys, clicks, form fields; both hosts mount these nodes. */
import { describe, expect, it } from 'vitest';

import { ComparisonModel, RegistryModel, RunsModel } from '../src/views/models';
import { ComparisonView } from '../src/views/comparisonView';
import { HistoryModel, HistoryView } from '../src/views/historyView';
import { RegistryView } from '../src/views/registryView';
import { reportView, tone } from '../src/views/reportViews';
import { RunsView } from '../src/views/runsView';
import type { RunSummary } from '../src/types';
import { FakeApi, makeRun } from './fakeApi';

const tick = () => new Promise(r => setTimeout(r, 0));

function key(target: Element, name: string) {
  target.dispatchEvent(new KeyboardEvent('keydown', { key: name, bubbles: true }));
}

async function runsView(count = 5) {
  const api = new FakeApi();
  api.runsData = Array.from({ length: count }, (_, i) => makeRun(`r${i}`, { metrics: { acc: i / 10 }, params: { lr: i } }));
  const model = new RunsModel(api, 3);
  const opened: RunSummary[] = [];
  const view = new RunsView(model, { open: run => opened.push(run), compare: () => undefined });
  document.body.append(view.node);
  await model.refresh();
  return { api, model, view, opened, node: view.node };
}

describe('runs view', () => {
  it('shows a page with its place in the total and turns pages on the server', async () => {
    const { node, api } = await runsView(5);
    expect(node.querySelectorAll('tr.mlm-run')).toHaveLength(3);
    expect(node.querySelector('.mlm-count')!.textContent).toBe('1-3 of 5 runs');
    expect(node.querySelector<HTMLButtonElement>('.mlm-prev')!.disabled).toBe(true);
    node.querySelector<HTMLButtonElement>('.mlm-next')!.click();
    await tick();
    expect(node.querySelector('.mlm-count')!.textContent).toBe('4-5 of 5 runs');
    expect(api.calls.at(-1)).toBe('runs::3:3:');
    node.querySelector<HTMLElement>("th[data-column='metrics.acc']")!.click();
    await tick();
    expect(api.calls.at(-1)).toBe('runs::0:3:metrics.acc desc');
    expect(node.querySelector("th[data-column='metrics.acc']")!.getAttribute('aria-sort')).toBe('descending');
  });

  it('moves with the arrow keys, selects with space and opens with enter', async () => {
    const { node, model, opened } = await runsView(5);
    const rows = () => [...node.querySelectorAll<HTMLElement>('tr.mlm-run')];
    rows()[0].focus();
    key(rows()[0], 'ArrowDown');
    expect(document.activeElement).toBe(rows()[1]);
    key(rows()[1], ' ');
    expect([...model.selected]).toEqual(['r1']);
    expect(document.activeElement).toBe(rows()[1]); // the redraw keeps the focus on the row
    expect(rows()[1].getAttribute('aria-selected')).toBe('true');
    expect(rows()[1].classList.contains('mlm-selected')).toBe(true);
    key(document.activeElement!, 'ArrowDown');
    key(document.activeElement!, ' ');
    expect(node.querySelector<HTMLButtonElement>('.mlm-compare')!.disabled).toBe(false);
    key(document.activeElement!, 'Enter');
    expect(opened.map(r => r.id)).toEqual(['r2']);
    expect(node.querySelector('.mlm-run-detail')!.textContent).toContain('lr=2');
    key(document.activeElement!, 'ArrowUp');
    key(document.activeElement!, 'ArrowUp');
    key(document.activeElement!, 'ArrowUp'); // stops at the top
    expect(document.activeElement).toBe(rows()[0]);
  });

  it('puts the caret of a filter error under its column, in a fixed-width block', async () => {
    const { node, model } = await runsView(2);
    await model.setFilter('metrics.acc >>> 1');
    const box = node.querySelector('.mlm-filter-error')!;
    expect(box.getAttribute('role')).toBe('alert');
    const [text, caret] = box.querySelector('pre.mlm-caret')!.textContent!.split('\n');
    expect(text).toBe('metrics.acc >>> 1');
    expect(caret.indexOf('^')).toBe(text.indexOf('>'));
  });
});

describe('registry view', () => {
  function api() {
    const fake = new FakeApi();
    fake.modelsData['churn'] = { name: 'churn', aliases: { production: 1 }, versions: [1, 2, 3].map(version => ({ version })) };
    return fake;
  }

  it('keeps the alias, version and reason the user chose after a refused promotion', async () => {
    const fake = api();
    fake.gate = (alias, version) => (version === 2 ? 'val_auc 0.71 is short of 0.8' : null);
    const model = new RegistryModel(fake);
    const view = new RegistryView(model);
    document.body.append(view.node);
    await model.loadModels();
    await model.open('churn');
    const field = <T extends HTMLElement>(cls: string) => view.node.querySelector<T>(cls)!;
    const alias = field<HTMLInputElement>('.mlm-promote-alias');
    alias.value = 'champion';
    alias.dispatchEvent(new Event('input'));
    const version = field<HTMLSelectElement>('.mlm-promote-version');
    expect(version.value).toBe('3'); // the latest by default
    version.value = '2';
    version.dispatchEvent(new Event('change'));
    field<HTMLButtonElement>('.mlm-promote').click(); // no reason yet
    await tick();
    expect(field('.mlm-promote-error').textContent).toContain('reason');
    expect(field<HTMLInputElement>('.mlm-promote-alias').value).toBe('champion');
    expect(field<HTMLSelectElement>('.mlm-promote-version').value).toBe('2');
    const reason = field<HTMLInputElement>('.mlm-promote-reason');
    reason.value = 'looks better';
    reason.dispatchEvent(new Event('input'));
    field<HTMLButtonElement>('.mlm-promote').click();
    for (let i = 0; i < 5; i++) {
      await tick();
    }
    expect(field('.mlm-promote-error').textContent).toBe('val_auc 0.71 is short of 0.8');
    expect(field<HTMLInputElement>('.mlm-promote-alias').value).toBe('champion');
    expect(field<HTMLSelectElement>('.mlm-promote-version').value).toBe('2');
    expect(field<HTMLInputElement>('.mlm-promote-reason').value).toBe('looks better');
    expect(fake.calls.filter(c => c.startsWith('setAlias'))).toEqual(['setAlias:churn:champion:2:looks better']);
    expect(view.node.querySelector("tr[data-action='promotion_blocked']")).not.toBeNull();
  });
});

describe('comparison, history and report views', () => {
  it('marks differing params and shows the code diff of the runs cells', async () => {
    const fake = new FakeApi();
    fake.runsData = [
      makeRun('a', { params: { lr: 0.1, opt: 'adam' }, cell: { source: 'lr = 0.1\nfit()' } }),
      makeRun('b', { params: { lr: 0.3, opt: 'adam' }, cell: { source: 'lr = 0.3\nfit()' } })
    ];
    const view = new ComparisonView(new ComparisonModel(fake, ['a', 'b']));
    document.body.append(view.node);
    await view.start();
    const keys = [...view.node.querySelectorAll('.mlm-params-diff td.mlm-key')].map(n => n.textContent);
    expect(keys).toEqual(['lr']);
    expect(view.node.querySelector('.mlm-params-diff tr.mlm-differs')).not.toBeNull();
    const changed = [...view.node.querySelectorAll('.mlm-code-diff .mlm-add, .mlm-code-diff .mlm-del')].map(n => n.textContent);
    expect(changed).toEqual(['- lr = 0.1', '+ lr = 0.3']);
    view.node.querySelector<HTMLInputElement>('.mlm-only-diff-toggle')!.click();
    expect(view.node.querySelectorAll('.mlm-params-diff td.mlm-key')).toHaveLength(2);
  });

  it('lists cell executions with stale ones marked', async () => {
    const model = new HistoryModel({
      cells: async () => [
        { execution_count: 1, source: 'x = 1', success: true, duration: 0.01 },
        { execution_count: 2, source: 'y = x', success: true, stale: true, stale_reason: 'reads x, rewritten later by [3]' },
        { execution_count: 3, source: '\nx = 5', success: false, error_type: 'ValueError' }
      ]
    });
    const view = new HistoryView(model);
    await model.load();
    const rows = view.node.querySelectorAll('tr.mlm-cell-row');
    expect(rows).toHaveLength(3);
    expect(rows[1].classList.contains('mlm-stale')).toBe(true);
    expect(rows[1].textContent).toContain('rewritten later by [3]');
    expect(rows[2].textContent).toContain('error ValueError');
    expect(rows[2].querySelector('.mlm-source')!.textContent).toBe('x = 5');
  });

  it('renders a report: verdict badge, fields, one table per list of records, problems marked', () => {
    const { node } = reportView('drift', {
      model: 'churn@production',
      drifted: true,
      features: [
        { name: 'age', test: 'ks', p_value: 0.0001, drifted: true },
        { name: 'plan', test: 'chi2', p_value: 0.6, drifted: false }
      ]
    });
    expect(node.querySelector('.mlm-verdict')!.className).toContain('mlm-tone-bad');
    expect(node.querySelector('.mlm-report-fields')!.textContent).toContain('churn@production');
    const rows = node.querySelectorAll("[data-section='features'] tr");
    expect(rows).toHaveLength(3);
    expect(rows[1].classList.contains('mlm-bad')).toBe(true);
    expect(rows[2].classList.contains('mlm-bad')).toBe(false);
    expect(tone('passed', true)).toBe('good');
    expect(tone('verdict', 'not reproduced')).toBe('bad');
  });

  it('lists records nested in records (a scan: checks, then their findings with the check they belong to)', () => {
    const { node } = reportView('scan', {
      verdict: 'failed',
      counts: { high: 1, low: 0 },
      checks: [
        { check: 'bias', status: 'failed', findings: [{ code: 'GAP', severity: 'high', title: 'accuracy gap 0.2' }] },
        { check: 'leakage', status: 'passed', findings: [] }
      ]
    });
    expect(node.querySelector('.mlm-verdict')!.className).toContain('mlm-tone-bad');
    const checks = node.querySelectorAll("[data-section='checks'] tr");
    expect(checks).toHaveLength(3);
    expect(checks[0].textContent).not.toContain('findings');
    const findings = node.querySelectorAll("[data-section='findings'] tr");
    expect(findings).toHaveLength(2);
    expect(findings[1].textContent).toContain('bias');
    expect(findings[1].classList.contains('mlm-bad')).toBe(true);
  });
});

/**
 * The notebook widgets' ES module (anywidget): the shared views hosted in a
 * cell output, with data from the widget's Python object (traits and calls
 * over its comm). The `view` trait says which view a widget shows.
 */
import { ComparisonView } from '../views/comparisonView';
import { HistoryModel, HistoryView } from '../views/historyView';
import { ComparisonModel, RegistryModel, RunsModel } from '../views/models';
import { Poller } from '../views/poller';
import { RegistryView } from '../views/registryView';
import { RunsView } from '../views/runsView';
import { reportView } from '../views/reportViews';
import { DriftView } from '../views/driftView';
import { reproductionView } from '../views/reproViews';
import type { DriftData } from '../views/driftView';
import type { MetricHistory, ModelDetail, ModelHistoryEntry, ModelSummary, RunDetail, RunsPage } from '../types';
import type { AnyModel } from './kernelSource';
import { Kernel } from './kernelSource';

type Hosted = { node: HTMLElement; dispose(): void };
type Host = (model: AnyModel, kernel: Kernel) => Hosted;

/** Call `fn` on a trait change until disposed. */
function watch(model: AnyModel, names: string[], fn: () => void): () => void {
  names.forEach(n => model.on(`change:${n}`, fn));
  return () => names.forEach(n => model.off(`change:${n}`, fn));
}

function runsHost(model: AnyModel, kernel: Kernel): Hosted {
  let first: RunsPage | null = model.get('page');
  const runs = new RunsModel(
    {
      runs: q => {
        const initial = first;
        first = null; // the page built with the widget paints without a round trip
        return initial ? Promise.resolve(initial) : kernel.call<RunsPage>('page', { ...q });
      }
    },
    model.get('page_size') || 50
  );
  runs.filter = model.get('filter') || '';
  runs.order = first?.order || '';
  runs.setSelection(model.get('selected') || []);
  const view = new RunsView(runs, {
    columns: model.get('columns'),
    autoColumns: 4,
    open: run => kernel.sync({ opened: run.id }),
    columnsChanged: columns => kernel.sync({ columns })
  });
  const toPython = () => kernel.sync({ selected: [...runs.selected] }); // Python learns the filter from each page call
  runs.changed.connect(toPython);
  const unwatch = watch(model, ['selected', 'filter'], () => {
    const filter = model.get('filter') || '';
    if (filter !== runs.filter) {
      void runs.setFilter(filter).catch(() => undefined);
    }
    const ids: string[] = model.get('selected') || [];
    if (ids.join() !== [...runs.selected].join()) {
      runs.setSelection(ids);
    }
  });
  // Live: re-read the page while it is on screen (fast while a shown run is running).
  const seconds = Number(model.get('refresh_seconds')) || 2;
  const poller = new Poller(() => runs.refresh(), {
    activeInterval: seconds * 1000,
    idleInterval: Math.max(seconds * 1000, 15000),
    maxInterval: 60000
  });
  void runs.refresh().catch(() => undefined);
  const seen =
    model.get('live') && typeof IntersectionObserver !== 'undefined'
      ? new IntersectionObserver(entries => poller.setVisible(entries.some(e => e.isIntersecting)))
      : null;
  seen?.observe(view.node);
  return {
    node: view.node,
    dispose: () => {
      seen?.disconnect();
      poller.dispose();
      unwatch();
      runs.changed.disconnect(toPython);
      view.dispose();
    }
  };
}

/**
 * A history for the chart. The first trace is also pushed by Python into the `first_history` trait as
 * soon as it is read, while the cell may still run (the kernel answers calls only after it): whichever
 * of the trait and the call's answer comes first is drawn.
 */
function metricHistory(model: AnyModel, kernel: Kernel, id: string, key: string, maxPoints: number | undefined): Promise<MetricHistory> {
  const pushed = (): MetricHistory | null => {
    const f = model.get('first_history');
    return f && f.run_id === id && f.key === key && (!maxPoints || f.max_points === maxPoints) ? (f.history as MetricHistory) : null;
  };
  const ready = pushed();
  if (ready) {
    return Promise.resolve(ready);
  }
  const call = kernel.call<MetricHistory>('metric', { run_id: id, key, max_points: maxPoints });
  if (model.get('first_history')?.run_id) {
    return call; // the pushed one is another history
  }
  return new Promise<MetricHistory>((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void) => {
      if (!done) {
        done = true;
        model.off('change:first_history', onPush);
        fn();
      }
    };
    const onPush = () => {
      const history = pushed();
      if (history) {
        finish(() => resolve(history));
      }
    };
    model.on('change:first_history', onPush);
    call.then(
      value => finish(() => resolve(value)),
      error => finish(() => reject(error))
    );
  });
}

function compareHost(model: AnyModel, kernel: Kernel): Hosted {
  const details: RunDetail[] = model.get('runs_data') || [];
  const byId = new Map(details.map(r => [r.id, r]));
  const comparison = new ComparisonModel(
    {
      run: id => (byId.has(id) ? Promise.resolve(byId.get(id)!) : kernel.call<RunDetail>('run', { run_id: id })),
      metric: (id, key, maxPoints) => metricHistory(model, kernel, id, key, maxPoints),
      sessionDiff: (a, b, scope) => kernel.call('session_diff', { a, b, scope })
    },
    details.map(r => r.id),
    model.get('max_points') || 2000,
    details,
    model.get('metric') || ''
  );
  comparison.set({ smoothing: model.get('smoothing') || 0, axis: model.get('axis') || 'step', log: !!model.get('log') });
  const view = new ComparisonView(comparison);
  const toPython = () =>
    kernel.sync({ metric: comparison.metric, smoothing: comparison.smoothing, axis: comparison.axis, log: comparison.log });
  comparison.changed.connect(toPython);
  const unwatch = watch(model, ['metric', 'smoothing', 'axis', 'log'], () => {
    if ((model.get('metric') || '') !== comparison.metric && model.get('metric')) {
      void comparison.selectMetric(model.get('metric'));
    }
    comparison.set({ smoothing: model.get('smoothing') || 0, axis: model.get('axis') || 'step', log: !!model.get('log') });
  });
  void view.start();
  return {
    node: view.node,
    dispose: () => {
      unwatch();
      comparison.changed.disconnect(toPython);
      view.dispose();
    }
  };
}

function registryHost(model: AnyModel, kernel: Kernel): Hosted {
  const registry = new RegistryModel({
    models: () => kernel.call<ModelSummary[]>('models'),
    model: name => kernel.call<ModelDetail>('model', { name }),
    modelHistory: name => kernel.call<ModelHistoryEntry[]>('history', { name }),
    setAlias: (name, alias, version, reason) => kernel.call('promote', { name, alias, version, reason })
  });
  const view = new RegistryView(registry);
  const reload = () => {
    void registry.loadModels();
    const name = model.get('model_name') || registry.current?.name;
    if (name) {
      void registry.open(name);
    }
  };
  const unwatch = watch(model, ['model_name', 'revision'], reload);
  reload();
  return { node: view.node, dispose: () => (unwatch(), view.dispose()) };
}

function historyHost(model: AnyModel): Hosted {
  const history = new HistoryModel({ cells: () => Promise.resolve(model.get('cells') || []) });
  const view = new HistoryView(history);
  const reload = () => {
    history.scope = model.get('scope') || '';
    void history.load();
  };
  const unwatch = watch(model, ['cells', 'scope'], reload);
  reload();
  return { node: view.node, dispose: () => (unwatch(), view.dispose()) };
}

function reportHost(model: AnyModel, kernel: Kernel): Hosted {
  let current = reportView(model.get('view'), model.get('report'));
  const node = document.createElement('div');
  node.append(current.node);
  const unwatch = watch(model, ['report'], () => {
    current.dispose();
    current = reportView(model.get('view'), model.get('report'));
    node.replaceChildren(current.node);
  });
  // A scan of a registered version can promote it (through the registry's gates; the outcome is the message).
  const target = model.get('target');
  if (target?.name) {
    const alias = Object.assign(document.createElement('input'), { value: 'production', className: 'mlm-promote-alias' });
    const reason = Object.assign(document.createElement('input'), { placeholder: 'reason (kept in the audit trail)', className: 'mlm-promote-reason' });
    const button = Object.assign(document.createElement('button'), { textContent: `Promote v${target.version}`, className: 'mlm-button jp-mod-accept mlm-promote' });
    button.onclick = () => void kernel.call('promote', { alias: alias.value, reason: reason.value }).catch(() => undefined);
    const form = document.createElement('div');
    form.className = 'mlm-view mlm-promote-form';
    form.dataset.lmSuppressShortcuts = 'true';
    form.append(alias, reason, button);
    node.append(form);
  }
  return { node, dispose: () => (unwatch(), current.dispose()) };
}

function driftData(model: AnyModel): DriftData {
  return {
    report: model.get('report_data') && Object.keys(model.get('report_data')).length ? model.get('report_data') : null,
    error: model.get('error') || '',
    history: model.get('history') || [],
    performance: model.get('performance') || [],
    window: model.get('window') || '1d'
  };
}

/** `mlm.drift(...)`: the report arrives in traits; another window is a call that updates them. */
function driftHost(model: AnyModel, kernel: Kernel): Hosted {
  const view = new DriftView(
    {
      load: async window => {
        await kernel.call('load', { window });
        return driftData(model);
      }
    },
    driftData(model),
    { window: model.get('window') || '1d' }
  );
  const unwatch = watch(model, ['report_data', 'history', 'performance', 'error'], () => view.show(driftData(model)));
  return { node: view.node, dispose: () => (unwatch(), view.dispose()) };
}

const HOSTS: Record<string, Host> = {
  runs: runsHost,
  compare: compareHost,
  registry: registryHost,
  history: historyHost,
  drift: driftHost,
  scan: reportHost,
  repro: model => reproductionView(model.get('report'))
};

function render({ model, el }: { model: AnyModel; el: HTMLElement }): () => void {
  el.classList.add('mlm-widget');
  const kernel = new Kernel(model);
  const host = HOSTS[model.get('view')];
  const hosted = host(model, kernel);
  el.append(hosted.node);
  // A message from Python (`{"kind": "error"|"ok", "text"}`) above the view.
  const banner = document.createElement('div');
  const message = () => {
    const m = model.get('message') || {};
    banner.className = m.text ? `mlm-view mlm-message ${m.kind === 'ok' ? 'mlm-ok' : 'mlm-error'}` : '';
    banner.textContent = m.text || '';
  };
  el.prepend(banner);
  message();
  const unwatch = watch(model, ['message'], message);
  return () => {
    unwatch();
    hosted.dispose();
    kernel.dispose();
  };
}

export default { render };

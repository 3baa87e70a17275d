/**
 * Plugin wiring only: the mlm sidebar in the left area, the comparison in the
 * main area, and jump-to-cell through the notebook tracker.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';

import { requestAPI, RestApi } from './api';
import { hosted, MlmSidebar, mlmIcon } from './sidebar/sidebar';
import { SidebarModel } from './sidebar/sidebarModel';
import { jumpToCell } from './jump';
import { ComparisonView } from './views/comparisonView';
import { HistoryModel } from './views/historyView';
import { ComparisonModel, RegistryModel } from './views/models';
import { verdictBadge } from './views/reportViews';
import { openDriftReport, versionHealth } from './sidebar/health';
import type { HealthMap } from './sidebar/health';
import type { RunSummary } from './types';
import { CLIENT_VERSION } from './version';

const COMMAND_COMPARE = 'mlm:compare-runs';
const COMMAND_SHOW = 'mlm:show-sidebar';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'mlm-jupyter:sidebar',
  description: 'Runs, comparison and model promotion next to the notebook.',
  autoStart: true,
  optional: [ILayoutRestorer, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    tracker: INotebookTracker | null
  ) => {
    const api = new RestApi();
    const model = new SidebarModel(api, CLIENT_VERSION);
    const registry = new RegistryModel(api);
    // Each version's latest scan verdict (GET models/{name}/scans), re-read whenever a model is (re)opened.
    const scans = new Map<string, Map<number, { verdict?: string } | null>>();
    // Each aliased version's drift health (GET models/{name}/monitor/health), read with the scans.
    const health = new Map<string, Map<number, HealthMap>>();
    let reports = 0;
    let shown: unknown = null;
    registry.changed.connect(() => {
      const detail = registry.current;
      if (!detail || detail === shown) {
        return;
      }
      shown = detail;
      requestAPI<{ versions: { version: number; scan: { verdict?: string } | null }[] }>(
        `models/${encodeURIComponent(detail.name)}/scans`
      )
        .then(body => {
          scans.set(detail.name, new Map(body.versions.map(v => [v.version, v.scan])));
          registry.changed.emit();
        })
        .catch(() => undefined); // a server without scans: no badges
      requestAPI<{ versions: HealthMap[] }>(`models/${encodeURIComponent(detail.name)}/monitor/health`)
        .then(body => {
          health.set(detail.name, new Map(body.versions.map(v => [v.version, v])));
          registry.changed.emit();
        })
        .catch(() => undefined); // no monitoring routes: no health badges
    });
    // The History tab shows the cells of the notebook in front (paths are relative to the server root).
    const history = new HistoryModel({
      cells: () => {
        const path = tracker?.currentWidget?.context.path;
        return path ? api.cells(path) : Promise.resolve([]);
      }
    });
    let comparisons = 0;

    const openRun = async (run: RunSummary) => {
      try {
        const detail = await api.run(run.id);
        const problem = await jumpToCell(app, tracker, detail.cell);
        if (problem) {
          Notification.info(problem, { autoClose: 4000 });
        }
      } catch (error) {
        Notification.error(String((error as Error).message ?? error), { autoClose: 5000 });
      }
    };

    app.commands.addCommand(COMMAND_COMPARE, {
      label: 'Compare mlm runs',
      execute: args => {
        const ids = (args.ids as string[] | undefined) ?? [...model.selected];
        const hints = model.runs.filter(run => ids.includes(run.id));
        const view = new ComparisonView(new ComparisonModel(api, ids, 2000, hints));
        const content = hosted(view.node, `mlm-compare-view-${comparisons + 1}`, 'Comparison', () => view.dispose());
        content.addClass('mlm-ComparisonView');
        const widget = new MainAreaWidget({ content });
        widget.id = `mlm-compare-${++comparisons}`;
        widget.title.label = `Compare ${ids.length} runs`;
        widget.title.icon = mlmIcon;
        widget.title.closable = true;
        widget.addClass('mlm-Comparison');
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
        return view.start();
      }
    });

    const sidebar = new MlmSidebar({
      model,
      registry,
      history,
      decorateVersion: (name, version) => {
        const scan = scans.get(name)?.get(version.version);
        const state = health.get(name)?.get(version.version);
        const badges = [
          scan?.verdict ? verdictBadge(`scan ${scan.verdict}`, 'verdict', scan.verdict) : null,
          state ? versionHealth(name, state, () => openDriftReport(app, name, state.version, `mlm-drift-${++reports}`, mlmIcon)) : null
        ].filter((b): b is HTMLElement => b !== null);
        if (badges.length < 2) {
          return badges[0] ?? null;
        }
        const both = document.createElement('span');
        both.append(...badges);
        return both;
      },
      compare: ids => void app.commands.execute(COMMAND_COMPARE, { ids }),
      openRun: run => void openRun(run)
    });
    app.commands.addCommand(COMMAND_SHOW, {
      label: 'Show mlm runs and models',
      execute: () => app.shell.activateById(sidebar.id)
    });
    app.shell.add(sidebar, 'left', { rank: 600 });
    restorer?.add(sidebar, sidebar.id);
  }
};

export default plugin;

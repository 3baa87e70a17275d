/**
 * The registry tab's drift health badges (one per aliased version) and the drift report they open in
 * the main area: the shared drift view over REST (report, live performance, drift per period).
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { LabIcon } from '@jupyterlab/ui-components';

import { requestAPI } from '../api';
import { epochOf, formatTime, h } from '../views/dom';
import { DriftView, verdictTone } from '../views/driftView';
import type { DriftData } from '../views/driftView';
import { hosted } from './sidebar';

/** One aliased version's health, as `GET models/{name}/monitor/health` lists it. */
export interface HealthMap {
  version: number;
  aliases?: string[];
  verdict: string;
  rows?: number;
  last_logged?: string | null;
  window?: { start?: string; end?: string } | null;
  drift_share?: number | null;
  drifted_features?: string[];
  error?: string;
}

/** The badge: verdict and the last window's time; a click opens the drift report. */
export function versionHealth(name: string, state: HealthMap, open: () => void): HTMLElement {
  const end = epochOf(state.window?.end ?? state.last_logged ?? null);
  const when = end !== null ? formatTime(end) : '';
  const details = [
    `${name} v${state.version} drift health: ${state.verdict}`,
    when ? `last window ending ${when}` : 'no logged predictions yet',
    state.rows ? `${state.rows} rows logged` : '',
    state.drifted_features?.length ? `drifted: ${state.drifted_features.join(', ')}` : '',
    state.error ?? ''
  ].filter(Boolean);
  return h(
    'button',
    {
      class: `mlm-badge mlm-health mlm-tone-${verdictTone(state.verdict)}`,
      'data-verdict': state.verdict,
      'data-version': String(state.version),
      title: `${details.join('\n')}\n(click: open the drift report)`,
      'aria-label': details.join('; '),
      onclick: (e: Event) => {
        e.preventDefault();
        open();
      }
    },
    `${state.verdict}${when ? ` · ${when}` : ''}`
  );
}

const seg = encodeURIComponent;
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** The over-time chart's period for `window` (as the widget picks it): whole hours, at most ~48 periods. */
export function historyEvery(window: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhdw]?)$/.exec(window.trim());
  const seconds = match ? Number(match[1]) * UNITS[match[2] || 's'] : 86400;
  return seconds <= 3600 ? seconds : Math.ceil(seconds / 48 / 3600) * 3600;
}

/** The drift view's data for one version over REST; a missing report is an error the view shows. */
export async function loadDrift(name: string, version: number, window: string): Promise<DriftData> {
  const q = `version=${version}&window=${seg(window)}`;
  const [report, performance, history] = await Promise.allSettled([
    requestAPI<any>(`models/${seg(name)}/monitor/report?${q}`),
    requestAPI<{ periods: Record<string, unknown>[] }>(`models/${seg(name)}/monitor/performance?${q}`),
    requestAPI<{ windows?: DriftData['history'] }>(`models/${seg(name)}/monitor/history?${q}&every=${historyEvery(window)}`)
  ]);
  return {
    report: report.status === 'fulfilled' ? report.value : null,
    error: report.status === 'rejected' ? String((report.reason as Error)?.message ?? report.reason) : '',
    performance: performance.status === 'fulfilled' ? performance.value.periods ?? [] : [],
    history: history.status === 'fulfilled' ? history.value.windows ?? [] : [],
    window
  };
}

export function openDriftReport(app: JupyterFrontEnd, name: string, version: number, id: string, icon: LabIcon): DriftView {
  const view = new DriftView({ load: window => loadDrift(name, version, window) }, null, { window: '1d' });
  const content = hosted(view.node, `${id}-view`, 'Drift', () => view.dispose());
  content.addClass('mlm-ComparisonView');
  const widget = new MainAreaWidget({ content });
  widget.id = id;
  widget.title.label = `Drift: ${name} v${version}`;
  widget.title.icon = icon;
  widget.title.closable = true;
  widget.addClass('mlm-DriftReport');
  app.shell.add(widget, 'main');
  app.shell.activateById(widget.id);
  void view.load('1d');
  return view;
}

/**
 * The left-area panel hosting the shared views over REST: a server-status
 * banner over three tabs (Runs, Registry, History); polls while shown and
 * stops when hidden.
 */
import { LabIcon } from '@jupyterlab/ui-components';
import { Panel, TabPanel, Widget } from '@lumino/widgets';
import type { Message } from '@lumino/messaging';

import { RegistryModel } from '../views/models';
import { Poller } from '../views/poller';
import { HistoryModel, HistoryView } from '../views/historyView';
import { RegistryView } from '../views/registryView';
import type { VersionDecorator } from '../views/registryView';
import { RunsView } from '../views/runsView';
import type { RunSummary } from '../types';
import { h, mount } from '../views/dom';
import { serverMessage } from './serverMessage';
import type { SidebarModel } from './sidebarModel';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
<g class="jp-icon3" fill="#616161"><rect x="3" y="13" width="4" height="8" rx="1"/><rect x="10" y="8" width="4" height="13" rx="1"/><rect x="17" y="3" width="4" height="18" rx="1"/></g></svg>`;

export const mlmIcon = new LabIcon({ name: 'mlm-jupyter:sidebar', svgstr: ICON_SVG });

export interface SidebarOptions {
  model: SidebarModel;
  registry: RegistryModel;
  history: HistoryModel;
  compare(ids: string[]): void;
  openRun(run: RunSummary): void;
  decorateVersion?: VersionDecorator;
  /** Poll intervals (ms); tests and benchmarks may shorten them. */
  activeInterval?: number;
  idleInterval?: number;
}

/** A Lumino widget around a view's DOM node (the views know nothing of Lumino). */
export function hosted(node: HTMLElement, id: string, label: string, dispose: () => void): Widget {
  const widget = new Widget({ node });
  widget.id = id;
  widget.title.label = label;
  widget.disposed.connect(dispose);
  return widget;
}

export class MlmSidebar extends Panel {
  readonly poller: Poller;
  private readonly banner: HTMLElement;
  private readonly tabs: TabPanel;
  private started = false;

  constructor(private readonly options: SidebarOptions) {
    super();
    this.id = 'mlm-sidebar';
    this.addClass('mlm-Sidebar');
    this.title.icon = mlmIcon;
    this.title.caption = 'Runs and models (mlm-jupyter)';
    const { model, registry, history } = options;
    this.banner = h('div', { class: 'mlm-banner' });
    const bannerWidget = new Panel();
    bannerWidget.node.append(this.banner);
    const runs = new RunsView(model, { compare: options.compare, open: options.openRun, autoColumns: 1 });
    const registryView = new RegistryView(registry, options.decorateVersion ?? null);
    const historyView = new HistoryView(history);
    this.tabs = new TabPanel();
    this.tabs.addClass('mlm-tabs');
    this.tabs.addWidget(hosted(runs.node, 'mlm-runs-view', 'Runs', () => runs.dispose()));
    this.tabs.addWidget(hosted(registryView.node, 'mlm-registry-view', 'Registry', () => registryView.dispose()));
    this.tabs.addWidget(hosted(historyView.node, 'mlm-history-view', 'History', () => historyView.dispose()));
    this.tabs.currentChanged.connect(() => this.loadTab());
    this.addWidget(bannerWidget);
    this.addWidget(this.tabs);
    // Each tick also re-reads the experiments (one small request), so new ones appear in the picker.
    const tick = async () => {
      const [running] = await Promise.all([model.refresh(), model.loadExperiments()]);
      return running;
    };
    this.poller = new Poller(tick, {
      activeInterval: options.activeInterval ?? 2000,
      idleInterval: options.idleInterval ?? 10000,
      maxInterval: 60000
    });
    model.changed.connect(this.renderBanner);
    this.renderBanner();
  }

  dispose(): void {
    this.poller.dispose();
    this.options.model.changed.disconnect(this.renderBanner);
    super.dispose();
  }

  /** Re-read what the current tab shows (the registry and history tabs do not poll). */
  loadTab(): void {
    if (!this.options.model.ready) {
      return;
    }
    if (this.tabs.currentIndex === 1) {
      void this.options.registry.loadModels();
    } else if (this.tabs.currentIndex === 2) {
      void this.options.history.load();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.start();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.poller.setVisible(false);
  }

  /** First show: check the server once, load experiments, then poll while visible. */
  private async start(): Promise<void> {
    const { model } = this.options;
    if (!this.started || !model.ready) {
      this.started = true;
      if ((await model.checkServer()) !== 'ok') {
        return;
      }
      void model.loadExperiments();
      void this.options.registry.loadModels();
    }
    if (this.isVisible) {
      this.poller.setVisible(true);
      this.loadTab();
    }
  }

  private readonly renderBanner = () => {
    mount(this.banner, serverMessage(this.options.model, () => void this.start()));
    this.tabs.setHidden(!this.options.model.ready);
  };
}

/**
 * The left-area panel: a server-status banner over two tabs (Runs, Registry);
 * polls while shown and stops when hidden.
 */
import { LabIcon } from '@jupyterlab/ui-components';
import { Panel, TabPanel } from '@lumino/widgets';
import type { Message } from '@lumino/messaging';

import { RegistryModel, SidebarModel } from '../model';
import { Poller } from '../poller';
import type { RunSummary } from '../types';
import { h, mount } from './dom';
import { RegistryView } from './registryView';
import { RunsView } from './runsView';
import { serverMessage } from './serverMessage';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
<g class="jp-icon3" fill="#616161"><rect x="3" y="13" width="4" height="8" rx="1"/><rect x="10" y="8" width="4" height="13" rx="1"/><rect x="17" y="3" width="4" height="18" rx="1"/></g></svg>`;

export const mlmIcon = new LabIcon({ name: 'mlm-jupyter:sidebar', svgstr: ICON_SVG });

export interface SidebarOptions {
  model: SidebarModel;
  registry: RegistryModel;
  compare(ids: string[]): void;
  openRun(run: RunSummary): void;
  /** Poll intervals (ms); tests and benchmarks may shorten them. */
  activeInterval?: number;
  idleInterval?: number;
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
    const { model, registry } = options;
    this.banner = h('div', { class: 'mlm-banner' });
    const bannerWidget = new Panel();
    bannerWidget.node.append(this.banner);
    this.tabs = new TabPanel();
    this.tabs.addClass('mlm-tabs');
    this.tabs.addWidget(
      new RunsView(model, {
        compare: options.compare,
        openRun: options.openRun,
        refresh: () => void this.poller.refresh()
      })
    );
    this.tabs.addWidget(new RegistryView(registry));
    this.tabs.currentChanged.connect(() => {
      if (this.tabs.currentIndex === 1 && model.ready) {
        void registry.loadModels();
      }
    });
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
    model.changed.connect(this.renderBanner, this);
    this.renderBanner();
  }

  dispose(): void {
    this.poller.dispose();
    this.options.model.changed.disconnect(this.renderBanner, this);
    super.dispose();
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
    const { model, registry } = this.options;
    if (!this.started || !model.ready) {
      this.started = true;
      if ((await model.checkServer()) !== 'ok') {
        return;
      }
      void model.loadExperiments();
      void registry.loadModels();
    }
    if (this.isVisible) {
      this.poller.setVisible(true);
    }
  }

  private renderBanner(): void {
    const message = serverMessage(this.options.model, () => void this.start());
    mount(this.banner, message);
    this.tabs.setHidden(!this.options.model.ready);
  }
}

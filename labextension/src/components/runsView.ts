/**
 * The runs tab: experiment picker, search box (run search language), the runs
 * list with status badges and checkboxes, and the Compare button.
 */
import { refreshIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import type { SidebarModel } from '../model';
import { toEpoch } from '../types';
import type { RunSummary } from '../types';
import { badge, formatNumber, formatTime, h, mount } from './dom';

export interface RunsViewActions {
  compare(ids: string[]): void;
  openRun(run: RunSummary): void;
  refresh(): void;
}

const SEARCH_HINT = "metrics.val_auc > 0.9 and params.max_depth = 8";

export class RunsView extends Widget {
  private readonly search: HTMLInputElement;
  private readonly experimentSelect: HTMLSelectElement;
  private readonly errorNode: HTMLElement;
  private readonly listNode: HTMLElement;
  private readonly footerNode: HTMLElement;
  private debounce: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly model: SidebarModel,
    private readonly actions: RunsViewActions
  ) {
    super();
    this.addClass('mlm-RunsView');
    this.id = 'mlm-runs-view';
    this.title.label = 'Runs';
    this.search = h('input', {
      class: 'jp-mod-styled mlm-search',
      type: 'search',
      placeholder: SEARCH_HINT,
      title: 'Run search language: metrics., params., tags., attributes., datasets.; = != < <= > >= LIKE ILIKE IN IS NULL; and or not ( )',
      'aria-label': 'Search runs',
      oninput: () => this.scheduleSearch(),
      onkeydown: (event: KeyboardEvent) => {
        if (event.key === 'Enter') {
          this.runSearch();
        } else if (event.key === 'Escape') {
          this.search.value = '';
          this.runSearch();
        }
      }
    });
    this.experimentSelect = h('select', {
      class: 'jp-mod-styled mlm-experiment',
      'aria-label': 'Experiment',
      onchange: () => void this.model.setExperiment(this.experimentSelect.value).catch(() => undefined)
    });
    const refresh = h('button', {
      class: 'jp-Button jp-mod-minimal mlm-refresh',
      title: 'Refresh runs',
      'aria-label': 'Refresh runs',
      onclick: () => this.actions.refresh()
    });
    refresh.append(refreshIcon.element({ tag: 'span' }));
    this.errorNode = h('div', { class: 'mlm-filter-error', role: 'alert' });
    this.listNode = h('ul', { class: 'mlm-run-list', role: 'listbox', 'aria-multiselectable': 'true' });
    this.footerNode = h('div', { class: 'mlm-runs-footer' });
    mount(
      this.node,
      h('div', { class: 'mlm-runs-toolbar' }, this.experimentSelect, refresh),
      this.search,
      this.errorNode,
      this.listNode,
      this.footerNode
    );
    model.changed.connect(this.render, this);
    this.render();
  }

  dispose(): void {
    this.model.changed.disconnect(this.render, this);
    super.dispose();
  }

  private scheduleSearch(): void {
    if (this.debounce) {
      clearTimeout(this.debounce);
    }
    this.debounce = setTimeout(() => this.runSearch(), 300);
  }

  private runSearch(): void {
    if (this.debounce) {
      clearTimeout(this.debounce);
      this.debounce = null;
    }
    if (this.search.value.trim() !== this.model.filter) {
      void this.model.setFilter(this.search.value).catch(() => undefined);
    }
  }

  private render(): void {
    const model = this.model;
    const options = [h('option', { value: '' }, 'All experiments')];
    for (const exp of model.experiments) {
      const label = exp.runs !== undefined ? `${exp.name} (${exp.runs})` : exp.name;
      options.push(h('option', { value: exp.name, selected: exp.name === model.experiment }, label));
    }
    mount(this.experimentSelect, ...options);
    this.experimentSelect.value = model.experiment;
    this.errorNode.textContent = model.filterError;
    this.errorNode.hidden = !model.filterError;

    mount(this.listNode, ...model.runs.map(run => this.row(run)));
    if (!model.runs.length && !model.filterError) {
      this.listNode.append(
        h('li', { class: 'mlm-empty' }, model.filter ? 'No run matches this search.' : 'No runs yet.')
      );
    }
    const more =
      model.runs.length < model.total
        ? h(
            'button',
            { class: 'jp-Button jp-mod-styled mlm-more', onclick: () => void model.loadMore() },
            'Load more'
          )
        : null;
    const compare = h(
      'button',
      {
        class: 'jp-Button jp-mod-styled jp-mod-accept mlm-compare',
        disabled: !model.canCompare,
        title: model.canCompare ? 'Compare the selected runs' : 'Select two runs or more',
        onclick: () => this.actions.compare([...model.selected])
      },
      `Compare (${model.selected.size})`
    );
    mount(
      this.footerNode,
      h('span', { class: 'mlm-count' }, `${model.runs.length} of ${model.total} runs`),
      more,
      compare
    );
  }

  private row(run: RunSummary): HTMLElement {
    const selected = this.model.selected.has(run.id);
    const checkbox = h('input', {
      type: 'checkbox',
      class: 'mlm-run-select',
      checked: selected,
      'aria-label': `Select run ${run.name}`,
      onchange: () => this.model.toggle(run.id, checkbox.checked)
    });
    const metrics = Object.entries(run.metrics ?? {})
      .slice(0, 3)
      .map(([k, v]) => `${k}=${formatNumber(v)}`)
      .join('  ');
    return h(
      'li',
      {
        class: `mlm-run${selected ? ' jp-mod-selected' : ''}`,
        role: 'option',
        'aria-selected': String(selected),
        'data-run-id': run.id,
        'data-status': run.status
      },
      checkbox,
      badge(run.status),
      h(
        'span',
        { class: 'mlm-run-main' },
        h(
          'a',
          {
            class: 'mlm-run-name',
            href: '#',
            title: 'Show the cell that made this run (when its notebook is open)',
            onclick: (event: Event) => {
              event.preventDefault();
              this.actions.openRun(run);
            }
          },
          run.name || run.id
        ),
        h('span', { class: 'mlm-run-meta' }, [run.experiment, formatTime(toEpoch(run.start_time))].filter(Boolean).join(' · ')),
        metrics ? h('span', { class: 'mlm-run-metrics' }, metrics) : null
      )
    );
  }
}

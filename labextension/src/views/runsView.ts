/**
 * The runs list: experiment picker, search box (run search language) with
 * a caret under a syntax error, a sortable page of runs from the server,
 * page buttons, selection, keyboard navigation (arrows, space, enter), and
 * the Compare button when the host offers one.
 */
import type { RunsModel } from './models';
import type { RunSummary } from '../types';
import { reproBadge, reproDetail } from './reproViews';
import { badge, caretBox, epochOf, formatDuration, formatNumber, formatTime, h, mount } from './dom';

export interface RunsViewOptions {
  /** Columns shown (default: name, status, start, then the page's first metrics and params). */
  columns?: string[];
  /** How many metric / param columns to pick automatically. */
  autoColumns?: number;
  compare?(ids: string[]): void;
  /** Enter or a click on a run's name. */
  open?(run: RunSummary): void;
  /** The user chose columns (the widget keeps them in Python). */
  columnsChanged?(columns: string[]): void;
}

const LABELS: Record<string, string> = { name: 'name', status: 'status', start_time: 'start', duration: 'duration' };
const ORDER_KEYS: Record<string, string> = {
  name: 'attributes.name',
  status: 'attributes.status',
  start_time: 'attributes.start_time',
  experiment: 'attributes.experiment'
};
const SEARCH_HINT = 'metrics.val_auc > 0.9 and params.max_depth = 8';

function orderKey(column: string): string | null {
  return ORDER_KEYS[column] ?? (/^(metrics|params|tags)\./.test(column) ? column : null);
}

function cell(run: RunSummary, column: string): HTMLElement | string {
  const [kind, key] = column.includes('.') ? [column.slice(0, column.indexOf('.')), column.slice(column.indexOf('.') + 1)] : ['', column];
  if (kind) {
    const value = (run[kind] as Record<string, unknown> | undefined)?.[key];
    return kind === 'metrics' ? formatNumber(value) : String(value ?? '');
  }
  if (column === 'status') {
    return badge(run.status);
  }
  if (column === 'start_time') {
    return formatTime(epochOf(run.start_time));
  }
  if (column === 'duration') {
    const start = epochOf(run.start_time);
    const end = epochOf(run.end_time) ?? (run.status === 'running' ? Date.now() / 1000 : null);
    return start === null || end === null ? '' : formatDuration(end - start);
  }
  return String(run[column] ?? '');
}

/** Every column the page offers: base ones, then metrics, params and tags seen in its rows. */
export function availableColumns(runs: RunSummary[]): string[] {
  const keys = (kind: string) =>
    [...new Set(runs.flatMap(r => Object.keys((r[kind] as object | undefined) ?? {})))].sort().map(k => `${kind}.${k}`);
  return ['name', 'status', 'start_time', 'duration', 'experiment', ...keys('metrics'), ...keys('params'), ...keys('tags')];
}

export class RunsView {
  readonly node: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly experimentSelect: HTMLSelectElement;
  private readonly errorNode: HTMLElement;
  private readonly chooser: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly footer: HTMLElement;
  private columns: string[] | null;
  private active = 0;
  private opened = '';
  private readonly render = () => this.draw();

  constructor(
    readonly model: RunsModel,
    private readonly options: RunsViewOptions = {}
  ) {
    this.columns = options.columns?.length ? [...options.columns] : null;
    this.search = h('input', {
      class: 'jp-mod-styled mlm-search',
      type: 'search',
      spellcheck: false,
      placeholder: SEARCH_HINT,
      value: model.filter,
      title: 'Run search language: metrics., params., tags., attributes., datasets.; = != < <= > >= LIKE ILIKE IN IS NULL; and or not ( )',
      'aria-label': 'Search runs (Enter)',
      'data-lm-suppress-shortcuts': 'true',
      onkeydown: (event: KeyboardEvent) => {
        event.stopPropagation(); // keep notebook shortcuts out of the box
        if (event.key === 'Enter' || (event.key === 'Escape' && this.search.value)) {
          if (event.key === 'Escape') {
            this.search.value = '';
          }
          void model.setFilter(this.search.value).catch(() => undefined);
        }
      }
    });
    this.experimentSelect = h('select', {
      class: 'jp-mod-styled mlm-experiment',
      'aria-label': 'Experiment',
      onchange: () => void model.setExperiment(this.experimentSelect.value).catch(() => undefined)
    });
    this.errorNode = h('div', { class: 'mlm-filter-error-host' });
    this.chooser = h('details', { class: 'mlm-columns' });
    this.table = h('table', {
      class: 'mlm-table mlm-runs-table',
      role: 'grid',
      'aria-multiselectable': 'true',
      // JupyterLab's shortcuts (a notebook's arrows, space, enter) stay out of the list
      'data-lm-suppress-shortcuts': 'true',
      onkeydown: (event: KeyboardEvent) => this.key(event)
    });
    this.footer = h('div', { class: 'mlm-runs-footer' });
    this.node = h(
      'div',
      { class: 'mlm-view mlm-runs' },
      h('div', { class: 'mlm-toolbar' }, this.experimentSelect, this.search, this.chooser),
      this.errorNode,
      h('div', { class: 'mlm-scroll' }, this.table),
      this.footer
    );
    model.changed.connect(this.render);
    this.draw();
  }

  dispose(): void {
    this.model.changed.disconnect(this.render);
  }

  get shownColumns(): string[] {
    if (this.columns) {
      return this.columns;
    }
    const n = this.options.autoColumns ?? 2;
    const all = availableColumns(this.model.runs);
    const pick = (kind: string) => all.filter(c => c.startsWith(kind)).slice(0, n);
    return ['name', 'status', 'start_time', ...pick('metrics.'), ...pick('params.')];
  }

  private setColumns(columns: string[]): void {
    this.columns = columns;
    this.options.columnsChanged?.(columns);
    this.draw();
  }

  private draw(): void {
    const m = this.model;
    this.experimentSelect.hidden = !m.source.experiments;
    mount(
      this.experimentSelect,
      h('option', { value: '' }, 'All experiments'),
      ...m.experiments.map(e =>
        h('option', { value: e.name, selected: e.name === m.experiment }, e.runs !== undefined ? `${e.name} (${e.runs})` : e.name)
      )
    );
    this.experimentSelect.value = m.experiment;
    if (document.activeElement !== this.search) {
      this.search.value = m.filter;
    }
    mount(this.errorNode, m.filterError ? caretBox('mlm-filter-error', m.filterError, m.filter, m.filterColumn) : null);
    this.drawChooser();
    this.drawTable();
    this.drawFooter();
  }

  private drawChooser(): void {
    const shown = this.shownColumns;
    const open = (this.chooser as HTMLDetailsElement).open;
    mount(
      this.chooser,
      h('summary', { class: 'mlm-columns-button' }, 'Columns'),
      h(
        'div',
        { class: 'mlm-chooser' },
        ...availableColumns(this.model.runs).map(column =>
          h(
            'label',
            {},
            h('input', {
              type: 'checkbox',
              'data-column': column,
              checked: shown.includes(column),
              onchange: (e: Event) =>
                this.setColumns(
                  (e.target as HTMLInputElement).checked ? [...shown, column] : shown.filter(c => c !== column)
                )
            }),
            ` ${column}`
          )
        )
      )
    );
    (this.chooser as HTMLDetailsElement).open = open;
  }

  private drawTable(): void {
    const m = this.model;
    const columns = this.shownColumns;
    const hadFocus = this.table.contains(document.activeElement);
    const [orderColumn, direction] = m.order.split(' ');
    const head = h(
      'tr',
      {},
      h('th', { class: 'mlm-check' }, ''),
      ...columns.map(column => {
        const key = orderKey(column);
        const sorted = key !== null && key === orderColumn;
        return h(
          'th',
          {
            'data-column': column,
            class: key ? 'mlm-sortable' : '',
            'aria-sort': sorted ? (direction === 'asc' ? 'ascending' : 'descending') : undefined,
            title: key ? `Sort by ${column}` : undefined,
            onclick: key ? () => void m.sortBy(key).catch(() => undefined) : undefined
          },
          `${LABELS[column] ?? column.replace(/^(metrics|params|tags)\./, '')}${sorted ? (direction === 'asc' ? ' ▲' : ' ▼') : ''}`
        );
      })
    );
    this.active = Math.min(this.active, Math.max(0, m.runs.length - 1));
    const rows: HTMLElement[] = [];
    m.runs.forEach((run, i) => {
      const selected = m.selected.has(run.id);
      rows.push(
        h(
          'tr',
          {
            class: `mlm-run${selected ? ' mlm-selected' : ''}`,
            role: 'row',
            tabindex: i === this.active ? '0' : '-1',
            'aria-selected': String(selected),
            'data-run-id': run.id,
            'data-status': run.status,
            onfocus: () => (this.active = i)
          },
          h(
            'td',
            { class: 'mlm-check' },
            h('input', {
              type: 'checkbox',
              class: 'mlm-run-select',
              tabindex: '-1',
              checked: selected,
              'aria-label': `Select run ${run.name}`,
              onchange: (e: Event) => m.toggle(run.id, (e.target as HTMLInputElement).checked)
            })
          ),
          ...columns.map(column =>
            h(
              'td',
              { 'data-column': column },
              column === 'name'
                ? h(
                    'a',
                    {
                      class: 'mlm-run-name',
                      href: '#',
                      tabindex: '-1',
                      title: run.id,
                      onclick: (e: Event) => {
                        e.preventDefault();
                        this.open(run);
                      }
                    },
                    run.name || run.id
                  )
                : cell(run, column),
              column === 'name' ? reproBadge(run.tags as Record<string, unknown> | undefined) : null
            )
          )
        )
      );
      if (this.opened === run.id) {
        rows.push(this.detail(run, columns.length + 1));
      }
    });
    if (!m.runs.length) {
      const text = m.filterError ? '' : m.filter ? 'No run matches this search.' : 'No runs yet.';
      rows.push(h('tr', {}, h('td', { class: 'mlm-empty', colspan: String(columns.length + 1) }, text)));
    }
    mount(this.table, h('thead', {}, head), h('tbody', {}, ...rows));
    if (hadFocus) {
      this.focusRow(this.active);
    }
  }

  private detail(run: RunSummary, span: number): HTMLElement {
    const part = (kind: string) =>
      Object.entries((run[kind] as Record<string, unknown> | undefined) ?? {})
        .map(([k, v]) => `${k}=${kind === 'metrics' ? formatNumber(v) : String(v)}`)
        .join('  ');
    return h(
      'tr',
      { class: 'mlm-run-detail' },
      h(
        'td',
        { colspan: String(span) },
        h('div', {}, `run ${run.id}${run.experiment ? ` · ${run.experiment}` : ''}`),
        ...['params', 'metrics', 'tags'].map(kind => h('div', { 'data-kind': kind }, `${kind}: ${part(kind) || '-'}`)),
        reproDetail(run.tags as Record<string, unknown> | undefined)
      )
    );
  }

  private drawFooter(): void {
    const m = this.model;
    const last = Math.min(m.offset + m.runs.length, m.total);
    const button = (cls: string, label: string, text: string, disabled: boolean, pages: number) =>
      h(
        'button',
        {
          class: `jp-Button jp-mod-styled mlm-button ${cls}`,
          'aria-label': label,
          title: label,
          disabled,
          onclick: () => void m.turn(pages).catch(() => undefined)
        },
        text
      );
    mount(
      this.footer,
      h('span', { class: 'mlm-count' }, m.total ? `${m.offset + 1}-${last} of ${m.total} runs` : '0 runs'),
      button('mlm-prev', 'Previous page', '‹', m.offset === 0, -1),
      button('mlm-next', 'Next page', '›', last >= m.total, 1),
      m.selected.size ? h('span', { class: 'mlm-selected-count' }, `${m.selected.size} selected`) : null,
      this.options.compare
        ? h(
            'button',
            {
              class: 'jp-Button jp-mod-styled jp-mod-accept mlm-button mlm-compare',
              disabled: !m.canCompare,
              title: m.canCompare ? 'Compare the selected runs' : 'Select two runs or more',
              onclick: () => this.options.compare!([...m.selected])
            },
            `Compare (${m.selected.size})`
          )
        : null
    );
  }

  private open(run: RunSummary): void {
    this.opened = this.opened === run.id ? '' : run.id;
    this.options.open?.(run);
    this.draw();
  }

  private focusRow(i: number): void {
    const rows = this.table.querySelectorAll<HTMLElement>('tr.mlm-run');
    if (rows[i]) {
      rows.forEach((r, k) => (r.tabIndex = k === i ? 0 : -1));
      rows[i].focus();
      this.active = i;
    }
  }

  private key(event: KeyboardEvent): void {
    const runs = this.model.runs;
    const run = runs[this.active];
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, Home: -runs.length, End: runs.length };
    if (!(event.target instanceof HTMLTableRowElement) || !run) {
      return;
    }
    if (event.key in moves) {
      this.focusRow(Math.min(runs.length - 1, Math.max(0, this.active + moves[event.key])));
    } else if (event.key === ' ') {
      this.model.toggle(run.id);
    } else if (event.key === 'Enter') {
      this.open(run);
    } else if (event.key === 'PageDown' || event.key === 'PageUp') {
      void this.model.turn(event.key === 'PageDown' ? 1 : -1).catch(() => undefined);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation(); // JupyterLab's notebook shortcuts must not see these keys
  }
}

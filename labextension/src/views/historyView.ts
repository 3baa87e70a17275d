/**
 * The cell history: executions in order with duration, status, the run they
 * made, and stale or superseded cells marked (the marking comes with the data).
 */
import type { CellRow, CellsSource } from '../types';
import { Emitter, messageOf } from './models';
import { formatDuration, h, mount } from './dom';

export class HistoryModel {
  readonly changed = new Emitter();
  cells: CellRow[] = [];
  scope = '';
  error = '';

  constructor(readonly source: CellsSource) {}

  async load(): Promise<void> {
    try {
      this.cells = await this.source.cells();
      this.error = '';
    } catch (error) {
      this.error = messageOf(error);
    }
    this.changed.emit();
  }
}

function firstLine(source: string | undefined): string {
  return (source ?? '').split('\n').find(line => line.trim()) ?? '';
}

export class HistoryView {
  readonly node: HTMLElement;
  private readonly render = () => this.draw();

  constructor(readonly model: HistoryModel) {
    this.node = h('div', { class: 'mlm-view mlm-history' });
    model.changed.connect(this.render);
    this.draw();
  }

  dispose(): void {
    this.model.changed.disconnect(this.render);
  }

  private draw(): void {
    const m = this.model;
    const rows = m.cells.map((c, i) =>
      h(
        'tr',
        {
          class: `mlm-cell-row${c.stale ? ' mlm-stale' : ''}${c.superseded ? ' mlm-superseded' : ''}`,
          'data-cell-id': c.cell_id ?? ''
        },
        h('td', {}, String(c.order ?? i + 1)),
        h('td', {}, c.execution_count === null || c.execution_count === undefined ? '' : `[${c.execution_count}]`),
        h('td', {}, formatDuration(typeof c.duration === 'number' ? c.duration : null)),
        h('td', { class: c.success === false ? 'mlm-failed' : '' }, c.success === false ? `error ${c.error ?? c.error_type ?? ''}` : 'ok'),
        h('td', {}, c.run_name || (c.run_id ?? '').slice(0, 8)),
        h('td', {}, c.stale ? `stale: ${c.stale_reason ?? ''}` : c.superseded ? 'superseded' : ''),
        h('td', { class: 'mlm-source', title: c.source ?? '' }, firstLine(c.source))
      )
    );
    mount(
      this.node,
      m.error ? h('div', { class: 'mlm-error', role: 'alert' }, m.error) : null,
      h('div', { class: 'mlm-caption' }, `Cell history${m.scope ? ` (${m.scope})` : ''}: ${m.cells.length} executions`),
      m.cells.length
        ? h(
            'table',
            { class: 'mlm-table mlm-cells' },
            h('tr', {}, ...['#', 'exec', 'duration', 'status', 'run', 'note', 'source'].map(t => h('th', {}, t))),
            ...rows
          )
        : h('div', { class: 'mlm-empty' }, 'No recorded cells yet (%load_ext mlm_jupyter records them).')
    );
  }
}

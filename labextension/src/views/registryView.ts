/**
 * The registry: models, a model's aliases and versions (with health and scan
 * verdicts when known), the promotion form (a refusal keeps what the user
 * chose) and the audit trail.
 */
import type { RegistryModel } from './models';
import type { ModelVersion } from '../types';
import { auditChange } from './audit';
import { epochOf, formatNumber, formatTime, h, mount } from './dom';

const ALIASES = ['production', 'staging', 'champion', 'challenger'];

/** Extra cells a host adds to each version row (e.g. a drift health badge). */
export type VersionDecorator = (model: string, version: ModelVersion) => HTMLElement | null;

export class RegistryView {
  readonly node: HTMLElement;
  private readonly render = () => this.draw();

  constructor(
    readonly model: RegistryModel,
    private readonly decorate: VersionDecorator | null = null
  ) {
    this.node = h('div', { class: 'mlm-view mlm-registry' });
    model.changed.connect(this.render);
    this.draw();
  }

  dispose(): void {
    this.model.changed.disconnect(this.render);
  }

  private draw(): void {
    const m = this.model;
    const current = m.current;
    const list = h(
      'ul',
      { class: 'mlm-model-list' },
      ...m.models.map(model =>
        h(
          'li',
          { class: `mlm-model${current?.name === model.name ? ' mlm-selected' : ''}`, 'data-model': model.name },
          h(
            'a',
            {
              href: '#',
              class: 'mlm-model-name',
              onclick: (e: Event) => {
                e.preventDefault();
                void m.open(model.name);
              }
            },
            model.name
          ),
          h(
            'span',
            { class: 'mlm-model-aliases' },
            Object.entries(model.aliases ?? {})
              .map(([a, v]) => `@${a}=v${v}`)
              .join(' ')
          )
        )
      )
    );
    if (!m.models.length && !m.error) {
      list.append(h('li', { class: 'mlm-empty' }, 'No registered models yet.'));
    }
    // Keep the focused field focused across a redraw (the form is rebuilt from m.form).
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.field;
    mount(this.node, m.error ? h('div', { class: 'mlm-error', role: 'alert' }, m.error) : null, list, current ? this.detail() : null);
    if (focused) {
      this.node.querySelector<HTMLElement>(`[data-field='${focused}']`)?.focus();
    }
  }

  private detail(): HTMLElement {
    const m = this.model;
    const model = m.current!;
    const aliases = model.aliases ?? {};
    const versions = [...model.versions].sort((a, b) => b.version - a.version);
    const form = m.form;
    const alias: HTMLInputElement = h('input', {
      class: 'jp-mod-styled mlm-promote-alias',
      list: 'mlm-alias-options',
      placeholder: 'alias (e.g. production)',
      'aria-label': 'Alias',
      'data-field': 'alias',
      value: form.alias,
      oninput: () => m.edit({ alias: alias.value })
    });
    const version: HTMLSelectElement = h(
      'select',
      {
        class: 'jp-mod-styled mlm-promote-version',
        'aria-label': 'Version',
        'data-field': 'version',
        onchange: () => m.edit({ version: Number(version.value) })
      },
      ...versions.map(v => h('option', { value: String(v.version), selected: v.version === form.version }, `version ${v.version}`))
    );
    const reason: HTMLInputElement = h('input', {
      class: 'jp-mod-styled mlm-promote-reason',
      placeholder: 'reason (kept in the audit trail)',
      'aria-label': 'Reason',
      'data-field': 'reason',
      value: form.reason,
      oninput: () => m.edit({ reason: reason.value }),
      onkeydown: (e: KeyboardEvent) => e.stopPropagation()
    });
    const cells = (...texts: (string | HTMLElement | null)[]) => texts.map(t => h('td', {}, t));
    return h(
      'div',
      { class: 'mlm-model-detail', 'data-model': model.name },
      h('h3', {}, model.name),
      h(
        'table',
        { class: 'mlm-table mlm-aliases' },
        h('tr', {}, h('th', {}, 'alias'), h('th', {}, 'version')),
        ...Object.entries(aliases).map(([a, v]) =>
          h('tr', { 'data-alias': a }, h('td', {}, `@${a}`), h('td', { class: 'mlm-alias-version' }, String(v)))
        )
      ),
      h(
        'table',
        { class: 'mlm-table mlm-versions' },
        h('tr', {}, ...['version', 'status', 'aliases', 'metrics', 'run', 'created', 'checks'].map(t => h('th', {}, t))),
        ...versions.map(v =>
          h(
            'tr',
            { class: 'mlm-version-row', 'data-version': String(v.version) },
            ...cells(
              String(v.version),
              v.status ?? '',
              (v.aliases ?? []).map(a => `@${a}`).join(' '),
              Object.entries(v.metrics ?? {})
                .slice(0, 4)
                .map(([k, x]) => `${k}=${formatNumber(x)}`)
                .join(' '),
              (v.run_id ?? '').slice(0, 8),
              formatTime(epochOf(v.created_at)),
              this.decorate?.(model.name, v) ?? null
            )
          )
        )
      ),
      h('datalist', { id: 'mlm-alias-options' }, ...[...new Set([...ALIASES, ...Object.keys(aliases)])].map(a => h('option', { value: a }))),
      m.current?.rules && (m.current.rules as string[]).length
        ? h('div', { class: 'mlm-rules' }, `Promotion rules: ${(m.current.rules as string[]).join('; ')}`)
        : null,
      h(
        'form',
        {
          class: 'mlm-promote-form',
          'data-lm-suppress-shortcuts': 'true',
          onsubmit: (e: Event) => {
            e.preventDefault();
            void m.promote();
          }
        },
        alias,
        version,
        reason,
        h('button', { type: 'submit', class: 'jp-Button jp-mod-styled jp-mod-accept mlm-button mlm-promote', disabled: m.busy }, 'Promote')
      ),
      m.promoteError ? h('div', { class: 'mlm-error mlm-promote-error', role: 'alert' }, m.promoteError) : null,
      m.promoteMessage ? h('div', { class: 'mlm-ok mlm-promote-ok', role: 'status' }, m.promoteMessage) : null,
      h('h4', {}, 'Audit trail'),
      h(
        'table',
        { class: 'mlm-table mlm-audit' },
        h('tr', {}, ...['when', 'action', 'alias', 'version', 'by', 'reason'].map(t => h('th', {}, t))),
        ...[...m.history].reverse().map(e =>
          h(
            'tr',
            { 'data-action': e.action ?? '' },
            ...cells(
              formatTime(epochOf(e.time)),
              e.action ?? '',
              e.alias ? `@${e.alias}` : '',
              auditChange(e),
              e.user ?? '',
              `${e.reason ?? ''}${e.forced ? ' (forced)' : ''}`
            )
          )
        )
      )
    );
  }
}

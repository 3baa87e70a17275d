/**
 * The registry tab: models, a model's versions and aliases, promotion with a
 * reason (gate errors shown), and the audit trail.
 */
import { Widget } from '@lumino/widgets';

import type { RegistryModel } from '../model';
import { toEpoch } from '../types';
import { auditChange } from '../audit';
import { formatTime, h, mount } from './dom';

export class RegistryView extends Widget {
  constructor(private readonly model: RegistryModel) {
    super();
    this.addClass('mlm-RegistryView');
    this.id = 'mlm-registry-view';
    this.title.label = 'Registry';
    model.changed.connect(this.render, this);
    this.render();
  }

  dispose(): void {
    this.model.changed.disconnect(this.render, this);
    super.dispose();
  }

  private render(): void {
    const m = this.model;
    const current = m.current;
    const modelList = h(
      'ul',
      { class: 'mlm-model-list' },
      ...m.models.map(model =>
        h(
          'li',
          {
            class: `mlm-model${current && current.name === model.name ? ' jp-mod-selected' : ''}`,
            'data-model': model.name
          },
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
      modelList.append(h('li', { class: 'mlm-empty' }, 'No registered models yet.'));
    }
    mount(
      this.node,
      m.error ? h('div', { class: 'mlm-error', role: 'alert' }, m.error) : null,
      modelList,
      current ? this.detail() : null
    );
  }

  private detail(): HTMLElement {
    const m = this.model;
    const model = m.current!;
    const aliases = model.aliases ?? {};
    const versions = [...model.versions].sort((a, b) => b.version - a.version);
    const aliasInput = h('input', {
      class: 'jp-mod-styled mlm-promote-alias',
      list: 'mlm-alias-options',
      placeholder: 'alias (e.g. production)',
      'aria-label': 'Alias',
      value: Object.keys(aliases)[0] ?? 'production'
    });
    const versionSelect = h(
      'select',
      { class: 'jp-mod-styled mlm-promote-version', 'aria-label': 'Version' },
      ...versions.map(v => h('option', { value: String(v.version) }, `version ${v.version}`))
    );
    const reasonInput = h('input', {
      class: 'jp-mod-styled mlm-promote-reason',
      placeholder: 'reason (kept in the audit trail)',
      'aria-label': 'Reason'
    });
    const promote = h(
      'button',
      {
        class: 'jp-Button jp-mod-styled jp-mod-accept mlm-promote',
        onclick: () =>
          void m.promote(aliasInput.value, Number(versionSelect.value), reasonInput.value)
      },
      'Promote'
    );
    return h(
      'div',
      { class: 'mlm-model-detail', 'data-model': model.name },
      h('h3', {}, model.name),
      h(
        'table',
        { class: 'mlm-table mlm-aliases' },
        h('tr', {}, h('th', {}, 'alias'), h('th', {}, 'version')),
        ...Object.entries(aliases).map(([alias, version]) =>
          h('tr', { 'data-alias': alias }, h('td', {}, `@${alias}`), h('td', { class: 'mlm-alias-version' }, String(version)))
        )
      ),
      h(
        'table',
        { class: 'mlm-table mlm-versions' },
        h('tr', {}, h('th', {}, 'version'), h('th', {}, 'aliases'), h('th', {}, 'flavor'), h('th', {}, 'run'), h('th', {}, 'created')),
        ...versions.map(v =>
          h(
            'tr',
            {},
            h('td', {}, String(v.version)),
            h('td', {}, (v.aliases ?? []).map(a => `@${a}`).join(' ')),
            h('td', {}, v.flavor ?? ''),
            h('td', { title: v.run_id ?? '' }, (v.run_id ?? '').slice(0, 8)),
            h('td', {}, formatTime(toEpoch(v.created_at)))
          )
        )
      ),
      h(
        'datalist',
        { id: 'mlm-alias-options' },
        ...['production', 'staging', 'champion', 'challenger', ...Object.keys(aliases)].map(a =>
          h('option', { value: a })
        )
      ),
      h('div', { class: 'mlm-promote-form' }, aliasInput, versionSelect, reasonInput, promote),
      m.promoteError ? h('div', { class: 'mlm-error mlm-promote-error', role: 'alert' }, m.promoteError) : null,
      m.promoteMessage ? h('div', { class: 'mlm-promote-ok', role: 'status' }, m.promoteMessage) : null,
      h('h4', {}, 'Audit trail'),
      h(
        'table',
        { class: 'mlm-table mlm-audit' },
        h('tr', {}, h('th', {}, 'when'), h('th', {}, 'action'), h('th', {}, 'alias'), h('th', {}, 'version'), h('th', {}, 'by'), h('th', {}, 'reason')),
        ...m.history.map(e =>
          h(
            'tr',
            {},
            h('td', {}, formatTime(toEpoch(e.time))),
            h('td', {}, e.action ?? ''),
            h('td', {}, e.alias ? `@${e.alias}` : ''),
            h('td', {}, auditChange(e)),
            h('td', {}, e.user ?? ''),
            h('td', {}, `${e.reason ?? ''}${e.forced ? ' (forced)' : ''}`)
          )
        )
      )
    );
  }
}

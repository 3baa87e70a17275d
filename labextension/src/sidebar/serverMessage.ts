/**
 * The banner that replaces the panel's content when the server extension is
 * missing, mismatched or not answering (never a blank panel).
 */
import { h } from '../views/dom';
import type { SidebarModel } from './sidebarModel';

export function serverMessage(model: SidebarModel, onRetry: () => void): HTMLElement | null {
  if (model.serverState === 'ok') {
    return null;
  }
  if (model.serverState === 'checking') {
    return h('div', { class: 'mlm-server-checking' }, 'Connecting to the mlm-jupyter server extension...');
  }
  return h(
    'div',
    { class: `mlm-server-message mlm-server-${model.serverState}`, role: 'alert' },
    h('strong', {}, model.serverState === 'mismatch' ? 'Version mismatch' : 'mlm-jupyter server extension unavailable'),
    h('p', {}, model.serverMessage),
    h('button', { class: 'jp-Button jp-mod-styled jp-mod-reject mlm-retry', onclick: onRetry }, 'Retry')
  );
}

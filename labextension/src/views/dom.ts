/**
 * A tiny element builder and formatters for the views (no framework: both
 * hosts hand the views a plain DOM node).
 */

export type Child = Node | string | null | undefined | false;

/** `h('div', {class: 'x', title: 't'}, child, ...)`; `on*` attributes become listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, unknown> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    } else if (key === 'class') {
      node.className = String(value);
    } else if (key in node && typeof value !== 'string') {
      (node as any)[key] = value;
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child);
    }
  }
  return node;
}

/** Replace all children of `node`. */
export function mount(node: HTMLElement, ...children: Child[]): void {
  node.replaceChildren(...(children.filter(c => c !== null && c !== undefined && c !== false) as (Node | string)[]));
}

/** A status badge (`running`, `finished`, `failed`, `killed`) styled by `.mlm-badge-<status>`. */
export function badge(status: string): HTMLElement {
  return h('span', { class: `mlm-badge mlm-badge-${status}`, title: status }, status);
}

/** Seconds since epoch -> local `YYYY-MM-DD HH:MM`. */
export function formatTime(epoch: number | null): string {
  if (epoch === null) {
    return '';
  }
  const d = new Date(epoch * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A compact number: 4 significant digits. */
export function formatNumber(value: unknown): string {
  return typeof value === 'number' ? Number(value.toPrecision(4)).toString() : String(value ?? '');
}

/** Epoch seconds from whatever time shape arrived (number, ISO string, null). */
export function epochOf(value: unknown): number | null {
  if (typeof value === 'number') {
    return value;
  }
  if (typeof value !== 'string' || !value) {
    return null;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms / 1000;
}

/** 3.2s, 4m 05s, 2h 03m. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) {
    return '';
  }
  if (seconds < 60) {
    return `${seconds.toFixed(seconds < 10 ? 2 : 1)}s`;
  }
  const minutes = Math.floor(seconds / 60);
  const pad = (n: number) => String(Math.floor(n)).padStart(2, '0');
  return minutes < 60 ? `${minutes}m ${pad(seconds % 60)}s` : `${Math.floor(minutes / 60)}h ${pad(minutes % 60)}m`;
}

/** A message with a caret under `column` (1-based) of `text`, both in a fixed-width font. */
export function caretBox(cls: string, message: string, text: string, column: number): HTMLElement {
  return h(
    'div',
    { class: `mlm-error ${cls}`, role: 'alert' },
    h('div', { class: 'mlm-error-message' }, message),
    column > 0 ? h('pre', { class: 'mlm-caret' }, `${text}\n${' '.repeat(column - 1)}^`) : null
  );
}
